"""Entry point: train one configuration, or a grid with -m.

Examples:
    python run.py                                      # one configuration, prints its metrics
    python run.py -m init=constant,glorot lr=1e-5,10   # a sweep and its heatmap report
"""

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
