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


def run_config(cfg, out_dir, engine="keras"):
    """Validate `cfg`, train its replicates and write their rows under `out_dir`.

    Returns:
        The runs DataFrame that was written.
    """
    validate(cfg)
    tf.config.experimental.enable_op_determinism()
    cid = config_id(cfg)
    common = {
        **factor_values(cfg),
        "n_samples": dataset_size(cfg.dataset),
        "sweep": Path(out_dir).name,
        "config_id": cid,
        "engine": engine,
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "schema_version": SCHEMA_VERSION,
    }
    rows, history = [], []
    for replicate in range(cfg.replicates):
        seed = int(cfg.seed) + replicate
        start = time.perf_counter()
        try:
            result, hist = train_keras(cfg, seed)
        except Exception as exc:  # one failed network is a row, not a lost sweep
            log.error("config %s replicate %d failed:\n%s", cid, replicate, traceback.format_exc())
            result, hist = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}, []
        rows.append({**common, **result, "replicate": replicate, "seed": seed,
                     "duration_s": time.perf_counter() - start})
        history += [
            {"config_id": cid, "replicate": replicate, "epoch": e, "metric": m, "value": v}
            for e, m, v in hist
        ]
    frame = runs_frame(rows)
    write_parquet_atomic(history_frame(history), Path(out_dir) / "history" / f"{cid}.parquet")
    write_parquet_atomic(frame, Path(out_dir) / "runs" / f"{cid}.parquet")
    return frame


def describe(frame):
    """A short text table of one configuration's replicates, for the terminal."""
    cols = ["replicate", "status", "collapsed", "rel_output_std", "dead_fraction",
            "neuron_similarity", "weight_spread", "score", "baseline_score"]
    shown = frame[cols].copy()
    for c in cols[3:]:
        shown[c] = shown[c].map(lambda v: "nan" if v is None or not math.isfinite(v) else f"{v:.4g}")
    return shown.to_string(index=False)
