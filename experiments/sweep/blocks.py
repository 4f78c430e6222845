"""Train a block of configurations with the batched engine and write their rows.

A block is a list of (config, config_id, missing replicates). Blocks are the unit of work of
the `collapse` launcher: written as soon as trained, as one runs file and one history file (so a
killed sweep keeps every finished block), and sent whole to a Ray task when
`hydra.launcher.executor=ray`.
"""

import logging
import time

log = logging.getLogger(__name__)


def make_blocks(pending, size):
    """Deal [(cfg, config_id, replicates)] into blocks of about `size` networks, whole configs
    each.

    `size` is `hydra.launcher.block_networks`: it bounds the work a kill can lose. The
    configurations are dealt in turn (the i-th to block i mod n), not cut into runs of the
    sweep's order: every block then holds about the same share of each activation, optimizer
    and penalty, so the engine plans the same programs for every block of a grid and
    compiles them once, rather than anew for each block's own mix.
    """
    n_blocks = max(1, -(-sum(len(entry[2]) for entry in pending) // size))
    blocks = [pending[i::n_blocks] for i in range(n_blocks)]
    return [block for block in blocks if block]


def load_engine():
    """The batched engine's train_many (TensorFlow loads here)."""
    from experiments.training.engine import train_many

    return train_many


def block_jobs(block):
    """The (cfg, seed) of every network a block trains, in order."""
    from experiments.sweep.config import network_seed

    return [(cfg, network_seed(cfg, r)) for cfg, _, replicates in block for r in replicates]


def train_block(block, out_dir, chunk_size=None, progress=None, chunk_budget=None):
    """Train every missing replicate of a block together, then write the block's rows.

    Returns:
        {config_id: (number of collapsed networks among those just trained, tracebacks of its
        failed networks)}. `progress(n)` is called with the number of networks just finished.
    """
    return write_block(block, *train_block_rows(block, chunk_size, progress, chunk_budget),
                       out_dir)


def train_block_rows(block, chunk_size=None, progress=None, chunk_budget=None):
    """Train every missing replicate of a block together (the batched engine; Keras one
    network at a time if the engine fails); `chunk_budget`: bytes one chunk may use.

    Returns:
        (trained, engine, versions): trained lists {replicate: (result, history,
        duration_s)} in the block's order, engine is "batched" or "keras", versions the
        library versions rows record; `write_block` writes them.
    """
    train_many = load_engine()
    jobs = block_jobs(block)
    reported = 0

    def advance(done):  # the engine counts networks done so far; progress takes increments
        nonlocal reported
        if progress is not None:
            progress(done - reported)
        reported = done

    start = time.perf_counter()
    try:
        results = iter(train_many(jobs, chunk_size=chunk_size, progress=advance,
                                  chunk_budget=chunk_budget))
        engine = "batched"
    except Exception:  # the Keras path records each network's own error, or trains it
        from experiments.sweep.runner import train_replicates

        log.exception("batched engine failed on a block of %d networks; training them with "
                      "Keras one at a time", len(jobs))
        results = iter([trained for cfg, _, reps in block
                        for trained in train_replicates(cfg, reps).values()])
        engine = "keras"
    per_network = (time.perf_counter() - start) / max(len(jobs), 1)  # amortized over the block
    trained = [{r: tuple(next(results)[:2]) + (per_network,) for r in replicates}
               for _, _, replicates in block]
    return trained, engine, library_versions()


def write_block(block, trained, engine, versions, out_dir):
    """Write what `train_block_rows` returned for `block` (no TensorFlow needed here).

    Returns:
        train_block's outcome.
    """
    from experiments.sweep.rows import write_configs

    trained_configs = [(cfg, cid, networks)
                       for (cfg, cid, _), networks in zip(block, trained, strict=True)]
    runs = write_configs(trained_configs, out_dir, engine, versions)
    collapsed = runs["collapsed"].fillna(False).astype(bool).groupby(runs["config_id"]).sum()
    return {cid: (int(collapsed.get(cid, 0)),
                  [t[0]["traceback"] for t in networks.values() if t[0].get("traceback")])
            for _, cid, networks in trained_configs}


def library_versions():
    """The TensorFlow and Keras versions rows record (both are loaded with the engine)."""
    import keras
    import tensorflow as tf

    return {"tf_version": tf.__version__, "keras_version": keras.__version__}
