"""Entry point: train one configuration, or a grid with -m.

Examples:
    python run.py                                      # one configuration, prints its metrics
    python run.py -m init=constant,glorot lr=1e-5,10   # a sweep and its heatmap report

When the command has succeeded, its process ends at once (os._exit, after the exit handlers
and flushing the logs): the interpreter's own teardown would add ~0.5 s to every sweep.
"""

import atexit
import logging
import os
import sys
from pathlib import Path

import hydra

from experiments.cli import check_options, start_training_early


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def app(cfg):
    from experiments.main import main  # TensorFlow loads here, only when a job trains

    return main(cfg)


if __name__ == "__main__":
    check_options(sys.argv[1:], Path(__file__).resolve().parent / "conf")
    start_training_early(sys.argv[1:])  # TensorFlow loads in it while Hydra composes
    app()
    # Everything is written and the exit handlers run here; what is skipped is the
    # interpreter's teardown of pandas, matplotlib and pyarrow: ~0.5 s of every sweep.
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
