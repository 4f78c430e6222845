"""Shared fixtures: compose the project's Hydra config the way run.py does."""

import os
import shutil
import tempfile

import pytest
from hydra import compose, initialize
from hydra.core.global_hydra import GlobalHydra


def pytest_configure(config):
    """The engine's compile cache (experiments.training.engine.compile_cache) of this test run
    is its own, in a temporary folder, for every process the tests start."""
    if "COLLAPSE_XLA_CACHE" not in os.environ:
        config._xla_cache = tempfile.mkdtemp(prefix="collapse-xla-")
        os.environ["COLLAPSE_XLA_CACHE"] = config._xla_cache


def pytest_unconfigure(config):
    folder = getattr(config, "_xla_cache", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("COLLAPSE_XLA_CACHE", None)


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
