"""The default sweeper of `python run.py -m`: Hydra's grid, or a union of grids.

Without `grids` it sweeps the product of the command line's values, as Hydra's basic sweeper
does. With `grids` (a list of `{name, grid}` entries, as experiment presets write them; a
`grid` may itself be a list of grids) it sweeps the union of each grid's product, crossed with
the command line, and sets `tag_key` to the entry's name in every job of that grid. Every job is
composed and validated once (experiments.sweep.compose), before anything is written; all jobs go to
the launcher in one call, so the batched engine sees the whole sweep.

Example (conf/experiment/seed_claims.yaml):
    hydra:
      sweeper:
        grids: ${claims}    # each claim: {id: ..., grid: {init: [constant, glorot], ...}}
"""

import itertools
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.plugins.sweeper import Sweeper
from omegaconf import OmegaConf

from hydra_plugins.collapse_launcher.collapse_launcher import CollapseLauncher

log = logging.getLogger(__name__)


@dataclass
class CollapseSweeperConf:
    _target_: str = "hydra_plugins.collapse_sweeper.collapse_sweeper.CollapseSweeper"
    params: Optional[Dict[str, str]] = None  # like the basic sweeper's: key -> "a,b,c"
    grids: List[Any] = field(default_factory=list)  # [{id: name, grid: {key: [values]}}]
    tag_key: str = "claim"  # config key set to each grid's id


ConfigStore.instance().store(group="hydra/sweeper", name="collapse", node=CollapseSweeperConf)


def override_value(value):
    """A YAML value as a Hydra override value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and "${" in value:  # an interpolation with arguments: quoted,
        return f"'{value}'"  # the job's config resolves it
    return str(value)


def grid_jobs(grid):
    """Override lists of every point of one grid {key: [values]}, in key order."""
    keys = list(grid)
    values = [v if isinstance(v, (list, tuple)) else [v] for v in grid.values()]
    return [[f"{k}={override_value(v)}" for k, v in zip(keys, point)]
            for point in itertools.product(*values)]


class CollapseSweeper(Sweeper):
    def __init__(self, params=None, grids=(), tag_key="claim"):
        self.hydra_context = None
        self.params, self.tag_key = dict(params or {}), tag_key
        self.grids = [OmegaConf.to_container(g, resolve=False) if OmegaConf.is_config(g) else g
                      for g in grids]

    def setup(self, *, hydra_context, task_function, config):
        from hydra.core.plugins import Plugins

        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)

    def job_overrides(self, arguments):
        """Every job's override list: the command line's product, crossed with the grids."""
        loader = self.hydra_context.config_loader if self.hydra_context else None
        parser = OverridesParser.create(config_loader=loader)
        params = [f"{k}={v}" for k, v in self.params.items()] + list(arguments)
        base = BasicSweeper.split_arguments(parser.parse_overrides(params), None)[0]
        if not self.grids:
            return base
        jobs = []
        for entry in self.grids:
            if not entry.get("grid"):  # e.g. a diagnostic claim: it reads every row
                continue
            tag = [f"{self.tag_key}={entry['id']}"]
            grids = entry["grid"] if isinstance(entry["grid"], list) else [entry["grid"]]
            jobs += [b + point + tag for grid in grids for point in grid_jobs(grid) for b in base]
        return jobs

    def sweep(self, arguments):
        from experiments import faults
        from experiments.sweep.compose import validate_jobs

        jobs = self.job_overrides(arguments)
        configs = validate_jobs(self.hydra_context.config_loader, self.config, jobs)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        faults.SWEEP.folder = sweep_dir
        if isinstance(self.launcher, CollapseLauncher):  # before anything is written
            self.launcher.check_memory(jobs, configs)
        try:
            return [self._launch(jobs, configs, sweep_dir)]
        except OSError as exc:  # a full disk, at any write: one line, every block kept
            faults.stop(faults.write_failed(exc, sweep_dir))

    def _launch(self, jobs, configs, sweep_dir):
        from experiments.storage import atomic, store

        try:  # before anything is written into the folder
            store.prepare_folder(sweep_dir, list(self.config.hydra.overrides.task),
                                 fresh=bool(self.config.get("fresh")))
        except store.StoreError as exc:
            print(f"collapse-lab: {exc}", file=sys.stderr)
            sys.exit(2)
        atomic.write_text(sweep_dir / "multirun.yaml", OmegaConf.to_yaml(self.config))
        log.info("Sweep: %d jobs", len(jobs))
        if isinstance(self.launcher, CollapseLauncher):  # composed and checked once, above
            return self.launcher.launch(jobs, initial_job_idx=0, configs=configs)
        return self.launcher.launch(jobs, initial_job_idx=0)  # Hydra's launchers compose
