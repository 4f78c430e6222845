"""Entry point: train one configuration, or a grid with -m.

Examples:
    python run.py                                      # one configuration, prints its metrics
    python run.py -m init=constant,glorot lr=1e-5,10   # a sweep and its heatmap report

When the command has succeeded, its process ends at once (os._exit, after every other exit
handler): the interpreter's own teardown would add ~0.5 s to every sweep.
"""

import atexit
import logging
import os
import sys

_succeeded = False


def _end_at_once():
    """After a successful command, end the process as soon as every other exit handler has
    run (registered first, this one runs last: logging's, multiprocessing's, joblib's and
    Ray's come before it), skipping the interpreter's ~0.5 s teardown of pandas, matplotlib
    and pyarrow."""
    if _succeeded:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


atexit.register(_end_at_once)

from pathlib import Path  # noqa: E402

import hydra  # noqa: E402

from experiments.cli import check_options, start_training_early  # noqa: E402


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def app(cfg):
    from experiments.main import main  # TensorFlow loads here, only when a job trains

    return main(cfg)


if __name__ == "__main__":
    from experiments import faults

    faults.terminate_as_interrupt()  # SIGTERM stops as cleanly as Ctrl-C
    logging.raiseExceptions = False  # a log file on a full disk: no traceback per record
    try:
        check_options(sys.argv[1:], Path(__file__).resolve().parent / "conf")
        start_training_early(sys.argv[1:])  # TensorFlow loads in it while Hydra composes
        app()
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM: the training process is stopped
        faults.stop(faults.interrupted(interrupt), faults.exit_status(interrupt))
    _succeeded = True
