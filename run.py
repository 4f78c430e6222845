"""Entry point: train one configuration, or a grid with -m.

Examples:
    python run.py                                      # one configuration, prints its metrics
    python run.py -m init=constant,glorot lr=1e-5,10   # a sweep and its heatmap report
"""

import hydra

from experiments.main import main


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def app(cfg):
    return main(cfg)


if __name__ == "__main__":
    app()
