"""Trains every replicate of one configuration and writes its rows.

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
import tensorflow as tf

from experiments.config import config_id, factor_values, validate
from experiments.dataset import dataset_size
from experiments.results import history_frame, runs_frame, write_parquet_atomic
from experiments.schema import SCHEMA_VERSION
from experiments.train import train_keras

log = logging.getLogger(__name__)


def train_replicates(cfg):
    """Train every replicate of `cfg` one at a time with Keras.

    Returns:
        One (result, history, duration_s) per replicate, in replicate order.
    """
    tf.config.experimental.enable_op_determinism()
    trained = []
    for replicate in range(cfg.replicates):
        start = time.perf_counter()
        result, hist = guarded(train_keras, cfg, int(cfg.seed) + replicate)
        trained.append((result, hist, time.perf_counter() - start))
    return trained


def guarded(train, cfg, seed):
    """train(cfg, seed), or an error result: one failed network is a row, not a lost sweep."""
    try:
        return train(cfg, seed)
    except Exception as exc:
        log.error("config %s seed %d failed:\n%s", config_id(cfg), seed, traceback.format_exc())
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"}, []


def write_config(cfg, out_dir, trained, engine):
    """Write the rows and history of one configuration's trained replicates.

    Args:
        cfg: The configuration.
        out_dir: Results folder (a sweep, or a single run).
        trained: One (result, history, duration_s) per replicate, in replicate order.
        engine: 'keras' or 'batched', stored in the `engine` column.

    Returns:
        The runs DataFrame that was written to `out_dir/runs/<config_id>.parquet`.
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
    for replicate, (result, hist, duration) in enumerate(trained):
        rows.append({**common, **result, "replicate": replicate,
                     "seed": int(cfg.seed) + replicate, "duration_s": duration})
        history += [
            {"config_id": cid, "replicate": replicate, "epoch": e, "metric": m, "value": v}
            for e, m, v in hist
        ]
    frame = runs_frame(rows)
    write_parquet_atomic(history_frame(history), Path(out_dir) / "history" / f"{cid}.parquet")
    write_parquet_atomic(frame, Path(out_dir) / "runs" / f"{cid}.parquet")
    return frame


def run_config(cfg, out_dir):
    """Validate `cfg`, train its replicates with Keras and write their rows under `out_dir`."""
    validate(cfg)
    return write_config(cfg, out_dir, train_replicates(cfg), engine="keras")


def describe(frame):
    """A short text table of one configuration's replicates, for the terminal."""
    cols = ["replicate", "status", "collapsed", "rel_output_std", "dead_fraction",
            "neuron_similarity", "weight_spread", "score", "baseline_score"]
    shown = frame[cols].copy()
    for c in cols[3:]:
        shown[c] = shown[c].map(lambda v: "nan" if v is None or not math.isfinite(v) else f"{v:.4g}")
    return shown.to_string(index=False)
