"""Jobs composed by experiments.sweep.compose equal Hydra's own composition of each job."""

import itertools
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException, MissingConfigException
from hydra.types import RunMode
from omegaconf import OmegaConf

from experiments.sweep.compose import Composer, unknown_option
from experiments.sweep.config import config_id

CONF = Path(__file__).resolve().parents[1] / "conf"

# 5 x 2 x 2 x 2 x 2 x 3 = 240 jobs: group choices (with defaults among them), an experiment
# preset (# @package _global_, overrides other groups), nested values, +key=value additions,
# ++key=value, a deletion.
INITS = ["init=zeros", "init=constant", "init=glorot", "init=he_normal", "init=random_normal"]
ACTIVATIONS = ["activation=tanh", "activation=relu"]
PRESETS = [[], ["experiment=seed_claims"]]
DATASETS = [["dataset=digits", "dataset.label_noise=0.2"], ["dataset.n_samples=16"]]
REGULARIZATION = [["regularization=l2", "regularization.strength=0.5"], []]
VALUES = [
    ["lr=1e-5", "+extra.note=added", "model.depth=3"],
    ["lr=10", "++seed=4", "~fresh"],
    ["init.value=2.5", "+claims_seen=[1,2]"] ,
]


def jobs():
    for init, act, preset, data, reg, values in itertools.product(
        INITS, ACTIVATIONS, PRESETS, DATASETS, REGULARIZATION, VALUES
    ):
        if "init.value" in values[0] and init != "init=constant":
            values = values[1:]  # only constant has a value to set
        yield [init, *preset, *data, act, *reg, *values]


@pytest.fixture(scope="module")
def hydra_loader():
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
        loader = GlobalHydra.instance().config_loader()
        sweep = loader.load_configuration(
            "config", ["hydra.sweep.dir=/tmp/unused", "init=zeros,glorot", "lr=0.1,1"],
            run_mode=RunMode.MULTIRUN)
        yield loader, sweep
    GlobalHydra.instance().clear()


def test_every_job_equals_hydras_own_composition(hydra_loader):
    loader, sweep = hydra_loader
    composer = Composer(loader, sweep)
    all_jobs = list(jobs())
    assert len(all_jobs) >= 200
    for overrides in all_jobs:
        expected = loader.load_sweep_config(sweep, overrides)
        full = composer.compose(overrides, hydra=True)
        task = composer.compose(overrides)
        assert OmegaConf.to_container(full) == OmegaConf.to_container(expected), overrides
        plain = {k: v for k, v in OmegaConf.to_container(expected).items() if k != "hydra"}
        assert OmegaConf.to_container(task) == plain, overrides
        resolved = OmegaConf.to_container(OmegaConf.masked_copy(expected, list(plain)),
                                          resolve=True)
        assert OmegaConf.to_container(task, resolve=True) == resolved, overrides
        fast = composer.compose_plain(overrides)
        assert fast == resolved, overrides
        assert fast.model.depth == resolved["model"]["depth"] and fast.get("claim") is None
        assert OmegaConf.is_struct(task) and OmegaConf.is_struct(full)
    # the work is shared: one Hydra composition per option, not per job
    assert len(composer._composed) < len(all_jobs) / 10


@pytest.mark.parametrize("overrides, error", [
    (["lr2=3"], ConfigCompositionException),  # not a key: Hydra asks for +lr2=3
    (["+lr=3"], ConfigCompositionException),  # already a key
    (["init=nope"], MissingConfigException),
])
def test_a_job_hydra_refuses_is_refused_the_same_way(hydra_loader, overrides, error):
    loader, sweep = hydra_loader
    with pytest.raises(error) as hydras:
        loader.load_sweep_config(sweep, overrides)
    for compose in (Composer(loader, sweep).compose, Composer(loader, sweep).compose_plain):
        with pytest.raises(error) as ours:
            compose(overrides)
        assert str(ours.value) == str(hydras.value)


def test_an_unknown_option_is_one_line_naming_group_value_and_options(hydra_loader):
    loader, sweep = hydra_loader
    with pytest.raises(MissingConfigException) as exc:
        Composer(loader, sweep).compose(["activation=nope"])
    message = str(unknown_option(exc.value))
    assert message.startswith("activation='nope' is not an option; allowed: elu, gelu, ")
    assert "\n" not in message


def test_a_plain_configuration_has_the_config_id_of_its_dictconfig(hydra_loader):
    loader, sweep = hydra_loader
    composer = Composer(loader, sweep)
    for overrides in list(jobs())[::7]:
        assert config_id(composer.compose_plain(overrides)) == config_id(
            loader.load_sweep_config(sweep, overrides)), overrides
