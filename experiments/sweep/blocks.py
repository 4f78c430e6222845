"""Train a block of configurations and write their rows: with the batched engine, except the
configurations it does not take (engine.engine_supports), which train with Keras.

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
    """Train every missing replicate of a block, each configuration where it belongs: those the
    batched engine takes (engine.engine_supports) together with it, the others one network at
    a time with Keras (experiments.sweep.runner.train_replicates). If the engine fails, each
    of its configurations is tried alone, and one it fails on again trains with Keras, with an
    error in the log naming it. `chunk_budget`: bytes one chunk may use.

    Returns:
        (trained, engines, versions): trained lists {replicate: (result, history,
        duration_s)} in the block's order, engines the engine of each configuration ("batched"
        or "keras"), versions the library versions rows record; `write_block` writes them.
    """
    from experiments.training.engine import engine_supports

    trained, engines = [None] * len(block), ["keras"] * len(block)
    on_engine = [i for i, (cfg, _, _) in enumerate(block) if engine_supports(cfg)[0]]
    for i, networks in _train_batched(block, on_engine, chunk_size, progress,
                                      chunk_budget).items():
        trained[i], engines[i] = networks, "batched"
    for i, (cfg, _, replicates) in enumerate(block):
        if trained[i] is None:
            trained[i] = _train_keras(cfg, replicates)
            if progress is not None:
                progress(len(replicates))
    return trained, engines, library_versions()


def _train_keras(cfg, replicates):
    from experiments.sweep.runner import train_replicates

    return train_replicates(cfg, replicates)


def _train_batched(block, positions, chunk_size, progress, chunk_budget):
    """{position: {replicate: (result, history, duration_s)}} of the configurations at
    `positions` of the block, trained together by the engine; if it fails, each alone, and
    those it fails on again are left out (the caller trains them with Keras)."""
    if not positions:
        return {}
    train_many = load_engine()
    try:
        return _engine_run(train_many, block, positions, chunk_size, progress, chunk_budget)
    except Exception:  # noqa: BLE001  (each configuration is tried again alone)
        n = sum(len(block[i][2]) for i in positions)
        log.exception("the batched engine failed on %d configurations (%d networks) trained "
                      "together; trying each configuration alone", len(positions), n)
    out = {}
    for i in positions:
        try:
            out.update(_engine_run(train_many, block, [i], chunk_size, progress, chunk_budget))
        except Exception:  # noqa: BLE001  (the Keras path trains it, or records its error)
            cfg, cid, replicates = block[i]
            log.exception("the batched engine failed on config %s; its %d networks train with "
                          "Keras one at a time", cid, len(replicates))
    return out


def _engine_run(train_many, block, positions, chunk_size, progress, chunk_budget):
    """_train_batched's engine call on the configurations at `positions`; progress is taken
    back if it fails (the networks are counted again where they are trained)."""
    entries = [block[i] for i in positions]
    jobs = block_jobs(entries)
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
    except Exception:
        if progress is not None and reported:
            progress(-reported)
        raise
    per_network = (time.perf_counter() - start) / max(len(jobs), 1)  # amortized over them
    return {i: {r: tuple(next(results)[:2]) + (per_network,) for r in replicates}
            for i, (_, _, replicates) in zip(positions, entries, strict=True)}


def write_block(block, trained, engine, versions, out_dir):
    """Write what `train_block_rows` returned for `block` (no TensorFlow needed here);
    `engine`: each configuration's, or one for all.

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
