"""The default launcher of `python run.py -m`: check everything, then train networks together.

1. Take every job's configuration from the `collapse` sweeper, which composed and validated
   them (experiments.sweep.compose); with another sweeper, compose and validate them here. A bad
   value stops the sweep with one line before anything is trained.
2. Skip the replicates already stored in the sweep folder (resume); the `collapse` sweeper has
   already checked the folder (another sweep, unreadable files, `fresh=true`).
3. With `engine=batched` (default), train the missing networks in blocks with the batched
   engine, locally or as Ray tasks (`executor=ray`), writing each block's rows as it finishes.
   Each job then reports its outcome without a folder of its own: Hydra's per-job folder, log
   and YAML files are made only for a job whose networks failed (its log holds the
   tracebacks). `engine=keras` runs each job through Hydra's `run_job` (its folder, log and
   JobReturn) and trains one network at a time with Keras.
"""

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hydra.core.config_store import ConfigStore
from hydra.core.utils import (
    JobReturn,
    JobStatus,
    configure_log,
    filter_overrides,
    run_job,
    setup_globals,
)
from hydra.plugins.launcher import Launcher
from omegaconf import open_dict

log = logging.getLogger(__name__)
CHOICES = {"engine": ("batched", "keras"), "executor": ("local", "ray")}


@dataclass
class CollapseLauncherConf:
    _target_: str = "hydra_plugins.collapse_launcher.collapse_launcher.CollapseLauncher"
    engine: str = "batched"  # batched: networks train together; keras: one at a time
    executor: str = "local"  # local, or ray: each block of networks is one Ray task
    ray_address: Optional[str] = None  # None: start Ray on this machine; or a cluster address
    chunk_size: Optional[int] = None  # networks per computation; None: the engine decides
    block_networks: int = 2000  # networks per block (written as soon as trained)
    progress: bool = True  # progress bar on the terminal


ConfigStore.instance().store(group="hydra/launcher", name="collapse", node=CollapseLauncherConf)


def _stop(message):
    print(f"collapse-lab: {message}", file=sys.stderr)
    sys.exit(2)


class CollapseLauncher(Launcher):
    def __init__(self, engine="batched", executor="local", ray_address=None, chunk_size=None,
                 block_networks=2000, progress=True):
        for key, value in {"engine": engine, "executor": executor}.items():
            if value not in CHOICES[key]:
                _stop(f"hydra.launcher.{key}={value!r} is not an option; "
                      f"allowed: {', '.join(CHOICES[key])}")
        self.engine, self.executor, self.ray_address = engine, executor, ray_address
        self.chunk_size, self.block_networks, self.progress = chunk_size, block_networks, progress

    def setup(self, *, hydra_context, task_function, config):
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides, initial_job_idx, configs=None):
        """Run every job; `configs`: their validated configurations, if the sweeper has them."""
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        from experiments.sweep.compose import Composer, validate_jobs

        if configs is None:
            configs = validate_jobs(self.hydra_context.config_loader, self.config,
                                    job_overrides)
        self.composer = Composer(self.hydra_context.config_loader, self.config)
        sweep_dir = str(self.config.hydra.sweep.dir)
        Path(sweep_dir).mkdir(parents=True, exist_ok=True)
        if self.engine == "keras":
            log.info("Launching %d jobs locally", len(job_overrides))
            return [self._run_job(idx, overrides, self.task_function)
                    for idx, overrides in enumerate(job_overrides, initial_job_idx)]
        return self._launch_batched(job_overrides, configs, initial_job_idx, sweep_dir)

    def _run_job(self, idx, overrides, task):
        """One job through Hydra's run_job: its folder, log, YAML files and JobReturn."""
        log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
        cfg = self.composer.compose(list(overrides), hydra=True)
        with open_dict(cfg):
            cfg.hydra.job.id = idx
            cfg.hydra.job.num = idx
        ret = run_job(hydra_context=self.hydra_context, task_function=task, config=cfg,
                      job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return ret

    def _launch_batched(self, job_overrides, configs, initial_job_idx, sweep_dir):
        from experiments.sweep.config import config_id

        ids = [config_id(cfg) for cfg in configs]
        outcome = self._train_batched(configs, ids, sweep_dir)
        callbacks, returns, failed = self.hydra_context.callbacks, [], 0
        for idx, (overrides, cfg, cid) in enumerate(zip(job_overrides, configs, ids),
                                                    initial_job_idx):
            collapsed, traces = outcome.get(cid, (None, ()))
            if collapsed is None or traces:  # someone will read this job's log
                ret = self._run_job(idx, overrides, _reporter(outcome))
                failed += 1
            else:
                callbacks.on_job_start(config=cfg, task_function=self.task_function)
                ret = JobReturn(overrides=list(overrides), cfg=cfg, working_dir=sweep_dir,
                                task_name=self.config.hydra.job.name,
                                status=JobStatus.COMPLETED, _return_value=collapsed)
                callbacks.on_job_end(config=cfg, job_return=ret)
            returns.append(ret)
        log.info("%d jobs done%s", len(returns),
                 f"; {failed} with failed networks (see their logs in jobs/)" if failed else "")
        return returns

    def _stored(self, sweep_dir):
        """{config_id: stored replicates} of the sweep folder (the sweeper checked it)."""
        from experiments.storage import store

        try:
            rows = store.stored_runs(sweep_dir)
        except store.StoreError as exc:
            _stop(str(exc))
        collapsed = {} if rows is None else (
            rows["collapsed"].fillna(False).astype(bool).groupby(rows["config_id"]).sum())
        return store.stored_replicates(rows), collapsed

    def _train_batched(self, configs, ids, sweep_dir):
        """Train every missing network in blocks; {config_id: (collapsed, tracebacks)}."""
        from tqdm import tqdm

        from experiments.storage import store
        from experiments.sweep.blocks import make_blocks, train_block

        stored, stored_collapsed = self._stored(sweep_dir)
        pending, seen = [], set()
        for cfg, cid in zip(configs, ids):
            missing = store.missing_replicates(cfg, stored.get(cid))
            if missing and cid not in seen:  # two jobs of one configuration train it once
                pending.append((cfg, cid, missing))
            seen.add(cid)
        total = sum(len(m) for _, _, m in pending)
        skipped = sum(int(c.replicates) for c in configs) - total
        if skipped:
            log.info("resume: %d networks already stored, %d to train", skipped, total)
        log.info("Training %d networks of %d configurations (batched engine)", total, len(seen))
        blocks = make_blocks(pending, self.block_networks)
        new = {}
        with tqdm(total=total, unit="net", desc="training", disable=not self.progress,
                  file=sys.stderr) as bar:
            if self.executor == "ray":
                from experiments.sweep.ray_executor import run_blocks

                new.update(run_blocks(blocks, sweep_dir, self.chunk_size, bar.update,
                                      self.ray_address))
            else:
                for block in blocks:
                    new.update(train_block(block, sweep_dir, self.chunk_size, bar.update))
        outcome = {cid: (int(stored_collapsed.get(cid, 0)), []) for cid in stored}
        for cid, (collapsed, traces) in new.items():
            outcome[cid] = (outcome.get(cid, (0, []))[0] + collapsed, traces)
        return outcome


def _reporter(outcome):
    """A task function that reports, in the job's log, what was written for its job."""
    from experiments.sweep.config import config_id

    def report(cfg):
        cid = config_id(cfg)
        if cid not in outcome:
            raise RuntimeError(f"no rows were written for config {cid}: its block failed")
        collapsed, traces = outcome[cid]
        for trace in traces:
            log.error("a network of config %s failed:\n%s", cid, trace)
        log.info("config %s: %d/%d collapsed", cid, collapsed, cfg.replicates)
        return collapsed

    return report
