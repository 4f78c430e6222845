"""Blocks of networks as Ray tasks: each task trains one block and writes its own Parquet files.

    python run.py -m init=zeros,glorot lr=0.1,1 hydra.launcher.executor=ray
    python run.py -m ... hydra.launcher.executor=ray hydra.launcher.ray_address=auto  # a cluster

The driver shows progress as blocks finish and collects failures; a failed block leaves its
jobs without rows (they are reported as failed jobs), the others are kept.
"""

import logging

log = logging.getLogger(__name__)


def _train_block_task(block, out_dir, chunk_size, chunk_budget):
    from experiments.sweep.blocks import train_block

    return train_block(block, out_dir, chunk_size, chunk_budget=chunk_budget)


def run_blocks(blocks, out_dir, chunk_size, progress, address=None, chunk_budget=None):
    """Train and write every block as a Ray task; train_block's outcome of those done."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(_train_block_task)
    sizes = {}
    for block in blocks:
        sizes[remote.remote(block, str(out_dir), chunk_size, chunk_budget)] = sum(
            len(r) for _, _, r in block)
    collapsed, pending = {}, list(sizes)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        for ref in done:
            try:
                collapsed.update(ray.get(ref))
            except ray.exceptions.RayError as exc:
                log.error("a Ray task of %d networks failed: %s", sizes[ref], exc)
            progress(sizes[ref])
    return collapsed
