"""Config groups, registries and validation."""

from pathlib import Path

import pytest
import yaml

from experiments.sweep.config import REGISTRIES, config_id, factor_values, validate
from experiments.variants.registry import ConfigError

CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.mark.parametrize("group", sorted(REGISTRIES))
def test_yaml_options_and_registry_names_agree(group):
    files = sorted(p.stem for p in (CONF / group).glob("*.yaml") if not p.stem.startswith("_"))
    assert files == REGISTRIES[group].names()
    for stem in files:
        assert yaml.safe_load((CONF / group / f"{stem}.yaml").read_text())["name"] == stem


def test_defaults_reproduce_the_seed_network(make_cfg):
    cfg = make_cfg()
    validate(cfg)
    assert (cfg.model.depth, cfg.model.width) == (1, 10)
    assert (cfg.activation.name, cfg.init.name, cfg.optimizer.name) == ("relu", "glorot", "sgd")
    assert (cfg.dataset.name, cfg.replicates) == ("moons", 3)


# A dataset each model is defined on, and the model each kind of data takes by default.
DATA_FOR_MODEL = {"mlp": [], "cnn": ["dataset=digits_images"], "rnn": ["dataset=sine_forecast"]}
MODEL_FOR_KIND = {"table": [], "image": [], "sequence": ["model=rnn"],
                  "tokens": ["model=rnn", "model.embedding=8"]}


@pytest.mark.parametrize("group", sorted(REGISTRIES))
def test_every_option_composes_and_validates(make_cfg, group):
    from experiments.variants.dataset import dataset_kind

    for name in REGISTRIES[group].names():
        partner = (DATA_FOR_MODEL[name] if group == "model"
                   else MODEL_FOR_KIND[dataset_kind(name)] if group == "dataset" else [])
        validate(make_cfg(f"{group}={name}", *partner))


@pytest.mark.parametrize("overrides, message", [
    ("model=cnn", "model=cnn: not defined on table data; allowed datasets: image data"),
    ("dataset=tokens", "model=mlp: not defined on tokens data; allowed datasets: table or "
                       "image data"),
    ("model=rnn dataset=tokens", "model.embedding=null: token data needs an Embedding; "
                                 "allowed: an integer >= 1"),
    ("model=rnn dataset=sine_forecast model.embedding=4",
     "model.embedding=4: an Embedding takes token ids, not a series; allowed: null"),
    ("model=cnn dataset=shapes init=rai",
     "init=rai: draws Dense kernels only, not for model=cnn; allowed: any other initializer"),
    ("model=cnn dataset=shapes model.depth=0 regularization=dropout",
     "regularization=dropout: Dropout follows hidden Dense layers and model.depth=0 has none; "
     "allowed: model.depth >= 1, or another regularization"),
])
def test_a_model_not_defined_on_its_data_is_refused_in_one_line(make_cfg, overrides, message):
    with pytest.raises(ConfigError) as err:
        validate(make_cfg(*overrides.split()))
    assert str(err.value) == message


@pytest.mark.parametrize(
    "override, message",
    [
        ("lr=-1", "lr=-1: must be a number > 0"),
        ("lr=0", "lr=0: must be a number > 0"),
        ("lr=abc", "lr='abc': must be a number > 0"),
        ("model.width=0", "model.width=0: must be an integer >= 1"),
        ("model.depth=1.5", "model.depth=1.5: must be an integer >= 1"),
        ("dataset.imbalance=1.5", "dataset.imbalance=1.5: must be a number in (0, 1)"),
        ("dataset.imbalance=0", "dataset.imbalance=0: must be a number in (0, 1)"),
        ("dataset.label_noise=1", "dataset.label_noise=1: must be a number in [0, 1)"),
        ("regularization=dropout regularization.strength=1",
         "regularization.strength=1: must be a number in [0, 1)"),
        ("dataset.input_scale=0", "dataset.input_scale=0: must be a number > 0"),
        ("epochs=-1", "epochs=-1: must be an integer >= 0"),
        ("bias_init=normal bias_init.stddev=-1", "bias_init.stddev=-1: must be a number > 0"),
        ("bias_init=constant bias_init.value=abc",
         "bias_init.value='abc': must be a number"),
        ("init=variance_scaling init.sigma_w=0", "init.sigma_w=0: must be a number > 0"),
        ("init=rai bias_init=normal",
         "bias_init=normal: init=rai draws the biases itself; allowed: zeros (the default)"),
        ("init=rai model.use_bias=false",
         "model.use_bias=False: init=rai draws weights and biases together; allowed: true"),
        ("model.use_bias=3", "model.use_bias=3: must be true or false"),
        ("replicates=two", "replicates='two': must be an integer >= 1"),
        ("dataset=digits dataset.n_samples=5000",
         "dataset.n_samples=5000: digits has 1797 rows; allowed: 8..1797 or null (all)"),
        ("dataset=diabetes dataset.imbalance=0.1",
         "dataset.imbalance=0.1: diabetes is a regression set; allowed: null"),
    ],
)
def test_bad_values_give_one_line_naming_key_value_and_allowed(make_cfg, override, message):
    with pytest.raises(ConfigError) as err:
        validate(make_cfg(*override.split()))
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_unknown_option_lists_the_allowed_names():
    with pytest.raises(ConfigError, match=r"init='nope' is not an option; allowed: constant, "):
        REGISTRIES["init"].get("nope")


def test_config_id_ignores_seed_but_not_factors(make_cfg):
    base = config_id(make_cfg())
    assert config_id(make_cfg("seed=7", "replicates=5")) == base
    assert config_id(make_cfg("lr=0.1")) != base
    assert config_id(make_cfg("init=he_normal")) != base
    assert len(base) == 12 and config_id(make_cfg()) == base


def test_factor_values_are_flat_and_typed(make_cfg):
    row = factor_values(make_cfg("init=constant", "lr=1e-5", "regularization=l2"))
    assert row["init"] == "constant" and row["init_value"] == 0.5
    assert row["lr"] == 1e-5 and row["reg_strength"] == 0.01
    assert row["imbalance"] != row["imbalance"]  # NaN: not imbalanced
    assert (row["depth"], row["width"], row["epochs"], row["batch_size"]) == (1, 10, 20, 32)


def test_factor_values_of_bias_and_variance_scaling(make_cfg):
    row = factor_values(make_cfg("init=variance_scaling", "init.sigma_w=1.5", "bias_init=normal",
                                 "bias_init.stddev=0.2", "model.use_bias=false"))
    assert (row["init_sigma_w"], row["bias_init"], row["bias_stddev"]) == (1.5, "normal", 0.2)
    assert row["use_bias"] is False and row["bias_value"] != row["bias_value"]
    row = factor_values(make_cfg("init=rai"))
    assert row["bias_init"] == "rai" and row["init_sigma_w"] != row["init_sigma_w"]
    assert factor_values(make_cfg())["bias_init"] == "zeros"
    assert factor_values(make_cfg())["use_bias"] is True


def test_epochs_zero_is_allowed(make_cfg):
    validate(make_cfg("epochs=0"))


def test_columns_doc_lists_every_catalogue_metric():
    from pathlib import Path

    from experiments import catalogue

    doc = (Path(__file__).resolve().parents[1] / "docs" / "columns.md").read_text()
    columns = doc[doc.index("## Metrics"):]
    for metric in catalogue.METRICS:
        assert f"`{metric.name}`" in columns, metric.name
