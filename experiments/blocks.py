"""Train a block of configurations with the batched engine and write their rows.

A block is a list of (config, missing replicates). Blocks are the unit of work of the
`collapse` launcher: written as soon as trained (so a killed sweep keeps every finished
block), and sent whole to a Ray task when `hydra.launcher.executor=ray`.
"""

import logging
import time

from experiments import store
from experiments.config import config_id
from experiments.runner import collapsed_count, train_replicates, write_config

log = logging.getLogger(__name__)

def make_blocks(pending, size):
    """Split [(cfg, replicates)] into blocks of about `size` networks, whole configs each.

    `size` is `hydra.launcher.block_networks`: it bounds the work a kill can lose.
    """
    blocks, block, count = [], [], 0
    for cfg, replicates in pending:
        if block and count + len(replicates) > size:
            blocks.append(block)
            block, count = [], 0
        block.append((cfg, replicates))
        count += len(replicates)
    return blocks + ([block] if block else [])


def train_block(block, out_dir, chunk_size=None, progress=None):
    """Train every missing replicate of a block together, then write each config's rows.

    Returns:
        {config_id: (number of collapsed networks, tracebacks of its failed networks)}.
    """
    from experiments.engine import train_many

    jobs = [(cfg, int(cfg.seed) + r) for cfg, replicates in block for r in replicates]
    start = time.perf_counter()
    try:
        results = iter(train_many(jobs, chunk_size=chunk_size, progress=progress))
        engine = "batched"
    except Exception:  # the Keras path records each network's own error, or trains it
        log.exception("batched engine failed on a block of %d networks; training them with "
                      "Keras one at a time", len(jobs))
        results = iter([trained for cfg, reps in block
                        for trained in train_replicates(cfg, reps).values()])
        engine = "keras"
    per_network = (time.perf_counter() - start) / max(len(jobs), 1)  # amortized over the block
    outcome = {}
    for cfg, replicates in block:
        cid = config_id(cfg)
        trained = {r: tuple(next(results)[:2]) + (per_network,) for r in replicates}
        frame = write_config(cfg, out_dir, trained, engine, store.stored_config(out_dir, cid))
        traces = [t[0].get("traceback") for t in trained.values() if t[0].get("traceback")]
        outcome[cid] = (collapsed_count(frame), traces)
    return outcome
