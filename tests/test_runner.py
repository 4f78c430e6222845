"""One configuration end to end in-process: rows, columns, files."""

import math

import pandas as pd
import pytest

from experiments.storage.schema import HISTORY_COLUMNS, all_columns
from experiments.sweep.runner import run_config
from tests.conftest import TINY


def test_rows_have_exactly_the_schema_columns_and_types(make_cfg, tmp_path):
    frame = run_config(make_cfg(*TINY), tmp_path)
    stored = pd.read_parquet(next((tmp_path / "runs").glob("*.parquet")))
    assert list(stored.columns) == list(all_columns())
    assert len(stored) == 2 and list(stored["replicate"]) == [0, 1]
    assert list(stored["seed"]) == [0, 1]
    assert (stored["status"] == "ok").all() and (stored["engine"] == "keras").all()
    assert stored["n_samples"].iat[0] == 64 and stored["task"].iat[0] == "binary"
    assert str(stored["collapsed"].dtype) == "boolean" and str(stored["lr"].dtype) == "float64"
    pd.testing.assert_frame_equal(stored, frame)
    assert not list(tmp_path.rglob("*.tmp"))  # written atomically: no temporary left


def test_history_has_every_epoch_from_initialization(make_cfg, tmp_path):
    run_config(make_cfg(*TINY), tmp_path)
    hist = pd.read_parquet(next((tmp_path / "history").glob("*.parquet")))
    assert list(hist.columns) == list(HISTORY_COLUMNS)
    losses = hist[(hist.metric == "loss") & (hist.replicate == 0)]
    assert list(losses.epoch) == [0, 1, 2]
    assert set(hist.metric) >= {"loss", "rel_output_std", "dead_fraction"}


def test_zeros_init_collapses_with_every_unit_dead(make_cfg, tmp_path):
    row = run_config(make_cfg(*TINY, "init=zeros"), tmp_path).iloc[0]
    assert row.collapsed and row.dead_fraction == 1.0 and row.weight_spread == 0.0
    assert row.rel_output_std < 0.01 and row.collapsed_init


def test_constant_init_makes_hidden_units_identical(make_cfg, tmp_path):
    row = run_config(make_cfg(*TINY, "init=constant"), tmp_path).iloc[0]
    assert row.neuron_similarity == pytest.approx(1.0, abs=1e-6)
    assert row.weight_spread == pytest.approx(0.0, abs=1e-7)


def test_a_diverging_network_is_a_row_not_a_crash(make_cfg, tmp_path):
    frame = run_config(
        make_cfg(*TINY, "dataset=regression", "activation=linear", "lr=1000", "init=he_normal"),
        tmp_path,
    )
    assert (frame["status"] == "diverged").all()
    assert frame["diverged"].all()
    assert not frame["collapsed"].any()  # divergence is an outcome of its own
    assert all(math.isnan(v) for v in frame["rel_output_std"])
