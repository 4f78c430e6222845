"""The default launcher of `python run.py -m`.

It composes and validates every job's configuration before training any, so a bad value in a
sweep stops the sweep with one line before any work is done; then it runs the jobs in order.
"""

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.utils import configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from omegaconf import open_dict

log = logging.getLogger(__name__)


@dataclass
class CollapseLauncherConf:
    _target_: str = "hydra_plugins.collapse_launcher.collapse_launcher.CollapseLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="collapse", node=CollapseLauncherConf)


class CollapseLauncher(Launcher):
    def setup(self, *, hydra_context, task_function, config):
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides, initial_job_idx):
        from experiments.config import validate
        from experiments.registry import ConfigError

        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        loader = self.hydra_context.config_loader
        configs = [loader.load_sweep_config(self.config, list(o)) for o in job_overrides]
        for overrides, cfg in zip(job_overrides, configs):
            try:
                validate(cfg)
            except ConfigError as exc:
                job = " ".join(filter_overrides(overrides))
                print(f"collapse-lab: {exc} (job: {job}); nothing was trained", file=sys.stderr)
                sys.exit(2)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        log.info("Launching %d jobs locally", len(job_overrides))
        runs = []
        for idx, (overrides, cfg) in enumerate(zip(job_overrides, configs), initial_job_idx):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
            with open_dict(cfg):
                cfg.hydra.job.id = idx
                cfg.hydra.job.num = idx
            runs.append(run_job(hydra_context=self.hydra_context,
                                task_function=self.task_function, config=cfg,
                                job_dir_key="hydra.sweep.dir",
                                job_subdir_key="hydra.sweep.subdir"))
            configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return runs
