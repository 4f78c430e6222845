"""The default launcher of `python run.py -m`: Hydra's side of experiments.sweep.batched.

1. Take every job's configuration from the `collapse` sweeper, which composed and validated
   them (experiments.sweep.compose); with another sweeper, compose and validate them here. A
   bad value stops the sweep with one line before anything is trained.
2. With `engine=batched` (default), train the missing networks in blocks with the batched
   engine (experiments.sweep.batched): `executor=local` in a training process that run.py
   started before Hydra (or this launcher's setup, otherwise), so that TensorFlow loads while
   the jobs are composed (experiments.sweep.trainer); `executor=ray` as Ray tasks. Each job
   then reports its outcome without a folder of its own: Hydra's per-job folder, log and YAML
   files are made only for a job whose networks failed (its log holds the tracebacks).
   `engine=keras` runs each job through Hydra's `run_job` (its folder, log and JobReturn) and
   trains one network at a time with Keras.
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

from experiments import faults

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
    # memory the networks in training may take (GB); None: 80% of what the machine has free
    max_memory_gb: Optional[float] = None


ConfigStore.instance().store(group="hydra/launcher", name="collapse", node=CollapseLauncherConf)


def _stop(message):
    print(f"collapse-lab: {message}", file=sys.stderr)
    sys.exit(2)


class CollapseLauncher(Launcher):
    def __init__(self, engine="batched", executor="local", ray_address=None, chunk_size=None,
                 block_networks=2000, progress=True, max_memory_gb=None):
        for key, value in {"engine": engine, "executor": executor}.items():
            if value not in CHOICES[key]:
                _stop(f"hydra.launcher.{key}={value!r} is not an option; "
                      f"allowed: {', '.join(CHOICES[key])}")
        if max_memory_gb is not None and not (isinstance(max_memory_gb, (int, float))
                                              and max_memory_gb > 0):
            _stop(f"hydra.launcher.max_memory_gb={max_memory_gb!r}: must be a number > 0 "
                  "(or null: 80% of the memory the machine has available)")
        self.max_memory_gb = max_memory_gb
        self.engine, self.executor, self.ray_address = engine, executor, ray_address
        self.chunk_size, self.block_networks, self.progress = chunk_size, block_networks, progress

    def setup(self, *, hydra_context, task_function, config):
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function
        from experiments.sweep import trainer

        self.trainer = None
        if self.engine == "batched" and self.executor == "local":
            self.trainer = trainer.take()  # loads TensorFlow while the sweeper composes the jobs
        else:
            trainer.discard_early()

    def check_memory(self, job_overrides, configs):
        """Before anything is written: refuse a sweep one network of which cannot train
        within the memory budget (experiments.sweep.budget), with one line naming its job."""
        from experiments.sweep import budget
        from experiments.training import memory

        self.budget = budget.Budget.of(self.max_memory_gb)
        need = memory.least_bytes if self.engine == "batched" else memory.member_bytes
        try:
            budget.check(configs, self.budget, need)
        except budget.TooLarge as exc:
            job = " ".join(o for o in job_overrides[exc.index] if not o.startswith("hydra."))
            _stop(f"{exc} (job: {job}); nothing was trained")

    def launch(self, job_overrides, initial_job_idx, configs=None):
        """Run every job; `configs`: their validated configurations, if the sweeper has them."""
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        from experiments.sweep.compose import Composer, validate_jobs

        if configs is None:
            configs = validate_jobs(self.hydra_context.config_loader, self.config,
                                    job_overrides)
        if getattr(self, "budget", None) is None:  # not checked by the collapse sweeper
            self.check_memory(job_overrides, configs)
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

    def _train_batched(self, configs, ids, sweep_dir):
        """Train every missing network; {config_id: (collapsed, tracebacks)}."""
        from experiments.storage.store import StoreError
        from experiments.sweep.batched import train_sweep
        from experiments.sweep.budget import block_networks
        from experiments.sweep.trainer import TrainerDied

        if self.trainer is not None:
            def run_blocks(blocks, out_dir, progress):
                return self.trainer.run_blocks(blocks, out_dir, self.chunk_size, progress,
                                               self.budget.chunk)
        else:
            from experiments.sweep import ray_executor

            def run_blocks(blocks, out_dir, progress):
                return ray_executor.run_blocks(blocks, out_dir, self.chunk_size, progress,
                                               self.ray_address, self.budget.chunk)
        finished = False
        try:
            size = block_networks(configs, self.budget, self.block_networks)
            outcome = train_sweep(configs, ids, sweep_dir, run_blocks, size, self.progress)
            finished = True
            return outcome
        except StoreError as exc:
            _stop(str(exc))
        except TrainerDied as exc:
            faults.stop(f"{exc} ({faults.stored(sweep_dir)}): {faults.go_on(sweep_dir)}")
        finally:  # its memory is free before the report is made; no trainer outlives a fault
            if self.trainer is not None:
                self.trainer.close() if finished else self.trainer.stop()


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
