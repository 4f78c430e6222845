"""Tests of the analysis layers on tiny literal frames with hand-computed answers."""

import base64
import hashlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import aggregate, plots, style
from analysis.load import load_history, load_runs
from analysis.report import main, write_report
from experiments.storage.schema import FACTOR_COLUMNS, HISTORY_COLUMNS, all_columns

REPO = Path(__file__).resolve().parents[1]

# Defaults of a plausible run; a column the schema gains later falls back to its dtype's default.
DEFAULTS = {
    "init": "glorot_uniform",
    "activation": "relu",
    "regularization": "none",
    "reg_strength": 0.0,
    "optimizer": "adam",
    "lr": 1e-3,
    "dataset": "moons",
    "n_samples": 256,
    "label_noise": 0.0,
    "duplicate_share": 0.0,
    "input_scale": 1.0,
    "input_shift": 0.0,
    "outliers": 0.0,
    "depth": 2,
    "width": 16,
    "epochs": 20,
    "batch_size": 32,
    "sweep": "test-sweep",
    "task": "binary",
    "engine": "keras",
    "status": "ok",
    "schema_version": 1,
}
DTYPE_DEFAULTS = {"string": None, "float64": math.nan, "int64": 0, "Int64": None, "boolean": None}


def run_row(**values):
    """One row with a value for every schema column; collapsed/rel_output_std follow status."""
    row = {name: DEFAULTS.get(name, DTYPE_DEFAULTS[dtype]) for name, dtype in all_columns().items()}
    row.update(values)
    if "collapsed" not in values:
        row["collapsed"] = {"diverged": False, "error": None}.get(row["status"], False)
    if "rel_output_std" not in values:
        row["rel_output_std"] = 0.5 if row["status"] == "ok" else math.nan
    if "config_id" not in values:
        key = repr([row[name] for name in FACTOR_COLUMNS])
        row["config_id"] = "c" + hashlib.md5(key.encode()).hexdigest()[:8]
    return row


def runs_frame(rows):
    """Frame with the schema's columns and dtypes from `run_row` dicts."""
    df = pd.DataFrame(rows, columns=list(all_columns()))
    return df.astype(all_columns())


def grid_rows():
    """2 x 2 grid (init x lr), 3 replicates each; collapsed counts 0, 1, 2, 2 per cell.

    Cell (zeros, 0.1) holds one diverged network (not collapsed); cell (glorot_uniform, 0.1) one
    extra failed run.
    """
    spec = {
        ("glorot_uniform", 0.001): [("ok", False, 0.9), ("ok", False, 0.7), ("ok", False, 0.8)],
        ("glorot_uniform", 0.1): [("ok", True, 0.0), ("ok", False, 0.5), ("ok", False, 0.6)],
        ("zeros", 0.001): [("ok", True, 0.0), ("ok", True, 0.001), ("ok", False, 0.4)],
        ("zeros", 0.1): [("ok", True, 0.0), ("ok", True, 0.002), ("diverged", False, math.nan)],
    }
    rows = []
    for (init, lr), replicates in spec.items():
        for replicate, (status, collapsed, spread) in enumerate(replicates):
            rows.append(
                run_row(
                    init=init,
                    lr=lr,
                    replicate=replicate,
                    seed=replicate,
                    status=status,
                    collapsed=collapsed,
                    rel_output_std=spread,
                )
            )
    rows.append(
        run_row(
            init="glorot_uniform",
            lr=0.1,
            replicate=3,
            status="error",
            error="ValueError: <bad> & worse",
        )
    )
    return rows


@pytest.fixture
def grid():
    return runs_frame(grid_rows())


def write_sweep(folder, df, n_files=2):
    """Lay out `folder/runs/*.parquet` from a runs frame, split over n_files files."""
    runs = folder / "runs"
    runs.mkdir(parents=True)
    for i, part in enumerate(np.array_split(np.arange(len(df)), n_files)):
        df.iloc[part].to_parquet(runs / f"job_{i:03d}.parquet", index=False)
    return folder


# aggregate ---------------------------------------------------------------------------------


def test_varied_factors_in_schema_order_and_nan_counts_as_a_value():
    df = runs_frame(
        [
            run_row(lr=0.1, init="constant", init_value=0.5),
            run_row(lr=0.01, init="glorot_uniform"),  # init_value NaN: a second value
        ]
    )
    # init_value only follows init here: not a factor of its own
    assert aggregate.varied_factors(df) == ["init", "lr"]
    two_values = runs_frame([run_row(init="constant", init_value=v) for v in (0.5, 1.0)])
    assert aggregate.varied_factors(two_values) == ["init_value"]
    mixed = runs_frame(
        [run_row(init="constant", init_value=v) for v in (0.5, 1.0)] + [run_row(init="zeros")]
    )
    assert aggregate.varied_factors(mixed) == ["init", "init_value"]
    assert aggregate.varied_factors(runs_frame([run_row(), run_row(replicate=1)])) == []


def test_collapse_rate_excludes_errors():
    df = runs_frame(
        [
            run_row(collapsed=True),
            run_row(collapsed=False),
            run_row(status="diverged"),  # counted, not collapsed
            run_row(status="error"),  # left out
        ]
    )
    assert aggregate.collapse_rate(df) == pytest.approx(1 / 3)


def test_collapse_rate_nan_when_everything_failed():
    assert math.isnan(aggregate.collapse_rate(runs_frame([run_row(status="error")])))


def test_diverged_row_is_not_counted_as_collapsed():
    df = runs_frame([run_row(status="diverged", collapsed=None), run_row(collapsed=True)])
    assert aggregate.collapse_rate(df) == pytest.approx(0.5)


def test_cell_table_on_two_by_two_grid(grid):
    cells = aggregate.cell_table(grid, "init", "lr").set_index(["init", "lr"])
    assert list(cells.index) == [
        ("glorot_uniform", 0.001),
        ("glorot_uniform", 0.1),
        ("zeros", 0.001),
        ("zeros", 0.1),
    ]
    assert list(cells["n"]) == [3, 3, 3, 3]
    assert cells["collapse_rate"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3])
    assert cells["median_rel_output_std"].tolist() == pytest.approx([0.8, 0.5, 0.001, 0.001])
    assert cells["diverged_share"].tolist() == pytest.approx([0, 0, 0, 1 / 3])
    assert list(cells["errors"]) == [0, 1, 0, 0]


def test_cell_table_missing_cells_stay_nan():
    df = runs_frame(
        [
            run_row(init="zeros", lr=0.1, collapsed=True, rel_output_std=0.0),
            run_row(init="glorot_uniform", lr=0.001, rel_output_std=0.5),
            run_row(init="he_normal", lr=0.1, status="diverged"),
            run_row(init="he_normal", lr=0.001, status="error"),
        ]
    )
    cells = aggregate.cell_table(df, "init", "lr").set_index(["init", "lr"])
    assert len(cells) == 6  # full 3 x 2 grid
    empty = cells.loc[("zeros", 0.001)]
    assert empty["n"] == 0 and empty["errors"] == 0
    assert math.isnan(empty["collapse_rate"]) and math.isnan(empty["median_rel_output_std"])
    assert math.isnan(empty["diverged_share"])
    failed = cells.loc[("he_normal", 0.001)]
    assert failed["n"] == 0 and failed["errors"] == 1 and math.isnan(failed["collapse_rate"])
    diverged = cells.loc[("he_normal", 0.1)]
    assert diverged["collapse_rate"] == 0.0 and diverged["diverged_share"] == 1.0
    assert math.isnan(diverged["median_rel_output_std"])


def test_cell_table_keeps_nan_factor_level():
    df = runs_frame(
        [
            run_row(init="constant", init_value=0.5, collapsed=True, rel_output_std=0.0),
            run_row(init="glorot_uniform", rel_output_std=0.7),
        ]
    )
    cells = aggregate.cell_table(df, "init", "init_value")
    assert len(cells) == 4
    assert cells["init_value"].isna().sum() == 2  # NaN is a level, placed last
    assert cells["n"].sum() == 2


def test_factor_ranking_order_and_effect(grid):
    ranking = aggregate.factor_ranking(grid, ["lr", "init"])
    assert list(ranking["factor"]) == ["init", "lr"]
    # init: glorot 1/6, zeros 4/6 -> 1/2; lr: 0.001 2/6, 0.1 3/6 -> 1/6.
    assert ranking["effect"].tolist() == pytest.approx([1 / 2, 1 / 6])
    top = ranking.iloc[0]
    assert top["highest_level"] == "zeros" and top["lowest_level"] == "glorot_uniform"
    assert top["highest_rate"] == pytest.approx(4 / 6)


def test_marginal_interval_contains_estimate(grid):
    marginal = aggregate.marginal_table(grid, "init")
    assert list(marginal["init"]) == ["glorot_uniform", "zeros"]
    assert list(marginal["n"]) == [6, 6]
    assert list(marginal["errors"]) == [1, 0]
    for row in marginal.itertuples():
        assert 0 <= row.ci_low <= row.collapse_rate <= row.ci_high <= 1
        assert row.ci_low < row.ci_high
    again = aggregate.marginal_table(grid, "init")
    assert again["ci_low"].tolist() == marginal["ci_low"].tolist()  # fixed seed


def test_marginal_interval_is_exact_when_all_collapsed():
    df = runs_frame(
        [run_row(lr=lr, collapsed=True, replicate=r) for lr in (0.1, 1.0) for r in range(3)]
    )
    marginal = aggregate.marginal_table(df, "lr")
    # Clopper-Pearson for 3/3: [0.025^(1/3), 1] = [0.2924, 1]; a bootstrap would say [1, 1]
    assert marginal["ci_low"].tolist() == pytest.approx([0.025 ** (1 / 3)] * 2, abs=1e-4)
    assert marginal["ci_high"].tolist() == [1.0, 1.0]


def test_factor_ranking_has_interval_of_the_range(grid):
    ranking = aggregate.factor_ranking(grid, ["lr", "init"]).set_index("factor")
    for factor in ("init", "lr"):
        row = ranking.loc[factor]
        assert 0 <= row["effect_low"] <= row["effect"] <= row["effect_high"] <= 1


def test_range_interval():
    # By hand: exact intervals at 97.5% (95% Bonferroni-corrected over 2 levels); with all n
    # networks collapsed the lower bound is 0.0125 ** (1 / n), with none the upper bound is
    # 1 - 0.0125 ** (1 / n).
    low, high = aggregate.range_interval([np.ones(40), np.zeros(50)])
    assert low == pytest.approx(0.0125 ** (1 / 40) - (1 - 0.0125 ** (1 / 50)))
    assert high == pytest.approx(1.0)
    # 4 against 5 networks cannot tell the levels apart: the interval starts at 0
    assert aggregate.range_interval([np.ones(4), np.zeros(5)]) == pytest.approx((0.0, 1.0))
    assert aggregate.range_interval([np.ones(3), np.ones(3)]) == pytest.approx(
        (0.0, 1 - 0.0125 ** (1 / 3)))
    assert aggregate.range_interval([np.ones(3), np.array([])]) == (0.0, 0.0)
    assert all(math.isnan(v) for v in aggregate.range_interval([np.array([])]))


@pytest.mark.parametrize("rates, truth", [([0.3] * 5, 0.0), ([0.2, 0.3, 0.3, 0.3, 0.4], 0.2)])
def test_range_interval_covers_the_true_range_by_simulation(rates, truth):
    """Levels of 60 networks each: the interval holds the true range (0 for a factor
    without effect) in at least 95% of 300 simulated sweeps."""
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(300):
        groups = [(rng.random(60) < p).astype(float) for p in rates]
        low, high = aggregate.range_interval(groups)
        hits += low <= truth <= high
    assert hits / 300 >= 0.95


def test_range_interval_finds_a_large_effect_by_simulation():
    """Rates 0.2 and 0.7, 100 networks each: the interval excludes 0 in nearly every sweep."""
    rng = np.random.default_rng(1)
    lows = [aggregate.range_interval([(rng.random(100) < p).astype(float)
                                      for p in (0.2, 0.7)])[0] for _ in range(300)]
    assert np.mean(np.array(lows) > 0) >= 0.95


def test_pair_interaction_zero_when_additive_positive_when_not():
    def cells(rates):
        return pd.DataFrame(
            {
                "a": ["x", "x", "y", "y"],
                "b": [1, 2, 1, 2],
                "n": [4, 4, 4, 4],
                "collapse_rate": rates,
            }
        )

    assert aggregate.pair_interaction(cells([0.0, 0.5, 0.25, 0.75]), "a", "b") == pytest.approx(0)
    assert aggregate.pair_interaction(cells([0.0, 0.0, 0.0, 1.0]), "a", "b") == pytest.approx(0.25)
    empty = cells([math.nan] * 4).assign(n=0)
    assert math.isnan(aggregate.pair_interaction(empty, "a", "b"))


def test_collapse_onset():
    df = runs_frame(
        [
            run_row(collapsed=True, collapsed_init=True),
            run_row(collapsed=True, collapsed_init=False),
            run_row(status="diverged", collapsed_init=False),
            run_row(collapsed=True, collapsed_init=None),
            run_row(collapsed=False, collapsed_init=True),  # recovered: not collapsed
            run_row(status="error", collapsed_init=True),
        ]
    )
    onset = aggregate.collapse_onset(df)
    assert onset == {  # the diverged network is not collapsed
        "collapsed": 3,
        "at_init": 1,
        "during_training": 1,
        "unknown": 1,
        "share_at_init": pytest.approx(1 / 2),
        "share_during_training": pytest.approx(1 / 2),
    }


def test_typical_run_is_the_median_network():
    df = runs_frame(
        [run_row(replicate=r, rel_output_std=v) for r, v in enumerate([0.9, 0.1, 0.5, 0.3])]
        + [run_row(replicate=9, status="diverged")]
    )
    assert aggregate.typical_run(df)["replicate"] == 3  # 0.3: lower middle of 0.1 0.3 0.5 0.9
    assert aggregate.typical_run(df.iloc[:3])["replicate"] == 2
    assert aggregate.typical_run(df.iloc[4:])["replicate"] == 9  # only NaN: still a network
    assert aggregate.typical_run(df.iloc[:0]) is None


def test_run_history_selects_one_network():
    history = pd.DataFrame(
        {
            "config_id": ["a", "a", "a", "b"],
            "replicate": [0, 0, 1, 0],
            "epoch": [1, 0, 0, 0],
            "metric": ["loss", "loss", "loss", "loss"],
            "value": [0.5, 0.7, 0.6, 0.1],
        }
    ).astype(HISTORY_COLUMNS)
    mine = aggregate.run_history(history, "a", 0)
    assert mine["epoch"].tolist() == [0, 1] and mine["value"].tolist() == [0.7, 0.5]


def test_summary_counts(grid):
    stats = aggregate.summary(grid)
    assert stats == {
        "networks": 13,
        "configurations": 4,
        "collapsed": 5,
        "diverged": 1,
        "errors": 1,
        "collapse_rate": pytest.approx(5 / 12),
    }


def test_config_table(grid):
    table = aggregate.config_table(grid, ["init", "lr"])
    assert list(table["init"]) == ["glorot_uniform", "glorot_uniform", "zeros", "zeros"]
    assert list(table["n"]) == [3, 3, 3, 3]
    assert table["collapse_rate"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3])
    assert list(table["ok"]) == [3, 3, 3, 2]
    assert list(table["diverged"]) == [0, 0, 0, 1]
    assert list(table["error"]) == [0, 1, 0, 0]


# load --------------------------------------------------------------------------------------


def test_load_runs_concatenates_files(tmp_path, grid):
    write_sweep(tmp_path, grid, n_files=3)
    df = load_runs(tmp_path)
    assert len(df) == len(grid)
    assert set(all_columns()) <= set(df.columns)
    assert aggregate.collapse_rate(df) == pytest.approx(5 / 12)


def test_load_runs_skips_truncated_file_and_leaves_it_alone(tmp_path, grid):
    write_sweep(tmp_path, grid, n_files=2)
    broken = tmp_path / "runs" / "job_001.parquet"
    truncated = broken.read_bytes()[:200]
    broken.write_bytes(truncated)
    with pytest.warns(UserWarning, match="job_001.parquet"):
        df = load_runs(tmp_path)
    assert len(df) == len(np.array_split(np.arange(len(grid)), 2)[0])
    assert broken.exists() and broken.read_bytes() == truncated


def test_load_runs_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_runs(tmp_path)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "job.parquet").write_bytes(b"not parquet")
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match="no readable"):
        load_runs(tmp_path)


def test_load_history_empty_and_filled(tmp_path):
    empty = load_history(tmp_path)
    assert list(empty.columns) == list(HISTORY_COLUMNS) and empty.empty
    (tmp_path / "history").mkdir()
    history = pd.DataFrame(
        {
            "config_id": ["a", "a"],
            "replicate": [0, 0],
            "epoch": [0, 1],
            "metric": ["loss", "loss"],
            "value": [0.7, 0.5],
        }
    )
    history.astype(HISTORY_COLUMNS).to_parquet(tmp_path / "history" / "a.parquet")
    assert load_history(tmp_path)["value"].tolist() == [0.7, 0.5]


# style and plots ---------------------------------------------------------------------------


def test_every_factor_has_a_display_name():
    assert set(FACTOR_COLUMNS) <= set(style.FACTOR_DISPLAY)
    assert style.display_name("lr") == "learning rate"
    assert style.display_name("rel_output_std") == "output spread / target spread"


@pytest.mark.parametrize(
    "value, text",
    [
        (1e-5, "1e-05"),
        (0.001, "0.001"),
        (10.0, "10"),
        (np.int64(32), "32"),
        ("relu", "relu"),
        (math.nan, "none"),
        (pd.NA, "none"),
    ],
)
def test_format_level(value, text):
    assert style.format_level(value) == text


def test_heatmap_marks_diverged_and_missing_cells():
    df = runs_frame(
        [
            run_row(init="zeros", lr=0.1, status="diverged"),
            run_row(init="zeros", lr=0.1, replicate=1, collapsed=True, rel_output_std=0.0),
            run_row(init="glorot_uniform", lr=0.001, rel_output_std=0.5),
        ]
    )
    cells = aggregate.cell_table(df, "init", "lr")
    fig = plots.collapse_heatmap(cells, "init", "lr")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "50%" + style.DIVERGED_MARK in texts  # 1 of 2 collapsed, the other diverged
    assert texts.count("no runs") == 2  # the two empty cells, not drawn as 0%
    assert "0%" in texts  # the one real zero
    ink = {t.get_text(): t.get_color() for t in ax.texts}
    assert ink["0%"] == ".15"  # dark ink on the palest colour, white on the darkest
    assert plots.collapse_heatmap(
        aggregate.cell_table(df[df["init"] == "zeros"].assign(collapsed=True), "init", "lr"),
        "init", "lr").axes[0].texts[0].get_color() == "w"
    assert ax.get_xlabel() == "learning rate" and ax.get_ylabel() == "initializer"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.1"]
    assert style.DIVERGED_MARK in ax.get_title()
    spread = plots.collapse_heatmap(cells, "init", "lr", value="median_rel_output_std")
    assert "output spread" in spread.axes[0].get_title()
    plots.plt.close("all")


def test_factor_bars_has_interval_per_level(grid):
    marginal = aggregate.marginal_table(grid, "lr")
    fig = plots.factor_bars(marginal, "lr")
    ax = fig.axes[0]
    assert len(ax.patches) == 2
    assert [p.get_height() for p in ax.patches] == pytest.approx([2 / 6, 3 / 6])
    assert ax.get_xlabel() == "learning rate"
    plots.plt.close(fig)


# report ------------------------------------------------------------------------------------


def images(text):
    """Decoded base64 PNGs embedded in a report."""
    found = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    return [base64.b64decode(data) for data in found]


def test_report_two_factors(tmp_path, grid):
    sweep = write_sweep(tmp_path / "sweep-a", grid)
    path = write_report(sweep)
    assert path == sweep / "report.html"
    text = path.read_text(encoding="utf-8")
    # the pair's two heatmaps (one figure), the factor importance and the threshold curve
    assert text.count("<img") == 3 and len(images(text)) == 3
    assert all(png.startswith(b"\x89PNG") for png in images(text))
    pngs = sorted((sweep / "figures").glob("*.png"))
    assert len(pngs) == 3
    assert (sweep / "figures" / "importance.png") in pngs
    assert (sweep / "figures" / "threshold.png") in pngs
    assert {p.read_bytes() for p in pngs} == set(images(text))
    assert "<h1>Collapse report: sweep-a</h1>" in text
    assert ("13 networks in 4 configurations; 5 collapsed (42%), 1 diverged, 1 failed.") in text
    assert "over the 12 networks that did not fail" in text
    assert "ValueError: &lt;bad&gt; &amp; worse" in text and "<bad>" not in text
    assert "initializer" in text and "learning rate" in text


def test_report_pairs_sorted_by_strongest_effect(tmp_path):
    rows = []
    for init in ("zeros", "glorot_uniform"):
        for lr in (0.001, 0.1):
            for depth in (2, 4):
                rows.append(
                    run_row(
                        init=init,
                        lr=lr,
                        depth=depth,
                        collapsed=init == "zeros",
                        rel_output_std=0.0 if init == "zeros" else 0.5,
                    )
                )
    sweep = write_sweep(tmp_path / "three", runs_frame(rows))
    text = write_report(sweep).read_text(encoding="utf-8")
    assert text.count("<img") == 5  # 3 pairs (2 heatmaps each) + importance + threshold
    assert len(list((sweep / "figures").glob("heatmap_*.png"))) == 3
    titles = re.findall(r"<h3>(.*?)</h3>", text)
    assert len(titles) == 3
    assert "initializer" in titles[0] and "initializer" in titles[1]  # range 1 before range 0
    assert "initializer" not in titles[2]


def test_report_caps_pair_heatmaps(tmp_path):
    rows = [
        run_row(
            init=init,
            lr=lr,
            depth=depth,
            width=width,
            label_noise=noise,
            collapsed=init == "zeros" and lr == 0.1,
            rel_output_std=0.0 if init == "zeros" and lr == 0.1 else 0.5,
        )
        for init in ("zeros", "glorot_uniform")
        for lr in (0.001, 0.1)
        for depth in (1, 2)
        for width in (4, 8)
        for noise in (0.0, 0.2)
    ]
    sweep = write_sweep(tmp_path / "five", runs_frame(rows))
    text = write_report(sweep).read_text(encoding="utf-8")
    titles = re.findall(r"<h3>(.*?)</h3>", text)
    assert len(titles) == 8  # of 10 pairs
    assert "2 more pairs were not drawn" in text
    assert "initializer" in titles[0] and "learning rate" in titles[0]  # the interaction
    assert len(list((sweep / "figures").glob("heatmap_*.png"))) == 8


def test_report_one_factor_draws_bars(tmp_path):
    rows = [
        run_row(lr=lr, replicate=r, collapsed=(lr == 1.0), rel_output_std=0.3)
        for lr in (0.01, 1.0)
        for r in range(2)
    ]
    sweep = write_sweep(tmp_path / "one", runs_frame(rows))
    text = write_report(sweep).read_text(encoding="utf-8")
    assert text.count("<img") == 2
    assert sorted(p.name for p in (sweep / "figures").glob("*.png")) == [
        "bars_lr.png", "threshold.png"]
    assert "4 networks in 2 configurations; 2 collapsed (50%), 0 diverged, 0 failed." in text
    assert "exact 95% interval" in text


def test_report_no_varied_factor(tmp_path):
    rows = [run_row(replicate=r, collapsed=r == 0, rel_output_std=0.2 * r) for r in range(3)]
    sweep = write_sweep(tmp_path / "single", runs_frame(rows), n_files=1)
    text = write_report(sweep).read_text(encoding="utf-8")
    assert text.count("<img") == 1  # the threshold curve only
    assert "The single configuration" in text
    assert "3 networks in 1 configurations; 1 collapsed (33%), 0 diverged, 0 failed." in text


def test_report_replaces_stale_figures(tmp_path, grid):
    sweep = write_sweep(tmp_path / "sweep", grid)
    (sweep / "figures").mkdir()
    (sweep / "figures" / "bars_depth.png").write_bytes(b"old")
    write_report(sweep)
    assert not (sweep / "figures" / "bars_depth.png").exists()


def test_cli_missing_folder_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err


def test_cli_writes_report_and_prints_path(tmp_path, grid):
    sweep = write_sweep(tmp_path / "cli", grid)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-m", "analysis.report", str(sweep)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(sweep / "report.html")
    assert (sweep / "report.html").exists()


FORKED_REPORT = """
import sys
from pathlib import Path
import pandas as pd
from analysis import figures, report
assert figures.can_fork()  # no TensorFlow in this process
folder = Path(sys.argv[1])
for parallel in (True, False):
    writer = figures.FigureWriter(folder / f"figures_{parallel}", parallel=parallel)
    df = pd.read_parquet(folder / "runs")
    html = writer.fill(report.build_html(df, "x", writer))
    (folder / f"report_{parallel}.html").write_text(html)
"""


def test_figures_rendered_in_forked_children_equal_those_rendered_here(tmp_path, grid):
    sweep = write_sweep(tmp_path / "sweep", grid)
    proc = subprocess.run([sys.executable, "-c", FORKED_REPORT, str(sweep)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    forked, here = (sorted((sweep / f"figures_{p}").glob("*.png")) for p in (True, False))
    assert [p.name for p in forked] == [p.name for p in here] and len(forked) == 3
    assert [p.read_bytes() for p in forked] == [p.read_bytes() for p in here]
    assert (sweep / "report_True.html").read_text() == (sweep / "report_False.html").read_text()
    assert "@@figure-" not in (sweep / "report_True.html").read_text()
