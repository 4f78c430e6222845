"""The factor catalogue (experiments.factors) and everything derived from it."""

import math
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf, open_dict

from analysis import aggregate, reproduction, style
from analysis.load import load_runs
from experiments import factors
from experiments.factors import BY_COLUMN, FACTORS, REQUIRED
from experiments.storage import results, schema
from experiments.sweep.config import SPECIAL_READERS, check_factor, factor_values, validate
from experiments.variants.model import OUTPUT_LAYERS
from experiments.variants.registry import ConfigError

REPO = Path(__file__).resolve().parents[1]

# Columns schema 4 added; a schema-3 file has none of them.
NEW_COLUMNS = {
    "clipnorm": "float64",
    "target_scale": "float64",
    "target_shift": "float64",
    "model": "string",
    "batchnorm": "boolean",
    "conv_layers": "Int64",
    "filters": "Int64",
    "kernel_size": "Int64",
    "pooling": "string",
    "cell": "string",
    "units": "Int64",
    "layers": "Int64",
    "embedding": "Int64",
}
CNN_KEYS = ("conv_layers", "filters", "kernel_size", "pooling")
RNN_KEYS = ("cell", "units", "layers", "embedding")


def plain(row):
    """A row with NaN replaced by the text 'NaN' (NaN != NaN), for exact comparison."""
    return {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def frame(rows):
    """A typed runs frame of factor rows (with the identity columns every row has)."""
    ids = {"config_id": "c", "replicate": 0, "seed": 0, "status": "ok", "schema_version": 4}
    return results.runs_frame([{**ids, **row} for row in rows])


# the catalogue ----------------------------------------------------------------------------


def test_columns_are_unique_and_typed():
    names = [f.column for f in FACTORS]
    assert len(names) == len(set(names)) == len(BY_COLUMN)
    assert {f.dtype for f in FACTORS} <= {"string", "float64", "int64", "Int64", "boolean"}
    for factor in FACTORS:
        assert factor.display and factor.description, factor.column
        assert factor.option is None or factor.option in BY_COLUMN, factor.column
        if factor.absent is REQUIRED or factor.absent is None:
            continue
        if factor.dtype == "float64":
            assert isinstance(factor.absent, float), factor.column
        if factor.dtype == "boolean":
            assert isinstance(factor.absent, bool), factor.column


def test_group_key_and_per_option_bounds():
    depth = BY_COLUMN["depth"]
    assert (depth.group, depth.key) == ("model", "depth")
    assert depth.bounds("mlp") == (1, None) and depth.bounds("cnn") == (0, None)
    assert (BY_COLUMN["lr"].group, BY_COLUMN["lr"].key) == (None, "lr")
    assert BY_COLUMN["reg_strength"].bounds("dropout") == (0, 1)
    assert BY_COLUMN["reg_strength"].bounds("l2") == (0, None)


def test_output_layer_choices_are_the_models():
    assert BY_COLUMN["output_layer"].choices == OUTPUT_LAYERS


def test_special_readers_are_catalogue_factors():
    assert set(SPECIAL_READERS) == {"bias_init", "reg_strength", "n_samples"}
    assert set(SPECIAL_READERS) <= set(BY_COLUMN)


def test_missing_values():
    assert factors.missing_value("model") == "mlp"
    assert factors.missing_value("batchnorm") is False
    assert factors.missing_value("target_scale") == 1.0
    assert factors.missing_value("target_shift") == 0.0
    assert math.isnan(factors.missing_value("clipnorm"))
    assert factors.missing_value("conv_layers") is None
    assert factors.missing_value("seed_offset") == 0
    assert factors.missing_value("lr") is None  # every config defines it


# what reads it -----------------------------------------------------------------------------


def test_schema_factor_columns_are_the_catalogue():
    assert schema.FACTOR_COLUMNS == {f.column: f.dtype for f in FACTORS}
    assert list(schema.FACTOR_COLUMNS)[:3] == ["init", "init_value", "init_stddev"]
    for name, dtype in NEW_COLUMNS.items():
        assert schema.FACTOR_COLUMNS[name] == dtype, name
    assert schema.SCHEMA_VERSION == 4
    assert list(schema.all_columns())[: len(FACTORS)] == [f.column for f in FACTORS]


def test_display_names_come_from_the_catalogue():
    assert style.FACTOR_DISPLAY == {f.column: f.display for f in FACTORS}
    assert style.display_name("init") == "initializer"
    assert style.display_name("n_samples") == "training samples"
    assert style.display_name("batchnorm") == "batch normalization"
    assert style.display_name("clipnorm") == "gradient clipping norm"
    assert style.display_name("conv_layers") == "convolutional layers"
    assert style.display_name("cell") == "recurrent cell"
    assert style.display_name("embedding") == "embedding size"
    assert style.display_name("target_scale") == "target scale"


def test_option_of():
    assert aggregate.OPTION_OF == {
        "init_value": "init",
        "init_stddev": "init",
        "init_sigma_w": "init",
        "bias_value": "bias_init",
        "bias_stddev": "bias_init",
        "reg_strength": "regularization",
        **dict.fromkeys(["conv_layers", "filters", "kernel_size", "pooling", "cell", "units",
                         "layers", "embedding"], "model"),
    }


def test_reproduction_rebuilds_nodes_from_the_catalogue():
    assert reproduction.INIT_FIELDS == (("value", "init_value"), ("stddev", "init_stddev"),
                                        ("sigma_w", "init_sigma_w"))
    assert reproduction.BIAS_FIELDS == (("value", "bias_value"), ("stddev", "bias_stddev"))
    assert [key for key, _ in reproduction.DATASET_FIELDS] == [
        "n_samples", "eval_samples", "imbalance", "label_noise", "duplicate_share",
        "input_scale", "input_shift", "outliers", "target_scale", "target_shift"]
    row = pd.Series({"dataset": "moons", "n_samples": 64, "eval_samples": pd.NA,
                     "imbalance": math.nan, "label_noise": 0.1, "duplicate_share": 0.0,
                     "input_scale": 1.0, "input_shift": 0.0, "outliers": 0.0,
                     "target_scale": math.nan, "target_shift": math.nan})
    assert reproduction._node(row, "dataset", reproduction.DATASET_FIELDS) == {
        "name": "moons", "n_samples": 64, "eval_samples": None, "imbalance": None,
        "label_noise": 0.1, "duplicate_share": 0.0, "input_scale": 1.0, "input_shift": 0.0,
        "outliers": 0.0, "target_scale": 1.0, "target_shift": 0.0}


def test_columns_doc_lists_every_factor():
    doc = (REPO / "docs" / "columns.md").read_text()
    columns = doc[doc.index("## Factors"):doc.index("## Identity")]
    for factor in FACTORS:
        assert f"`{factor.column}`" in columns, factor.column


# factor_values -----------------------------------------------------------------------------


def test_factor_values_of_the_default_config(make_cfg):
    assert plain(factor_values(make_cfg())) == {
        "init": "glorot", "init_value": "NaN", "init_stddev": "NaN", "init_sigma_w": "NaN",
        "bias_init": "zeros", "bias_value": "NaN", "bias_stddev": "NaN", "use_bias": True,
        "output_layer": "same", "activation": "relu", "regularization": "none",
        "reg_strength": 0.0, "optimizer": "sgd", "lr": 0.01, "clipnorm": "NaN",
        "dataset": "moons", "n_samples": 1024, "eval_samples": None, "imbalance": "NaN",
        "label_noise": 0.0, "duplicate_share": 0.0, "input_scale": 1.0, "input_shift": 0.0,
        "outliers": 0.0, "target_scale": 1.0, "target_shift": 0.0, "model": "mlp",
        "depth": 1, "width": 10, "batchnorm": False, "conv_layers": None, "filters": None,
        "kernel_size": None, "pooling": None, "cell": None, "units": None, "layers": None,
        "embedding": None, "epochs": 20, "batch_size": 32, "seed_offset": 0, "tag": None,
    }


def test_factor_values_of_the_new_keys(make_cfg):
    row = factor_values(make_cfg("dataset=regression", "++optimizer.clipnorm=1",
                                 "++dataset.target_scale=100", "++dataset.target_shift=-3",
                                 "++model.batchnorm=true"))
    assert (row["clipnorm"], row["target_scale"], row["target_shift"]) == (1.0, 100.0, -3.0)
    assert isinstance(row["clipnorm"], float) and row["batchnorm"] is True
    assert math.isnan(factor_values(make_cfg("++optimizer.clipnorm=null"))["clipnorm"])


def test_factor_values_of_a_cnn_and_an_rnn(make_cfg):
    keys = ["model", "depth", "width", "batchnorm", *CNN_KEYS, *RNN_KEYS]
    cnn = factor_values(make_cfg("model=cnn", "model.filters=4"))
    assert {k: cnn[k] for k in keys} == {
        "model": "cnn", "depth": 1, "width": 32, "batchnorm": False, "conv_layers": 2,
        "filters": 4, "kernel_size": 3, "pooling": "max", "cell": None, "units": None,
        "layers": None, "embedding": None}
    rnn = factor_values(make_cfg("model=rnn", "model.cell=gru", "model.embedding=8"))
    assert {k: rnn[k] for k in keys} == {
        "model": "rnn", "depth": 0, "width": 16, "batchnorm": False, "conv_layers": None,
        "filters": None, "kernel_size": None, "pooling": None, "cell": "gru", "units": 16,
        "layers": 1, "embedding": 8}
    df = frame([cnn, rnn])
    assert df["conv_layers"].dtype == "Int64" and df["conv_layers"].tolist()[0] == 2
    assert df["conv_layers"].isna().tolist() == [False, True]
    assert df["embedding"].isna().tolist() == [True, False]
    assert df["pooling"].tolist()[0] == "max" and df["model"].tolist() == ["cnn", "rnn"]
    assert df["batchnorm"].tolist() == [False, False]


# validate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ("model=cnn model.conv_layers=0", "model.conv_layers=0: must be an integer >= 1"),
        ("model=cnn model.conv_layers=null", "model.conv_layers=None: must be an integer >= 1"),
        ("model=cnn model.filters=0", "model.filters=0: must be an integer >= 1"),
        ("model=cnn model.kernel_size=2.5", "model.kernel_size=2.5: must be an integer >= 1"),
        ("model=cnn model.pooling=min", "model.pooling='min': allowed: max, average, none"),
        ("model=cnn model.depth=-1", "model.depth=-1: must be an integer >= 0"),
        ("model=rnn model.cell=rnn", "model.cell='rnn': allowed: lstm, gru, simple"),
        ("model=rnn model.units=0", "model.units=0: must be an integer >= 1"),
        ("model=rnn model.layers=-1", "model.layers=-1: must be an integer >= 1"),
        ("model=rnn model.embedding=0", "model.embedding=0: must be an integer >= 1"),
        ("model=rnn model.depth=1.5", "model.depth=1.5: must be an integer >= 0"),
        ("model.batchnorm=3", "model.batchnorm=3: must be true or false"),
        ("model.depth=0", "model.depth=0: must be an integer >= 1"),  # an mlp
        ("++optimizer.clipnorm=0", "optimizer.clipnorm=0: must be a number > 0"),
        ("++optimizer.clipnorm=abc", "optimizer.clipnorm='abc': must be a number > 0"),
        ("++dataset.target_scale=0", "dataset.target_scale=0: must be a number > 0"),
        ("++dataset.target_shift=abc", "dataset.target_shift='abc': must be a number"),
    ],
)
def test_new_factors_refused_in_one_line(make_cfg, overrides, message):
    with pytest.raises(ConfigError) as err:
        validate(make_cfg(*overrides.split()))
    assert str(err.value) == message


@pytest.mark.parametrize(
    "overrides",
    ["model=rnn model.embedding=null dataset=sine_forecast",
     "model=rnn model.depth=0 dataset=sine_forecast", "model=cnn model.depth=0 dataset=shapes",
     "model=cnn model.pooling=none dataset=shapes",
     "model=rnn model.cell=simple dataset=sine_forecast", "model.batchnorm=true",
     "++optimizer.clipnorm=null", "++optimizer.clipnorm=0.5",
     "dataset=regression ++dataset.target_shift=-2",
     "dataset=regression ++dataset.target_scale=1000"],
)
def test_new_factors_accepted(make_cfg, overrides):
    validate(make_cfg(*overrides.split()))


def test_per_option_depth_bound_reads_the_node_option():
    depth = BY_COLUMN["depth"]
    check_factor(OmegaConf.create({"model": {"name": "cnn", "depth": 0}}), depth)
    with pytest.raises(ConfigError, match=r"^model.depth=0: must be an integer >= 1$"):
        check_factor(OmegaConf.create({"model": {"name": "mlp", "depth": 0}}), depth)


def test_a_required_factor_missing_is_named(make_cfg):
    cfg = make_cfg()
    with open_dict(cfg):
        del cfg["lr"]
    with pytest.raises(ConfigError, match=r"^lr: missing; must be a number > 0$"):
        validate(cfg)


# older results files -----------------------------------------------------------------------


def test_schema_3_files_load_with_the_new_columns_filled(tmp_path, make_cfg):
    rows = [{**factor_values(make_cfg(f"lr={lr}")), "config_id": f"c{i}", "collapsed": i == 0,
             "rel_output_std": 0.5, "schema_version": 3} for i, lr in enumerate((0.1, 0.01))]
    old = frame(rows).drop(columns=list(NEW_COLUMNS))
    (tmp_path / "runs").mkdir()
    old.to_parquet(tmp_path / "runs" / "old.parquet", index=False)
    df = load_runs(tmp_path)
    assert set(schema.all_columns()) <= set(df.columns)
    assert df["model"].tolist() == ["mlp", "mlp"] and df["model"].dtype == "string"
    assert df["batchnorm"].tolist() == [False, False] and df["batchnorm"].dtype == "boolean"
    assert df["target_scale"].tolist() == [1.0, 1.0] and df["target_shift"].tolist() == [0, 0]
    assert df["clipnorm"].isna().all() and df["clipnorm"].dtype == "float64"
    assert df["conv_layers"].isna().all() and df["conv_layers"].dtype == "Int64"
    assert df["pooling"].isna().all() and df["pooling"].dtype == "string"
    assert aggregate.varied_factors(df) == ["lr"]
    assert aggregate.collapse_rate(df) == 0.5


def test_sweeping_the_model_leaves_out_its_parameters(make_cfg):
    rows = [factor_values(make_cfg(f"model={name}", "model.depth=1", "model.width=10"))
            for name in ("mlp", "cnn")]
    assert aggregate.varied_factors(frame(rows)) == ["model"]
