"""The default launcher of `python run.py -m`: check everything, then train networks together.

1. Compose and validate every job's configuration (the sweeper did too; other sweepers may
   not): a bad value stops the sweep with one line before anything is trained.
2. Skip the replicates already stored in the sweep folder (resume); the `collapse` sweeper has
   already checked the folder (another sweep, unreadable files, `fresh=true`).
3. With `engine=batched` (default), train the missing networks in blocks with the batched
   engine, locally or as Ray tasks (`executor=ray`), writing each block's rows as it finishes;
   `engine=keras` trains one network at a time with Keras.
4. Run each job through Hydra's own `run_job` (its usual folder, log and JobReturn); with the
   batched engine the job only reports what was written for it.
"""

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hydra.core.config_store import ConfigStore
from hydra.core.utils import configure_log, filter_overrides, run_job, setup_globals
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

    def launch(self, job_overrides, initial_job_idx):
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        from experiments.config import validate_jobs

        configs = validate_jobs(self.hydra_context.config_loader, self.config, job_overrides)
        sweep_dir = str(self.config.hydra.sweep.dir)
        Path(sweep_dir).mkdir(parents=True, exist_ok=True)
        stored = self._stored(sweep_dir)
        tasks = [self.task_function] * len(configs)
        if self.engine == "batched":
            tasks = [_reporter(self._train_batched(configs, stored, sweep_dir))] * len(configs)
        log.info("Launching %d jobs locally", len(job_overrides))
        runs = []
        for idx, (overrides, cfg, task) in enumerate(
            zip(job_overrides, configs, tasks), initial_job_idx
        ):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
            with open_dict(cfg):
                cfg.hydra.job.id = idx
                cfg.hydra.job.num = idx
            runs.append(run_job(hydra_context=self.hydra_context, task_function=task,
                                config=cfg, job_dir_key="hydra.sweep.dir",
                                job_subdir_key="hydra.sweep.subdir"))
            configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return runs

    def _stored(self, sweep_dir):
        """Rows already in the sweep folder, by config_id (the sweeper checked the folder)."""
        from experiments import store

        try:
            return store.stored_runs(sweep_dir)
        except store.StoreError as exc:
            _stop(str(exc))

    def _train_batched(self, configs, stored, sweep_dir):
        """Train every missing network in blocks; {config_id: (collapsed, tracebacks)}."""
        from tqdm import tqdm

        from experiments import store
        from experiments.blocks import make_blocks, train_block
        from experiments.config import config_id
        from experiments.runner import collapsed_count

        pending, outcome = [], {}
        for cfg in configs:
            cid = config_id(cfg)
            missing = store.missing_replicates(cfg, stored.get(cid))
            if missing:
                pending.append((cfg, missing))
            else:
                outcome[cid] = (collapsed_count(stored[cid]), [])
        total = sum(len(m) for _, m in pending)
        skipped = sum(int(c.replicates) for c in configs) - total
        if skipped:
            log.info("resume: %d networks already stored, %d to train", skipped, total)
        blocks = make_blocks(pending, self.block_networks)
        with tqdm(total=total, unit="net", desc="training", disable=not self.progress,
                  file=sys.stderr) as bar:
            if self.executor == "ray":
                from experiments.ray_executor import run_blocks

                outcome.update(run_blocks(blocks, sweep_dir, self.chunk_size, bar.update,
                                            self.ray_address))
            else:
                for block in blocks:
                    outcome.update(train_block(block, sweep_dir, self.chunk_size, bar.update))
        return outcome


def _reporter(outcome):
    """A task function that reports, in the job's log, what was written for its job."""
    from experiments.config import config_id

    def report(cfg):
        cid = config_id(cfg)
        if cid not in outcome:
            raise RuntimeError(f"no rows were written for config {cid}: its block failed")
        collapsed, traces = outcome[cid]
        for trace in traces:
            log.error("a network of config %s failed:\n%s", cid, trace)
        log.info("config %s: %d/%d collapsed", cid, collapsed, cfg.replicates)
        return outcome

    return report
