"""Writes results rows to Parquet atomically: a killed job never leaves a half-written file.

Rows are written in blocks: the networks trained together (a block of the batched engine, or
the missing replicates of one configuration on the Keras path) go to one `runs/<name>.parquet`
and one `history/<name>.parquet`, `name` a hash of the (config_id, replicate) pairs they hold.
A configuration's rows may so be spread over several files; readers group them by `config_id`.
"""

import hashlib
from pathlib import Path

import pandas as pd

from experiments.storage.atomic import write_atomic
from experiments.storage.schema import HISTORY_COLUMNS, all_columns


def runs_frame(rows):
    """DataFrame with exactly the schema's columns and dtypes (missing values as NA)."""
    return _typed(pd.DataFrame(rows), all_columns())


def history_frame(rows):
    """DataFrame of history rows (a list of dicts, or a dict of equal-length lists)."""
    return _typed(pd.DataFrame(rows), HISTORY_COLUMNS)


def block_name(runs):
    """File name of a block of rows: a hash of its sorted (config_id, replicate) pairs."""
    pairs = sorted(f"{c}:{int(r)}" for c, r in zip(runs["config_id"], runs["replicate"]))
    return hashlib.sha1("\n".join(pairs).encode()).hexdigest()[:12] + ".parquet"


def write_block(runs, history, out_dir):
    """Write a block's rows and history (history first: a runs file means a finished block).

    Returns:
        The path of the runs file.
    """
    name = block_name(runs)
    write_parquet_atomic(history, Path(out_dir) / "history" / name)
    return write_parquet_atomic(runs, Path(out_dir) / "runs" / name)


def _typed(frame, columns):
    out = pd.DataFrame(index=frame.index)
    for name, dtype in columns.items():
        col = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index)
        if dtype == "float64":
            col = pd.to_numeric(col, errors="coerce")
        out[name] = col.astype(dtype)
    return out


def write_parquet_atomic(frame, path):
    """Write `frame` to `path` whole or not at all (experiments.storage.atomic)."""
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
