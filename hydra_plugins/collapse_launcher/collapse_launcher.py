"""The default launcher of `python run.py -m`: validate every job, then train them together.

1. Compose and validate every job's configuration, so a bad value stops the sweep with one line
   before anything is trained.
2. With `hydra.launcher.engine=batched` (default), train every network of the sweep (jobs x
   replicates) with the batched engine, compatible networks as one computation, with a progress
   bar; `engine=keras` trains one network at a time with Keras instead.
3. Run each job through Hydra's own `run_job` (its usual folder, logs and JobReturn); with the
   batched engine the job only writes the rows already trained for it.
"""

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hydra.core.config_store import ConfigStore
from hydra.core.utils import configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from omegaconf import open_dict

log = logging.getLogger(__name__)
ENGINES = ("batched", "keras")


@dataclass
class CollapseLauncherConf:
    _target_: str = "hydra_plugins.collapse_launcher.collapse_launcher.CollapseLauncher"
    engine: str = "keras"  # batched: networks train together; keras: one at a time
    chunk_size: Optional[int] = None  # networks per computation; None: the engine decides
    progress: bool = True  # progress bar on the terminal


ConfigStore.instance().store(group="hydra/launcher", name="collapse", node=CollapseLauncherConf)


class CollapseLauncher(Launcher):
    def __init__(self, engine="batched", chunk_size=None, progress=True):
        if engine not in ENGINES:
            print(f"collapse-lab: hydra.launcher.engine={engine!r} is not an option; "
                  f"allowed: {', '.join(ENGINES)}", file=sys.stderr)
            sys.exit(2)
        self.engine, self.chunk_size, self.progress = engine, chunk_size, progress

    def setup(self, *, hydra_context, task_function, config):
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides, initial_job_idx):
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        configs = self._validated_configs(job_overrides)
        sweep_dir = str(self.config.hydra.sweep.dir)
        Path(sweep_dir).mkdir(parents=True, exist_ok=True)
        tasks = [self.task_function] * len(configs)
        if self.engine == "batched":
            tasks = [_writer(sweep_dir, t) for t in self._train_batched(configs)]
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

    def _validated_configs(self, job_overrides):
        from experiments.config import validate
        from experiments.registry import ConfigError

        loader = self.hydra_context.config_loader
        configs = [loader.load_sweep_config(self.config, list(o)) for o in job_overrides]
        for overrides, cfg in zip(job_overrides, configs):
            try:
                validate(cfg)
            except ConfigError as exc:
                job = " ".join(filter_overrides(overrides))
                print(f"collapse-lab: {exc} (job: {job}); nothing was trained", file=sys.stderr)
                sys.exit(2)
        return configs

    def _train_batched(self, configs):
        """Train every replicate of every job; one list of (result, history, s) per job."""
        from tqdm import tqdm

        from experiments.engine import train_many

        jobs = [(cfg, int(cfg.seed) + r) for cfg in configs for r in range(cfg.replicates)]
        start = time.perf_counter()
        with tqdm(total=len(jobs), unit="net", desc="training", disable=not self.progress,
                  file=sys.stderr) as bar:
            results = train_many(jobs, chunk_size=self.chunk_size, progress=bar.update)
        per_network = (time.perf_counter() - start) / max(len(jobs), 1)  # amortized
        log.info("trained %d networks in %.1f s", len(jobs), per_network * len(jobs))
        trained, done = [], 0
        for cfg in configs:
            part = results[done:done + cfg.replicates]
            trained.append([(result, hist, per_network) for result, hist in part])
            done += cfg.replicates
        return trained


def _writer(sweep_dir, trained):
    """A task function that writes one job's already-trained rows."""
    from experiments.runner import write_config

    def write(cfg):
        frame = write_config(cfg, sweep_dir, trained, engine="batched")
        return int(frame["collapsed"].fillna(False).sum())

    return write
