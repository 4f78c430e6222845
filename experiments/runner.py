"""Trains the replicates of one configuration that its results folder lacks, and writes them.

Layout of a results folder (a sweep, or a single run):
    runs/<config_id>.parquet      one row per trained network
    history/<config_id>.parquet   per-epoch history in long form
"""

import logging
import math
import time
import traceback
from pathlib import Path

import keras
import pandas as pd
import tensorflow as tf

from experiments import store
from experiments.config import config_id, factor_values, validate
from experiments.dataset import dataset_size
from experiments.results import history_frame, runs_frame, write_parquet_atomic
from experiments.schema import SCHEMA_VERSION
from experiments.train import train_keras

log = logging.getLogger(__name__)


def train_replicates(cfg, replicates):
    """Train the given replicates of `cfg` one at a time with Keras.

    Returns:
        {replicate: (result, history, duration_s)}.
    """
    tf.config.experimental.enable_op_determinism()
    trained = {}
    for replicate in replicates:
        start = time.perf_counter()
        result, hist = guarded(train_keras, cfg, int(cfg.seed) + replicate)
        trained[replicate] = (result, hist, time.perf_counter() - start)
    return trained


def guarded(train, cfg, seed):
    """train(cfg, seed), or an error result: one failed network is a row, not a lost sweep."""
    try:
        return train(cfg, seed)
    except Exception as exc:
        trace = traceback.format_exc()
        log.error("config %s seed %d failed:\n%s", config_id(cfg), seed, trace)
        error = f"{type(exc).__name__}: {exc}"
        return {"status": "error", "error": error, "traceback": trace}, []


def write_config(cfg, out_dir, trained, engine, previous=(None, None)):
    """Write one configuration's rows and history: those stored before plus those just trained.

    Args:
        cfg: The configuration.
        out_dir: Results folder (a sweep, or a single run).
        trained: {replicate: (result, history, duration_s)} of the networks just trained.
        engine: 'keras' or 'batched', stored in the `engine` column.
        previous: (runs frame, history frame) already stored for this configuration, or Nones.

    Returns:
        The runs DataFrame now in `out_dir/runs/<config_id>.parquet`.
    """
    cid = config_id(cfg)
    common = {
        **factor_values(cfg),
        "n_samples": dataset_size(cfg.dataset),
        "sweep": Path(out_dir).name,
        "config_id": cid,
        "claim": cfg.get("claim"),
        "engine": engine,
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "schema_version": SCHEMA_VERSION,
    }
    rows, history = [], []
    for replicate, (result, hist, duration) in sorted(trained.items()):
        rows.append({**common, **result, "replicate": replicate,
                     "seed": int(cfg.seed) + replicate, "duration_s": duration})
        history += [
            {"config_id": cid, "replicate": replicate, "epoch": e, "metric": m, "value": v}
            for e, m, v in hist
        ]
    runs = _merged(previous[0], runs_frame(rows))
    hist = _merged(previous[1], history_frame(history))
    write_parquet_atomic(hist, Path(out_dir) / "history" / f"{cid}.parquet")
    write_parquet_atomic(runs, Path(out_dir) / "runs" / f"{cid}.parquet")
    return runs


def _merged(before, new):
    if before is None or before.empty:
        return new
    frame = pd.concat([before.astype(new.dtypes.to_dict()), new], ignore_index=True)
    return frame.sort_values(["replicate"], kind="stable", ignore_index=True)


def run_config(cfg, out_dir):
    """Validate `cfg`, train the replicates `out_dir` lacks with Keras, write all its rows."""
    validate(cfg)
    previous = store.stored_config(out_dir, config_id(cfg))
    missing = store.missing_replicates(cfg, previous[0])
    if not missing:
        log.info("config %s: all %d replicates already stored", config_id(cfg), cfg.replicates)
        return previous[0]
    return write_config(cfg, out_dir, train_replicates(cfg, missing), "keras", previous)


def collapsed_count(frame):
    """Number of collapsed networks in a runs frame (missing values count as not collapsed)."""
    return int(frame["collapsed"].fillna(False).sum())


def describe(frame):
    """A short text table of one configuration's replicates, for the terminal."""
    cols = ["replicate", "status", "collapsed", "rel_output_std", "dead_fraction",
            "neuron_similarity", "weight_spread", "score", "baseline_score"]
    shown = frame[cols].copy()
    def number(v):
        return "nan" if pd.isna(v) or not math.isfinite(v) else f"{v:.4g}"

    for c in cols[3:]:
        shown[c] = shown[c].map(number)
    return shown.to_string(index=False)
