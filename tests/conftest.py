"""Shared fixtures: compose the project's Hydra config the way run.py does."""

import pytest
from hydra import compose, initialize
from hydra.core.global_hydra import GlobalHydra


@pytest.fixture
def make_cfg():
    """make_cfg(*overrides) -> composed config (as `python run.py overrides...` would see it)."""

    def make(*overrides):
        GlobalHydra.instance().clear()
        with initialize(version_base="1.3", config_path="../conf"):
            return compose(config_name="config", overrides=list(overrides))

    yield make
    GlobalHydra.instance().clear()


# A network small enough to train in a fraction of a second.
TINY = ["epochs=2", "dataset.n_samples=64", "replicates=2", "batch_size=16"]
