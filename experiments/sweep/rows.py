"""The rows of networks just trained, written as one block (experiments.storage.results).

Free of TensorFlow: the sweep's process writes what its training process trained
(experiments.sweep.trainer), so the training process never loads pandas or pyarrow.
"""

from pathlib import Path

from experiments.storage.results import history_frame, runs_frame, write_block
from experiments.storage.schema import SCHEMA_VERSION
from experiments.sweep.config import factor_values, network_seed
from experiments.variants.dataset import dataset_size


def write_configs(trained_configs, out_dir, engine, versions):
    """Write the rows and history of networks just trained, as one block.

    Args:
        trained_configs: list of (cfg, config_id, {replicate: (result, history, duration_s)}).
        out_dir: Results folder (a sweep, or a single run).
        engine: 'keras' or 'batched', stored in the `engine` column; or one of them per
            configuration (a list in the order of trained_configs).
        versions: {"tf_version": ..., "keras_version": ...} of the process that trained them.

    Returns:
        The runs DataFrame written (its rows only, not those stored before).
    """
    sweep, rows = Path(out_dir).name, []
    history = {name: [] for name in ("config_id", "replicate", "epoch", "metric", "value")}
    versions = {**versions, "schema_version": SCHEMA_VERSION}
    engines = [engine] * len(trained_configs) if isinstance(engine, str) else list(engine)
    for (cfg, cid, trained), engine in zip(trained_configs, engines, strict=True):
        common = {**factor_values(cfg), "n_samples": dataset_size(cfg.dataset), "sweep": sweep,
                  "config_id": cid, "claim": cfg.get("claim"), "engine": engine, **versions}
        for replicate, (result, hist, duration) in sorted(trained.items()):
            rows.append({**common, **result, "replicate": replicate,
                         "seed": network_seed(cfg, replicate), "duration_s": duration})
            if hist:  # columns, not a dict per value: a block's history has ~10^5 values
                epochs, metrics, values = zip(*hist)
                history["config_id"] += [cid] * len(hist)
                history["replicate"] += [replicate] * len(hist)
                history["epoch"] += epochs
                history["metric"] += metrics
                history["value"] += values
    runs = runs_frame(rows)
    write_block(runs, history_frame(history), out_dir)
    return runs
