"""Load a sweep's Parquet results into tidy DataFrames (first layer of the analysis).

Files are only read, never rewritten or removed: a file that cannot be read (for example one a
job is still writing, or a truncated one) is skipped with a warning naming it.

Example:
    >>> from analysis.load import load_claims, load_runs
    >>> runs = load_runs("results/2024-05-01/12-00-00")
    >>> claims = load_claims("results/2024-05-01/12-00-00")   # [] for an ordinary sweep
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from experiments import factors
from experiments.storage.schema import HISTORY_COLUMNS, all_columns

# Hydra's saved configuration of a multirun, in the sweep folder.
MULTIRUN_CONFIG = "multirun.yaml"

# What pyarrow / pandas raise for a truncated, empty or otherwise corrupt Parquet file.
_UNREADABLE = (OSError, ValueError, pa.ArrowException)


def _nullable(dtype):
    """Dtype that can hold missing values (int64 -> Int64), for columns a file lacks."""
    return "Int64" if dtype == "int64" else dtype


def _read_folder(folder, columns):
    """Read every readable `*.parquet` in `folder` (sorted by name) into one frame.

    Args:
        folder: Path of the folder.
        columns: Expected column name -> dtype; missing ones are added as empty columns.

    Returns:
        The concatenated frame, or None when no file could be read.
    """
    frames = []
    for path in sorted(folder.glob("*.parquet")):
        try:
            frame = pd.read_parquet(path)
        except _UNREADABLE as exc:
            warnings.warn(f"skipping unreadable results file {path}: {exc}", stacklevel=3)
            continue
        frames.append(frame)
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True)
    for name, dtype in columns.items():
        if name not in df.columns:
            # An older schema version lacks this column: keep the rows; a factor reads what a
            # config without its key reads (model mlp, batchnorm false, target_scale 1, ...:
            # experiments.factors), any other column is missing.
            value = factors.missing_value(name) if name in factors.BY_COLUMN else None
            if value is None or value != value:  # None or NaN
                value, dtype = (np.nan if dtype == "float64" else pd.NA), _nullable(dtype)
            df[name] = pd.Series(value, index=df.index, dtype=dtype)
    if "collapsed" in df.columns:
        # A bool column with nulls comes back as object from files without pandas metadata.
        df["collapsed"] = df["collapsed"].astype("boolean")
    return df


def load_runs(sweep_dir):
    """Concatenate `<sweep_dir>/runs/*.parquet`: one row per trained network.

    Args:
        sweep_dir: The sweep folder (str or Path).

    Returns:
        DataFrame with (at least) the columns of `experiments.storage.schema.all_columns()`.

    Raises:
        FileNotFoundError: No runs folder, or no readable Parquet file in it.
    """
    runs = Path(sweep_dir) / "runs"
    if not runs.is_dir():
        raise FileNotFoundError(f"no runs folder in sweep folder {Path(sweep_dir)}")
    df = _read_folder(runs, all_columns())
    if df is None:
        raise FileNotFoundError(
            f"no readable runs/*.parquet file in sweep folder {Path(sweep_dir)}"
        )
    return df


def load_history(sweep_dir):
    """Concatenate `<sweep_dir>/history/*.parquet`: long-form per-epoch history.

    Args:
        sweep_dir: The sweep folder (str or Path).

    Returns:
        DataFrame with the HISTORY_COLUMNS (config_id, replicate, epoch, metric, value); empty
        with those columns when there is no history folder or no readable file in it.

    Raises:
        FileNotFoundError: The sweep folder itself does not exist.
    """
    sweep = Path(sweep_dir)
    if not sweep.is_dir():
        raise FileNotFoundError(f"sweep folder not found: {sweep}")
    history = sweep / "history"
    df = _read_folder(history, HISTORY_COLUMNS) if history.is_dir() else None
    if df is None:
        return pd.DataFrame(
            {name: pd.Series(dtype=dtype) for name, dtype in HISTORY_COLUMNS.items()}
        )
    # A block stopped between its history file and its runs file (a full disk, a kill) is
    # trained again; if the rerun blocks it differently, its networks' history is in two files.
    return df.drop_duplicates(["config_id", "replicate", "epoch", "metric"], ignore_index=True)


def _multirun_config(sweep_dir):
    path = Path(sweep_dir) / MULTIRUN_CONFIG
    if not path.is_file():
        return {}
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    return config if isinstance(config, dict) else {}


RULE_KEYS = ("alpha", "margin", "learn_margin")


def load_rule(sweep_dir):
    """The verdict rule a preset states (`verdict_rule`: alpha, margin, learn_margin), as
    keyword arguments of `claims.claims_table`; {} when the preset does not say.

    Raises:
        ValueError: a key that is not a rule setting, or a value that is not a number in (0, 1).
    """
    rule = _multirun_config(sweep_dir).get("verdict_rule") or {}
    if not isinstance(rule, dict):
        raise ValueError(f"verdict_rule={rule!r}: must be a mapping of {', '.join(RULE_KEYS)}")
    for key, value in rule.items():
        if key not in RULE_KEYS:
            raise ValueError(f"verdict_rule.{key}: unknown; allowed: {', '.join(RULE_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"verdict_rule.{key}={value!r}: must be a number in (0, 1)")
    return {key: float(value) for key, value in rule.items()}


def load_confirms(sweep_dir):
    """The exploration folder a confirmation sweep confirms (`confirms` in its preset), as a
    Path relative to the working directory the sweep ran from, or None."""
    value = _multirun_config(sweep_dir).get("confirms")
    return Path(value) if value else None


def load_claims(sweep_dir):
    """The claims a sweep tests: the top-level `claims` list of `<sweep_dir>/multirun.yaml`.

    Each claim is a dict as an experiment preset writes it (id, text, cause, control, mechanism,
    mechanism_direction, by; or kind: diagnostic with predictor and below); `analysis.claims`
    checks and evaluates them.

    Args:
        sweep_dir: The sweep folder (str or Path).

    Returns:
        The list of claim dicts; [] when the file or the key is missing or empty.

    Raises:
        ValueError: `claims` is not a list of mappings.
    """
    path = Path(sweep_dir) / MULTIRUN_CONFIG
    if not path.is_file():
        return []
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    claims = config.get("claims") if isinstance(config, dict) else None
    if not claims:
        return []
    if not isinstance(claims, list) or not all(isinstance(c, dict) for c in claims):
        raise ValueError(f"{path}: 'claims' must be a list of mappings, got {claims!r:.200}")
    return claims
