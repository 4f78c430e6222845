"""Tests of the claims analysis: the verdict rule on literal numbers, bootstrap intervals, filter
matching, reading claims from multirun.yaml, the claims table and the report's claims section."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis import aggregate, claims
from analysis.load import load_claims
from analysis.report import write_report
from experiments.schema import HISTORY_COLUMNS
from tests.test_analysis import run_row, runs_frame, write_sweep

# -- the verdict rule on literal numbers --------------------------------------------------------


def parts(*levels):
    """Per-level numbers: each level (effect, effect_low, effect_high, mechanism_low)."""
    return pd.DataFrame(
        levels, columns=["effect", "effect_low", "effect_high", "mechanism_low"]
    ).assign(level_text=[f"level{i}" for i in range(len(levels))])


NAN = math.nan


@pytest.mark.parametrize(
    "levels, expected",
    [
        pytest.param([(0.8, 0.5, 1.0, NAN)], "supported", id="significant-once"),
        pytest.param(
            [(0.8, 0.5, 1.0, NAN), (0.4, 0.1, 0.7, -0.1)], "supported", id="significant-all-levels"
        ),
        pytest.param(
            [(0.8, 0.5, 1.0, NAN), (0.1, -0.1, 0.3, NAN)], "partly supported", id="some-levels"
        ),
        pytest.param(
            [(0.0, 0.0, 0.0, 0.3), (0.0, 0.0, 0.0, -0.2)],
            "partly supported",
            id="mechanism-only",
        ),
        pytest.param([(-0.6, -0.9, -0.3, NAN)], "contradicted", id="reversed"),
        pytest.param([(-0.6, -0.9, -0.3, 0.5)], "contradicted", id="reversed-beats-mechanism-only"),
        pytest.param(
            [(0.8, 0.5, 1.0, NAN), (-0.6, -0.9, -0.3, NAN)],
            "partly supported",
            id="significant-and-reversed",
        ),
        pytest.param([(0.1, -0.2, 0.4, -0.1)], "not supported", id="no-difference"),
        pytest.param([(0.15, 0.05, 0.3, NAN)], "not supported", id="too-small-effect"),
        pytest.param([(-0.15, -0.3, -0.05, NAN)], "not supported", id="too-small-reversal"),
        pytest.param([(NAN, NAN, NAN, NAN)], "not supported", id="empty-group"),
    ],
)
def test_verdict_rule(levels, expected):
    word, reason = claims.verdict(parts(*levels))
    assert word == expected
    assert word in claims.VERDICTS and reason


def test_verdict_by_level_partial_names_the_levels():
    word, reason = claims.verdict(
        parts((1.0, 1.0, 1.0, NAN), (0.2, 0.0, 0.6, NAN), (0.0, 0.0, 0.0, NAN))
    )
    assert word == "partly supported"
    assert "1 of 3 levels (level0)" in reason


def test_verdict_empty_group_says_no_rows():
    assert claims.verdict(parts((NAN, NAN, NAN, NAN))) == ("not supported", "no rows to compare")


def test_effect_of_exactly_min_effect_counts_despite_rounding():
    effect = 0.6 - 0.4  # 0.19999999999999996
    assert claims.verdict(parts((effect, 0.05, 0.4, NAN)))[0] == "supported"


def test_rule_follows_its_constants(monkeypatch):
    numbers = parts((0.3, 0.1, 0.5, NAN))
    assert claims.verdict(numbers)[0] == "supported"
    assert "20 percentage points" in claims.rule_description()
    monkeypatch.setattr(claims, "MIN_EFFECT", 0.5)
    assert claims.verdict(numbers)[0] == "not supported"
    text = claims.rule_description()
    assert "50 percentage points" in text and "2000 resamples" in text
    for word in claims.VERDICTS:
        assert f"'{word}'" in text


# -- bootstrap intervals ---------------------------------------------------------------------


def test_rate_interval_contains_estimate_and_narrows_with_more_rows():
    few = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    many = np.tile(few, 10)
    low, high = claims.rate_interval(few)
    assert low <= few.mean() <= high
    low_many, high_many = claims.rate_interval(many)
    assert low_many <= many.mean() <= high_many
    assert high_many - low_many < high - low
    assert claims.rate_interval(few) == (low, high)  # fixed seed


def test_rate_interval_all_collapsed_and_empty():
    assert claims.rate_interval(np.ones(7)) == (1.0, 1.0)
    assert all(math.isnan(v) for v in claims.rate_interval(np.array([])))


def test_difference_interval():
    cause = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    control = np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    low, high = claims.difference_interval(cause, control)
    assert low <= cause.mean() - control.mean() <= high
    assert claims.difference_interval(np.ones(4), np.zeros(3)) == (1.0, 1.0)
    flipped = claims.difference_interval(
        np.array([0.1, 0.2]), np.array([0.5, 0.6]), statistic=np.median, sign=-1.0
    )
    assert flipped[0] > 0  # the cause lowers the metric, as a 'lower' claim says
    assert all(math.isnan(v) for v in claims.difference_interval(np.array([]), np.ones(2)))


# -- filters -----------------------------------------------------------------------------------


def test_match_string_float_null_and_list():
    df = runs_frame(
        [
            run_row(init="constant", lr=1e-5, imbalance=0.02),
            run_row(init="glorot", lr=1.0000000000001e-5),
            run_row(init="he_normal", lr=1.001e-5),
            run_row(init=None, lr=0.0),
        ]
    )
    assert claims.match(df["init"], "constant").tolist() == [True, False, False, False]
    assert claims.match(df["lr"], 1e-5).tolist() == [True, True, False, False]
    assert claims.match(df["lr"], "1e-5").tolist() == [True, True, False, False]  # YAML 1.1
    assert claims.match(df["lr"], 0).tolist() == [False, False, False, True]
    assert claims.match(df["imbalance"], None).tolist() == [False, True, True, True]
    assert claims.match(df["init"], None).tolist() == [False, False, False, True]
    assert claims.match(df["init"], ["glorot", "he_normal"]).tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert claims.match(df["imbalance"], [0.02, None]).all()
    both = claims.select(df, {"init": ["constant", "glorot"], "lr": 1e-5})
    assert both.tolist() == [True, True, False, False]


def test_check_claim_names_the_bad_key():
    columns = runs_frame([run_row()]).columns
    with pytest.raises(ValueError, match="claim 'x'.*'nonsense'"):
        claims.check_claim({"id": "x", "cause": {"nonsense": 1}, "control": {"lr": 1}}, columns)
    with pytest.raises(ValueError, match="claim 'y'.*mechanism_direction"):
        claims.check_claim(
            {
                "id": "y",
                "cause": {"lr": 1},
                "control": {"lr": 2},
                "mechanism": "dead_fraction",
                "mechanism_direction": "sideways",
            },
            columns,
        )
    with pytest.raises(ValueError, match="predictor"):
        claims.check_claim({"id": "d", "kind": "diagnostic", "below": 0.1}, columns)


# -- load_claims --------------------------------------------------------------------------------

MULTIRUN_YAML = """\
hydra:
  sweeper:
    grids: ${claims}
lr: 0.01
claims:
- id: constant_init
  text: Constant initialization gives every input the same output
  grid:
    init: [constant, glorot]
    dataset: [moons, digits]
  cause: {init: constant}
  control: {init: glorot}
  mechanism: neuron_similarity
  mechanism_direction: higher
  by: dataset
- id: high_lr
  text: A very high learning rate makes outputs the same for all inputs
  grid: {lr: [10.0, 0.01]}
  cause: {lr: 10.0}
  control: {lr: 0.01}
  mechanism: dead_fraction
- id: low_lr
  text: A very low learning rate leaves outputs uniform
  grid: {lr: [1.0e-05, 0.01]}
  cause: {lr: 1.0e-05}
  control: {lr: 0.01}
  mechanism: loss
  mechanism_direction: higher
- id: dropout_mitigates
  text: Dropout mitigates collapse
  grid: {regularization: [none, dropout]}
  cause: {regularization: none}
  control: {regularization: dropout}
- id: label_noise
  text: Label noise makes outputs uniform
  grid: {dataset.label_noise: [0.4, 0.0]}
  cause: {label_noise: 0.4}
  control: {label_noise: 0.0}
  mechanism: rel_output_std
  mechanism_direction: lower
- id: weight_spread_diagnostic
  text: Weights all alike or near zero mean collapse
  kind: diagnostic
  predictor: weight_spread
  below: 0.001
- id: never_trained
  text: A claim whose grid was not run
  cause: {init: zeros}
  control: {init: glorot}
"""

EXPECTED_VERDICTS = {
    "constant_init": "partly supported",  # moons yes, digits no
    "high_lr": "supported",
    "low_lr": "partly supported",  # loss higher, outputs not collapsed
    "dropout_mitigates": "contradicted",  # dropout collapses, no dropout does not
    "label_noise": "not supported",
    "weight_spread_diagnostic": "supported",
    "never_trained": "not supported",
}


def test_load_claims(tmp_path):
    assert load_claims(tmp_path) == []  # no multirun.yaml
    (tmp_path / "multirun.yaml").write_text("lr: 0.01\n")
    assert load_claims(tmp_path) == []  # no claims key
    (tmp_path / "multirun.yaml").write_text("claims: []\n")
    assert load_claims(tmp_path) == []
    (tmp_path / "multirun.yaml").write_text(MULTIRUN_YAML)
    loaded = load_claims(tmp_path)
    assert [c["id"] for c in loaded] == list(EXPECTED_VERDICTS)
    assert loaded[0]["cause"] == {"init": "constant"} and loaded[0]["by"] == "dataset"
    assert loaded[2]["cause"] == {"lr": 1e-05}
    assert loaded[5]["kind"] == "diagnostic" and loaded[5]["below"] == 0.001
    (tmp_path / "multirun.yaml").write_text("claims: {id: x}\n")
    with pytest.raises(ValueError, match="list"):
        load_claims(tmp_path)


# -- a literal claims sweep ----------------------------------------------------------------------

REPLICATES = 5


def _rows(claim, n_collapsed, diverged=0, **factors):
    """REPLICATES rows of one configuration of a claim; the first n_collapsed collapse."""
    rows = []
    for r in range(REPLICATES):
        collapsed = r < n_collapsed
        status = "diverged" if r < diverged else "ok"
        rows.append(
            run_row(
                claim=claim,
                replicate=r,
                seed=r,
                status=status,
                collapsed=collapsed,
                collapsed_init=collapsed and factors.get("init") == "constant",
                rel_output_std=math.nan
                if status == "diverged"
                else (0.0 if collapsed else 0.4 + 0.1 * r),
                weight_spread=0.0 if collapsed else 0.3,
                neuron_similarity=1.0 if factors.get("init") == "constant" else 0.3,
                dead_fraction=0.5 if collapsed else 0.0,
                loss=0.69 + 0.01 * r if factors.get("lr") == 1e-5 else 0.3 + 0.01 * r,
                **factors,
            )
        )
    return rows


def claims_runs():
    """Runs rows of the claims in MULTIRUN_YAML, built to reach EXPECTED_VERDICTS."""
    rows = []
    for dataset, n_constant in (("moons", 5), ("digits", 1)):
        rows += _rows("constant_init", n_constant, init="constant", dataset=dataset)
        rows += _rows("constant_init", 0, init="glorot", dataset=dataset)
    rows += _rows("high_lr", 5, diverged=2, lr=10.0)
    rows += _rows("high_lr", 0, lr=0.01)
    rows += _rows("low_lr", 0, lr=1e-5)
    rows += _rows("low_lr", 0, lr=0.01)
    rows += _rows("dropout_mitigates", 0, regularization="none")
    rows += _rows("dropout_mitigates", 5, regularization="dropout", reg_strength=0.5)
    rows += _rows("label_noise", 1, label_noise=0.4)
    rows += _rows("label_noise", 1, label_noise=0.0)
    rows.append(run_row(claim="label_noise", label_noise=0.4, replicate=9, status="error"))
    return runs_frame(rows)


def claims_history(df):
    """Five epochs of history per network: collapsed ones lose their output spread."""
    records = []
    for row in df.itertuples():
        if row.status == "error":
            continue
        for epoch in range(5):
            spread = 0.5 * (1 - epoch / 4) if row.collapsed else 0.3 + 0.05 * epoch
            values = {
                "loss": math.nan if epoch == 0 else 0.7 - 0.05 * epoch,
                "eval_loss": 0.72 - 0.04 * epoch,
                "rel_output_std": spread,
                "dead_fraction": 0.5 * epoch / 4 if row.collapsed else 0.0,
                "neuron_similarity": 1.0 if row.init == "constant" else 0.3,
                "weight_spread": 0.3 * (1 - epoch / 4) if row.collapsed else 0.3,
            }
            for metric, value in values.items():
                records.append((row.config_id, row.replicate, epoch, metric, value))
    return pd.DataFrame(records, columns=list(HISTORY_COLUMNS)).astype(HISTORY_COLUMNS)


def write_claims_sweep(folder):
    """A sweep folder with runs, history and a multirun.yaml holding MULTIRUN_YAML's claims."""
    df = claims_runs()
    write_sweep(folder, df)
    (folder / "history").mkdir()
    claims_history(df).to_parquet(folder / "history" / "all.parquet", index=False)
    (folder / "multirun.yaml").write_text(MULTIRUN_YAML)
    return folder


def test_claims_table_verdicts(tmp_path):
    (tmp_path / "multirun.yaml").write_text(MULTIRUN_YAML)
    df = claims_runs()
    table = claims.claims_table(df, load_claims(tmp_path))
    assert claims.claim_verdicts(table) == EXPECTED_VERDICTS
    constant = table[table["claim"] == "constant_init"].set_index("level")
    assert list(constant.index) == ["digits", "moons"]
    assert constant.loc["moons", "rate_cause"] == 1.0 and constant.loc["moons", "significant"]
    assert constant.loc["digits", "rate_cause"] == pytest.approx(0.2)
    assert not constant.loc["digits", "significant"]
    assert constant.loc["moons", "mechanism_cause"] == 1.0
    assert constant.loc["moons", "mechanism_control"] == pytest.approx(0.3)
    noise = table[table["claim"] == "label_noise"].iloc[0]
    assert noise["n_cause"] == REPLICATES  # the failed run is left out
    high = table[table["claim"] == "high_lr"].iloc[0]
    assert (high["rate_cause"], high["rate_cause_low"], high["rate_cause_high"]) == (1, 1, 1)
    assert high["effect"] == 1.0 and high["effect_low"] == 1.0
    diagnostic = table[table["claim"] == "weight_spread_diagnostic"].iloc[0]
    assert diagnostic["n_cause"] == int(aggregate.summary(df)["collapsed"])
    missing = table[table["claim"] == "never_trained"].iloc[0]
    assert missing["n_cause"] == 0 and missing["n_control"] == 0
    assert missing["reason"] == "no rows to compare"


def test_claims_table_empty_without_claims():
    table = claims.claims_table(claims_runs(), [])
    assert table.empty and "verdict" in table.columns


def test_report_puts_claims_first(tmp_path):
    sweep = write_claims_sweep(tmp_path / "claims-sweep")
    text = write_report(sweep).read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings[0] == "Claims: what the measurements say"
    assert text.index('id="claims-table"') < text.index("<h2>Summary</h2>")
    verdicts = re.findall(r'<span class="verdict">(.*?)</span>', text)
    assert len(verdicts) == len(EXPECTED_VERDICTS)
    assert set(verdicts) <= set(claims.VERDICTS)
    assert verdicts == list(EXPECTED_VERDICTS.values())
    assert 'id="verdict-rule"' in text and "20 percentage points" in text
    assert "Which factors cause collapse" in text and "Where collapse happens" in text
    # one training-curves figure per claim that has networks
    curves = sorted(p.name for p in (sweep / "figures").glob("curves_*.png"))
    assert curves == sorted(f"curves_{c}.png" for c in EXPECTED_VERDICTS if c != "never_trained")
    assert "already collapsed at initialization" in text


def test_report_without_claims_has_no_claims_section(tmp_path):
    df = claims_runs()
    sweep = write_sweep(tmp_path / "plain", df)
    text = write_report(sweep).read_text(encoding="utf-8")
    assert 'id="claims"' not in text and "<h2>Training curves</h2>" not in text
    assert text.index("<h2>Summary</h2>") < text.index("Which factors cause collapse")


def test_report_with_a_bad_claim_still_written(tmp_path):
    sweep = write_sweep(tmp_path / "bad", claims_runs())
    (sweep / "multirun.yaml").write_text(
        "claims:\n- id: broken\n  cause: {no_such_column: 1}\n  control: {lr: 0.01}\n"
    )
    text = write_report(sweep).read_text(encoding="utf-8")
    assert "could not be evaluated" in text and "no_such_column" in text


# -- factor importance -------------------------------------------------------------------------


def test_permutation_importance_ranks_the_determining_factor_first():
    rows = []
    for init in ("zeros", "glorot_uniform"):
        for lr in (0.001, 0.1):
            for depth in (1, 3):
                for r in range(3):
                    rows.append(
                        run_row(
                            init=init, lr=lr, depth=depth, replicate=r, collapsed=init == "zeros"
                        )
                    )
    df = runs_frame(rows)
    table = aggregate.factor_importance(df, ["lr", "depth", "init"])
    assert table["factor"].iloc[0] == "init"
    assert table["importance"].iloc[0] > 0.3
    assert table["importance"].iloc[1:].abs().max() < 0.05
    assert table.attrs["score"] == pytest.approx(1.0)
    again = aggregate.factor_importance(df, ["lr", "depth", "init"])
    assert again["importance"].tolist() == table["importance"].tolist()  # fixed seeds


def test_permutation_importance_nan_when_nothing_to_predict():
    df = runs_frame([run_row(lr=lr, collapsed=False) for lr in (0.1, 1.0)])
    table = aggregate.factor_importance(df, ["lr"])
    assert table["importance"].isna().all() and math.isnan(table.attrs["score"])
