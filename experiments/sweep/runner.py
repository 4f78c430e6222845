"""Trains the replicates of one configuration that its results folder lacks, and writes them.

Layout of a results folder (a sweep, or a single run):
    runs/<block>.parquet      one row per trained network, one file per block written
    history/<block>.parquet   per-epoch history in long form
"""

import logging
import math
import time
import traceback

import pandas as pd
import tensorflow as tf

from experiments.storage import store
from experiments.sweep.blocks import library_versions
from experiments.sweep.config import config_id, network_seed, validate
from experiments.sweep.rows import write_configs
from experiments.training.keras import train_keras

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
        result, hist = guarded(train_keras, cfg, network_seed(cfg, replicate))
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


def _merged(before, new):
    if before is None or before.empty:
        return new
    frame = pd.concat([before.astype(new.dtypes.to_dict()), new], ignore_index=True)
    return frame.sort_values(["replicate"], kind="stable", ignore_index=True)


def run_config(cfg, out_dir):
    """Validate `cfg`, train the replicates `out_dir` lacks with Keras, write them.

    Returns:
        Every row of the configuration now stored (earlier ones included).
    """
    validate(cfg)
    cid = config_id(cfg)
    previous = store.stored_config(out_dir, cid)
    missing = store.missing_replicates(cfg, None if previous is None else previous["replicate"])
    if not missing:
        log.info("config %s: all %d replicates already stored", cid, cfg.replicates)
        return previous
    new = write_configs([(cfg, cid, train_replicates(cfg, missing))], out_dir, "keras",
                        library_versions())
    return _merged(previous, new)


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
