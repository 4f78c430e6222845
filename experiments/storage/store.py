"""What a results folder already holds, so that a rerun trains only what is missing.

A folder's rows are only ever added to: a rerun skips every (config_id, replicate) already
stored; `fresh=true` moves earlier results into `previous/<time>/` rather than deleting them; a
file that cannot be read, rows of another schema version or of another sweep stop the run with
one line before anything is trained or written.
"""

import json
import os
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa

from experiments.storage.atomic import write_text
from experiments.storage.schema import SCHEMA_VERSION
from experiments.variants.registry import ConfigError

SWEEP_FILE = "sweep.json"  # what the folder's sweep is: its command-line overrides
MOVABLE = ("runs", "history", "figures", "report.html", SWEEP_FILE)
_UNREADABLE = (OSError, ValueError, pa.ArrowException)


class StoreError(ConfigError):
    """A results folder that cannot be added to as asked (one line, names the file)."""


def read_runs(path):
    """Rows of one runs file; StoreError if it is unreadable or of another schema version."""
    try:
        frame = pd.read_parquet(path)
    except _UNREADABLE as exc:
        raise StoreError(
            f"{path} is not a readable Parquet file ({type(exc).__name__}); move it away "
            "or choose another hydra.sweep.dir; nothing was trained or overwritten"
        ) from None
    versions = set(frame["schema_version"]) if "schema_version" in frame else {None}
    if versions != {SCHEMA_VERSION}:
        raise StoreError(
            f"{path} holds rows of schema version {sorted(versions, key=str)}, this is version "
            f"{SCHEMA_VERSION}; results are not merged across versions: choose another "
            "hydra.sweep.dir or fresh=true (earlier results are kept in previous/)"
        )
    return frame


_READ = {}  # (path, size, mtime) -> rows: what stored_runs has read in this process


def stored_runs(out_dir):
    """Every stored row of a results folder in one frame (None if there is none).

    A configuration's rows may be spread over several files (one per block of networks, and
    one per rerun that added replicates). Files already read by this process are not read
    again while their size and time are unchanged.
    """
    frames = []
    for path in sorted(Path(out_dir, "runs").glob("*.parquet")):
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in _READ:
            _READ[key] = read_runs(path)
        frames.append(_READ[key])
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


def stored_replicates(rows):
    """{config_id: set of stored replicates} of a runs frame (or None)."""
    if rows is None:
        return {}
    have = {}
    for cid, replicate in zip(rows["config_id"], rows["replicate"]):
        have.setdefault(cid, set()).add(int(replicate))
    return have


def stored_config(out_dir, cid):
    """Rows already stored for one config_id (a frame, or None)."""
    rows = stored_runs(out_dir)
    if rows is None:
        return None
    mine = rows[rows["config_id"] == cid]
    return mine.reset_index(drop=True) if len(mine) else None


def missing_replicates(cfg, stored):
    """Replicates of `cfg` (a list of ints) not among `stored` (replicate numbers, or None)."""
    have = set() if stored is None else {int(r) for r in stored}
    return [r for r in range(int(cfg.replicates)) if r not in have]


def check_sweep(out_dir, overrides):
    """Refuse to add to a folder that holds another sweep; record this sweep otherwise.

    Args:
        out_dir: The sweep folder.
        overrides: The sweep's command-line overrides (Hydra's own `hydra.*` ones are ignored).
    """
    # More replicates extend a sweep rather than make another one.
    mine = sorted(o for o in overrides if not o.startswith(("hydra.", "fresh=", "replicates=")))
    path = Path(out_dir, SWEEP_FILE)
    if path.exists():
        theirs = json.loads(path.read_text())["overrides"]
        if theirs != mine:
            raise StoreError(
                f"{out_dir} holds another sweep ({' '.join(theirs) or 'no overrides'}), not "
                f"this one ({' '.join(mine) or 'no overrides'}); choose another "
                "hydra.sweep.dir, or fresh=true to set the earlier one aside in previous/"
            )
        return
    write_text(path, json.dumps({"overrides": mine}, indent=1))


def set_aside(out_dir):
    """Move earlier results of `out_dir` into `out_dir/previous/<time>/`; returns that folder."""
    here = [Path(out_dir, name) for name in MOVABLE if Path(out_dir, name).exists()]
    if not here:
        return None
    target = Path(out_dir, "previous", time.strftime("%Y-%m-%d_%H-%M-%S"))
    while target.exists():
        target = target.with_name(target.name + "_")
    target.mkdir(parents=True)
    for path in here:
        os.replace(path, target / path.name)
    return target


def prepare_folder(out_dir, overrides, fresh):
    """Before a sweep writes anything: set earlier results aside (fresh), or check that the
    folder holds this sweep and only readable rows of this schema. Returns the stored rows
    (a frame, or None)."""
    if fresh:
        set_aside(out_dir)
    check_sweep(out_dir, overrides)
    return stored_runs(out_dir)
