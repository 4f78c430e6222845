"""Writes results rows to Parquet atomically: a killed job never leaves a half-written file."""

import os
from pathlib import Path

import pandas as pd

from experiments.schema import HISTORY_COLUMNS, all_columns


def runs_frame(rows):
    """DataFrame with exactly the schema's columns and dtypes (missing values as NA)."""
    return _typed(pd.DataFrame(rows), all_columns())


def history_frame(rows):
    return _typed(pd.DataFrame(rows), HISTORY_COLUMNS)


def _typed(frame, columns):
    out = pd.DataFrame(index=frame.index)
    for name, dtype in columns.items():
        col = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index)
        if dtype == "float64":
            col = pd.to_numeric(col, errors="coerce")
        out[name] = col.astype(dtype)
    return out


def write_parquet_atomic(frame, path):
    """Write to a temporary name beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
