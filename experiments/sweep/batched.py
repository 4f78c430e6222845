"""A sweep through the batched engine: skip what is stored, plan blocks, train, write.

The `collapse` launcher (hydra_plugins/collapse_launcher) adapts this to Hydra; the steps are:
  1. read the sweep folder: replicates already stored are not trained again (resume);
  2. the missing networks, each configuration once even if two jobs name it, in blocks of
     about `block_networks` networks (a kill loses at most the blocks in flight);
  3. train each block where the executor says and write its rows as soon as it is done:
     `local` in the training process (experiments.sweep.trainer), `ray` as Ray tasks.
"""

import logging
import sys

from experiments.storage import store
from experiments.sweep.blocks import make_blocks
from experiments.training.engine.support import keras_summary

log = logging.getLogger(__name__)


def _stored(sweep_dir):
    """({config_id: stored replicates}, {config_id: collapsed networks among them})."""
    rows = store.stored_runs(sweep_dir)
    collapsed = {} if rows is None else (
        rows["collapsed"].fillna(False).astype(bool).groupby(rows["config_id"]).sum())
    return store.stored_replicates(rows), collapsed


def pending_blocks(configs, ids, sweep_dir, block_networks):
    """(blocks to train, networks to train, {config_id: collapsed among those stored})."""
    stored, stored_collapsed = _stored(sweep_dir)
    pending, seen = [], set()
    for cfg, cid in zip(configs, ids, strict=True):
        missing = store.missing_replicates(cfg, stored.get(cid))
        if missing and cid not in seen:  # two jobs of one configuration train it once
            pending.append((cfg, cid, missing))
        seen.add(cid)
    total = sum(len(m) for _, _, m in pending)
    skipped = sum(int(c.replicates) for c in configs) - total
    if skipped:
        log.info("resume: %d networks already stored, %d to train", skipped, total)
    log.info("Training %d networks of %d configurations (batched engine)", total, len(seen))
    keras_line = keras_summary([cfg for cfg, _, _ in pending])  # the configurations it lacks
    if keras_line:
        log.info(keras_line)
    previous = {cid: int(stored_collapsed.get(cid, 0)) for cid in stored}
    return make_blocks(pending, block_networks), total, previous


def train_sweep(configs, ids, sweep_dir, run_blocks, block_networks, progress=True):
    """Train every missing network of a sweep.

    Args:
        configs, ids: Every job's resolved configuration and its config_id.
        sweep_dir: The sweep folder (checked by store.prepare_folder).
        run_blocks: `run_blocks(blocks, sweep_dir, progress)`: trains and writes the blocks,
            returns {config_id: (collapsed, tracebacks)} of those trained.
        block_networks: Networks per block.
        progress: Show a progress bar on the terminal.

    Returns:
        {config_id: (collapsed networks, tracebacks of failed networks)} over stored and new.

    Raises:
        store.StoreError: the folder's files cannot be read.
    """
    from tqdm import tqdm

    blocks, total, outcome = pending_blocks(configs, ids, sweep_dir, block_networks)
    with tqdm(total=total, unit="net", desc="training", disable=not progress,
              file=sys.stderr) as bar:
        new = run_blocks(blocks, sweep_dir, bar.update)
    result = {cid: (collapsed, []) for cid, collapsed in outcome.items()}
    for cid, (collapsed, traces) in new.items():
        result[cid] = (outcome.get(cid, 0) + collapsed, traces)
    return result
