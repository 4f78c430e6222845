"""The theory presets at reduced size: each sweep writes its report section, its figure and
reproduction.csv with the documented columns (the shape of the result, not the numbers)."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import reproduction

ROOT = Path(__file__).resolve().parents[1]


def preset_sweep(tmp_path, preset, *overrides):
    out = tmp_path / preset
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", f"experiment={preset}", *overrides,
         "hydra.launcher.progress=false", f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(out / reproduction.CSV_NAME)
    assert list(table.columns) == reproduction.CSV_COLUMNS
    assert table["agrees"].isin([True, False]).all()
    html = (out / "report.html").read_text()
    assert '<section id="theory"><h2>Theory reproduced</h2>' in html
    return out, table, html


@pytest.mark.slow
def test_born_dead_preset(tmp_path):
    out, table, html = preset_sweep(tmp_path, "born_dead", "replicates=30",
                                    "theory_grid.depth=[1,8]", "theory_grid.width=[2,3]")
    assert set(table["paper"]) == {"lu2020"}
    assert sorted(table["quantity"].unique()) == ["p_born_dead", "p_born_dead_rai",
                                                  "p_float32_constant_rai"]
    bound = table[table["quantity"] == "p_born_dead"].set_index("condition")
    assert len(bound) == 4  # one row per (width, depth)
    assert bound.loc["width=2 depth=8", "theory"] == pytest.approx(1 - 0.75 ** 8)
    assert ((table["ci_low"] <= table["measured"]) & (table["measured"] <= table["ci_high"])).all()
    assert (out / "figures" / "reproduction_born_dead.png").stat().st_size > 1000
    assert "Born dead: Lu et al. 2020" in html
    assert "matches the engine's for 240 of 240 networks" in html  # redrawn = engine's


@pytest.mark.slow
def test_mean_field_preset(tmp_path):
    out, table, html = preset_sweep(
        tmp_path, "mean_field", "model.width=32", "theory_grid.activation=[tanh]",
        "theory_grid.sigma_b=[0.22360679774997896]",
        "theory_grid.sigma_w=[0.7071067811865476,1.5,2.0]", "theory_grid.depth=[1,8,16,32]",
        "theory_grid.replicates=2", "theory_grid.train_sigma_w=[1.0]",
        "theory_grid.train_depth=[2]", "theory_grid.train_replicates=1",
        "theory_grid.train_samples=64", "theory_grid.epochs=1")
    quantities = set(table["quantity"])
    assert {"critical_sigma_w2", "xi_c", "c_star", "trains_within_6_xi_c"} <= quantities
    critical = table[table["quantity"] == "critical_sigma_w2"].iloc[0]
    assert critical["paper"] == "poole2016"
    assert critical["condition"] == "activation=tanh sigma_b2=0.05"
    assert critical["theory"] == pytest.approx(1.761, abs=1e-3)
    assert 0.5 < critical["measured"] < 4.0
    for name in ("phase", "correlation"):
        assert (out / "figures" / f"reproduction_mean_field_{name}.png").exists()
    assert "Mean-field signal propagation" in html


@pytest.mark.slow
def test_deep_relu_init_preset(tmp_path):
    out, table, html = preset_sweep(
        tmp_path, "deep_relu_init", "theory_grid.width=16", "theory_grid.scale_depth=[1,6]",
        "theory_grid.scale_replicates=6", "theory_grid.train_depth=[3]",
        "theory_grid.train_replicates=1", "theory_grid.train_epochs=1")
    scale = table[table["quantity"] == "output_scale_glorot_over_he"].set_index("condition")
    assert len(scale) == 2 and set(table["paper"]) == {"he2015"}
    # regression (10 features) -> 16 x 6 -> 1: sqrt(10/26 * (16/32)^5 * 16/17)
    six = scale.index[scale.index.str.startswith("depth=6 ")][0]
    assert scale.loc[six, "theory"] == pytest.approx(np.sqrt(10 / 26 * 0.5 ** 5 * 16 / 17))
    assert set(table.loc[table["quantity"] == "loss_moves", "condition"]) == {
        "init=glorot depth=3", "init=he_normal depth=3"}
    assert (out / "figures" / "reproduction_deep_relu_init.png").exists()
    assert "Glorot against He" in html


def test_ordinary_sweeps_get_no_section(tmp_path):
    class Figures:
        folder = tmp_path / "figures"

    frame = pd.DataFrame({"claim": pd.array([None, "high_lr"], dtype="string")})
    assert reproduction.section(frame, Figures()) == ""
    assert not (tmp_path / reproduction.CSV_NAME).exists()


def test_fits_on_literal_data():
    # ln(1 - c) falling by 1/4 per layer: xi = 4; points outside the fit range are ignored
    depths = np.array([1, 2, 4, 8, 12, 16])
    assert reproduction.fit_xi(depths, 0.04 * np.exp(-depths / 4.0)) == pytest.approx(4.0)
    assert np.isnan(reproduction.fit_xi([1, 2], [0.01, 0.001]))
    # gain 0.5 at sigma_w^2 = 1 and 2 at 3: ln crosses 0 half way, at 2
    assert reproduction.critical_crossing([1.0, 3.0], [0.5, 2.0]) == pytest.approx(2.0)
    assert np.isnan(reproduction.critical_crossing([1.0, 3.0], [0.5, 0.9]))


def test_first_dead_layers_on_literal_networks():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    ident = (np.eye(2, dtype=np.float32), np.zeros(2, np.float32))
    negate = (-np.eye(2, dtype=np.float32), np.zeros(2, np.float32))
    # layer 1 passes the inputs (>= 0), layer 2 negates them: every output 0, dead at 2
    assert reproduction.first_dead_layers(x, [ident, negate, ident]) == (2, 2)
    # a signal far below float resolution: constant at layer 2, yet never dead
    tiny = (np.full((2, 2), 1e-30, np.float32), np.ones(2, np.float32))
    assert reproduction.first_dead_layers(x, [ident, tiny, ident]) == (0, 2)
    assert reproduction.first_dead_layers(x, [ident]) == (0, 0)


def test_compare_rates_by_fisher_exact():
    assert reproduction.compare_rates(10, 100, 40, 100) == "lower"  # p ~ 1e-6
    assert reproduction.compare_rates(40, 100, 10, 100) == "higher"
    assert reproduction.compare_rates(3, 10, 5, 10) == "inconclusive"  # p = 0.65
    assert reproduction.compare_rates(0, 50, 0, 80) == "same"
    assert reproduction.compare_rates(50, 50, 80, 80) == "same"


def test_map_one_minus_c_linear_by_hand():
    # linear activation: q* = sigma_b^2 / (1 - sigma_w^2), and 1 - c' = sigma_w^2 (1 - c)
    values = reproduction.map_one_minus_c("linear", 0.5, 0.1, [1, 2, 4], 0.96)
    assert values == pytest.approx([0.04, 0.02, 0.005])
    assert reproduction.fit_xi([1, 2, 4], values) == pytest.approx(1 / math.log(2))


def test_share_further_by_hand():
    # pairs (a > b): 3 > 1, 3 > 2, 2 > 1, 2 = 2 (half): 3.5 of 4
    assert reproduction.share_further([3.0, 2.0], [1.0, 2.0]) == pytest.approx(3.5 / 4)
    # a diverged network (-inf) falls least
    assert reproduction.share_further([-np.inf], [0.1]) == 0.0


def test_bootstrap_interval_covers_a_known_ratio_by_simulation():
    """scale_rows' statistic, sqrt(mean(a^2) / mean(b^2)), on normal samples of standard
    deviations 1 and 2 (truth 0.5), 40 networks each: the 95% interval holds the truth in
    at least 88 of 100 simulated grids (nominal 95; Monte Carlo sd ~2)."""
    rng = np.random.default_rng(0)

    def ratio(gs):
        return float(np.sqrt(np.mean(gs[0] ** 2) / np.mean(gs[1] ** 2)))

    hits = 0
    for _ in range(100):
        a, b = rng.normal(0, 1, 40), rng.normal(0, 2, 40)
        low, high = reproduction._bootstrap([a, b], ratio, rng)
        hits += low <= 0.5 <= high
    assert hits >= 88


def test_bootstrap_interval_of_a_constant_statistic_is_that_value():
    """He's loss fell further in every pair: every resample gives 1, so does the interval."""
    rng = np.random.default_rng(0)
    he, glorot = np.array([0.5, 0.6, 0.7]), np.array([0.0, 0.1, 0.2])
    assert reproduction._bootstrap(
        [he, glorot], lambda gs: reproduction.share_further(gs[0], gs[1]), rng) == (1.0, 1.0)
    assert all(math.isnan(v) for v in reproduction._bootstrap([he[:1], glorot], len, rng))
