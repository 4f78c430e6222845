"""What one Hydra job does: resolve its output folder, train, write rows, print a summary.

TensorFlow is imported only here, inside `main`, once the job is about to train: `--help`, a
bad value and an unknown option answer without it.
"""

import logging
import sys

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from experiments.variants.registry import ConfigError

log = logging.getLogger(__name__)


def results_dir():
    """The sweep folder in a multirun, the run folder otherwise."""
    hc = HydraConfig.get()
    return hc.sweep.dir if hc.mode == RunMode.MULTIRUN else hc.run.dir


def main(cfg):
    """Hydra task function. Returns the number of collapsed networks of this configuration."""
    from experiments.sweep.runner import collapsed_count, describe, run_config

    try:
        frame = run_config(cfg, results_dir())
    except ConfigError as exc:
        print(f"collapse-lab: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # a full disk: one line, exit 1 (a sweep stops at it)
        from experiments import faults

        faults.stop(faults.write_failed(exc, results_dir()))
    collapsed = collapsed_count(frame)
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        log.info("config %s: %d/%d collapsed", frame["config_id"].iat[0], collapsed, len(frame))
    else:
        print(describe(frame))
        print(f"results: {results_dir()}/runs/ (config_id {frame['config_id'].iat[0]})")
    return collapsed
