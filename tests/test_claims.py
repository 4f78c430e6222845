"""Tests of the claims analysis (analysis.claims): filter matching, claim definitions, reading
claims from multirun.yaml, pairing, levels, outcomes, the per-level numbers on literal paired
frames with hand-computed answers, Holm over the sweep, the verdict words, a placebo simulation
of whole claims tables, the report's claims section, and (at the end) permutation importance."""

import gc
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis import aggregate, claims, stats
from analysis.load import load_claims
from analysis.report import write_report
from experiments.storage.schema import HISTORY_COLUMNS
from tests.test_analysis import run_row, runs_frame, write_sweep

Z2 = float(sps.norm.ppf(0.975)) ** 2  # z^2 of a two-sided 95% interval, 3.8415


@pytest.fixture
def fast_holm(monkeypatch):
    """Skip the gc.collect() statsmodels' Holm runs on every call (~50-100 ms each here)."""
    monkeypatch.setattr(gc, "collect", lambda *args, **kwargs: 0)


def arm_rows(claim, flags, start=0, **factors):
    """Rows of one arm: replicate start, start + 1, ...; collapsed as the 0/1 flags say."""
    return [
        run_row(claim=claim, replicate=r, seed=r, collapsed=bool(flag), **factors)
        for r, flag in enumerate(flags, start)
    ]


def contrast(cid, **extra):
    """A contrast claim 'init = constant' vs 'init = glorot_uniform'."""
    return {
        "id": cid,
        "cause": {"init": "constant"},
        "control": {"init": "glorot_uniform"},
        **extra,
    }


def pair_rows(cid, cause_flags, control_flags, **factors):
    """Cause (init constant) and control (init glorot_uniform) rows, replicate r paired."""
    return arm_rows(cid, cause_flags, init="constant", init_value=0.5, **factors) + arm_rows(
        cid, control_flags, init="glorot_uniform", **factors
    )


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
    assert claims.match(df["lr"], "fast").tolist() == [False] * 4
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
    assert claims.select(df, {}).all()


# -- claim definitions -------------------------------------------------------------------------


def test_check_claim_fills_defaults_and_normalizes_by():
    columns = runs_frame([run_row()]).columns
    out = claims.check_claim(contrast("c", by="dataset"), columns)
    assert out["text"] == "c" and out["kind"] == "contrast" and out["outcome"] == "collapsed"
    assert out["by"] == ["dataset"] and out["dropped"] is None
    assert out["mechanism"] is None and out["mechanism_direction"] == "higher"
    assert out["cause"] == {"init": "constant"} and out["control"] == {"init": "glorot_uniform"}
    listed = claims.check_claim(contrast("c", by=["dataset", "activation"]), columns)
    assert listed["by"] == ["dataset", "activation"]
    assert claims.check_claim(contrast("c"), columns)["by"] == []
    for outcome in claims.OUTCOMES:
        assert claims.check_claim(contrast("c", outcome=outcome), columns)["outcome"] == outcome


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
    with pytest.raises(ValueError, match="claim 'm'.*mechanism 'nope'"):
        claims.check_claim(contrast("m", mechanism="nope"), columns)
    with pytest.raises(ValueError, match="claim 'o'.*outcome='survived'"):
        claims.check_claim(contrast("o", outcome="survived"), columns)
    with pytest.raises(ValueError, match="claim 'b'.*by 'nowhere'"):
        claims.check_claim(contrast("b", by=["dataset", "nowhere"]), columns)
    with pytest.raises(ValueError, match="claim 'e'.*'control' must be a non-empty mapping"):
        claims.check_claim({"id": "e", "cause": {"lr": 1}, "control": {}}, columns)
    with pytest.raises(ValueError, match="kind"):
        claims.check_claim(contrast("k", kind="anecdote"), columns)
    with pytest.raises(ValueError, match="needs an 'id'"):
        claims.check_claim({"cause": {"lr": 1}}, columns)
    with pytest.raises(ValueError, match="predictor"):
        claims.check_claim({"id": "d", "kind": "diagnostic", "below": 0.1}, columns)
    diagnostic = {"id": "d", "kind": "diagnostic", "predictor": "weight_spread"}
    with pytest.raises(ValueError, match="exactly one of 'below' and 'above'"):
        claims.check_claim(diagnostic, columns)
    with pytest.raises(ValueError, match="exactly one"):
        claims.check_claim({**diagnostic, "below": 0.1, "above": 0.2}, columns)
    with pytest.raises(ValueError, match="below must be a number"):
        claims.check_claim({**diagnostic, "below": "small"}, columns)


def test_dropped_claim_needs_no_cause_or_control():
    columns = runs_frame([run_row()]).columns
    out = claims.check_claim({"id": "z", "text": "Zero width", "dropped": "no GPU"}, columns)
    assert out["dropped"] == "no GPU" and out["cause"] == {} and out["control"] == {}
    # a dropped claim may even name columns the runs lack: it is not tested
    out = claims.check_claim({"id": "z", "dropped": "later", "cause": {"nope": 1}}, columns)
    assert out["dropped"] == "later"
    assert claims.check_claim({**contrast("c"), "dropped": False}, columns)["dropped"] is None


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
    init: [constant, glorot_uniform]
    dataset: [moons, digits]
  cause: {init: constant}
  control: {init: glorot_uniform}
  mechanism: neuron_similarity
  mechanism_direction: higher
  by: dataset
- id: high_lr
  text: A very high learning rate makes training diverge
  outcome: diverged
  grid: {lr: [10.0, 0.01]}
  cause: {lr: 10.0}
  control: {lr: 0.01}
- id: lr_ladder
  text: Very low and high learning rates both leave outputs uniform
  grid: {lr: [1.0e-05, 0.1, 0.01]}
  cause: {lr: [1.0e-05, 0.1]}
  control: {lr: 0.01}
  mechanism: loss
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
- id: weight_spread_diagnostic
  text: Weights all alike or near zero mean collapse
  kind: diagnostic
  predictor: weight_spread
  below: 0.001
- id: batch_one
  text: Batch size one collapses
  dropped: needs a week of compute
- id: never_trained
  text: A claim whose grid was not run
  cause: {init: zeros}
  control: {init: glorot_uniform}
"""

EXPECTED_VERDICTS = {
    "constant_init": "partly supported",  # moons 12 of 12 pairs, digits none (12 pairs: too few)
    "high_lr": "supported",  # every cause network diverged, no control one
    "lr_ladder": "supported",  # both doses collapse every network, the control none
    "dropout_mitigates": "contradicted",  # dropout (the control) collapses, no dropout does not
    "label_noise": "not supported",  # 30 pairs, no collapse anywhere
    "weight_spread_diagnostic": "supported",
    "batch_one": "dropped",
    "never_trained": "inconclusive",  # no rows
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
    assert loaded[1]["outcome"] == "diverged"
    assert loaded[2]["cause"] == {"lr": [1e-05, 0.1]}
    assert loaded[5]["kind"] == "diagnostic" and loaded[5]["below"] == 0.001
    assert loaded[6]["dropped"] == "needs a week of compute"
    (tmp_path / "multirun.yaml").write_text("claims: {id: x}\n")
    with pytest.raises(ValueError, match="list"):
        load_claims(tmp_path)


# -- pairing -----------------------------------------------------------------------------------


def test_pair_columns_leave_out_what_the_treatment_sets():
    # init_value follows init (0.5 for constant, NaN otherwise); dataset varies on its own
    rows = []
    for dataset in ("moons", "digits"):
        rows += pair_rows("c", [1, 0], [0, 0], dataset=dataset)
    df = runs_frame(rows)
    claim = claims.check_claim(contrast("c"), df.columns)
    assert claims.pair_columns(df, claim) == ["dataset"]
    assert claims.pair_columns(df.iloc[:0], claim) == []
    # epochs set per n_samples (200 for 64, 20 for 1024), lr varied by the grid
    rows = []
    for n_samples, epochs in ((64, 200), (128, 100), (1024, 20)):
        for lr in (0.1, 0.01):
            rows += arm_rows("n", [0, 1], n_samples=n_samples, epochs=epochs, lr=lr)
    df = runs_frame(rows)
    claim = claims.check_claim(
        {"id": "n", "cause": {"n_samples": [64, 128]}, "control": {"n_samples": 1024}}, df.columns
    )
    assert claims.pair_columns(df, claim) == ["lr"]


def test_pairs_join_on_replicate_and_factors_nan_with_nan():
    rows = []
    for imbalance in (math.nan, 0.1):
        rows += pair_rows("c", [1, 1, 1], [0, 0, 0], imbalance=imbalance)
    rows += arm_rows("c", [1], start=9, init="constant", init_value=0.5)  # no control
    rows += arm_rows("c", [1], init="constant", init_value=0.5, imbalance=0.1)  # repeated key
    df = runs_frame(rows).sample(frac=1.0, random_state=3)  # row order must not matter
    claim = claims.check_claim(contrast("c"), df.columns)
    keys = claims.pair_columns(df, claim)
    assert keys == ["imbalance"]
    cause, control = claims.claim_groups(df, claim)
    pa, pb = claims.paired_rows(cause, control, keys)
    assert len(pa) == len(pb) == 6
    left = cause.iloc[pa][["imbalance", "replicate"]].reset_index(drop=True)
    right = control.iloc[pb][["imbalance", "replicate"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)
    assert left["imbalance"].isna().sum() == 3  # NaN paired with NaN
    assert 9 not in set(left["replicate"])
    # without the factor in the key, each replicate pairs once (its first row)
    pa, pb = claims.paired_rows(cause, control, [])
    assert sorted(cause.iloc[pa]["replicate"]) == [0, 1, 2]
    empty = claims.paired_rows(cause.iloc[:0], control, keys)
    assert len(empty[0]) == len(empty[1]) == 0


# -- levels ------------------------------------------------------------------------------------


def test_levels_by_column_times_dose_ladder_times_controls():
    rows = []
    for dataset in ("moons", "digits"):
        for lr in (1.0, 10.0, 0.01, 0.001):
            rows += arm_rows("lad", [0, 1, 0], lr=lr, dataset=dataset)
    rows += arm_rows("other", [1, 1, 1], lr=1.0, dataset="moons")  # another claim's rows
    df = runs_frame(rows)
    claim = claims.check_claim(
        {
            "id": "lad",
            "cause": {"lr": [1.0, 10.0]},
            "control": {"lr": [0.01, 0.001]},
            "by": "dataset",
        },
        df.columns,
    )
    levels = claims.claim_levels(df, claim)
    assert [text for text, _, _ in levels] == [
        f"dataset = {d}, lr = {c}, vs lr = {k}"
        for d in ("digits", "moons")
        for c in ("1", "10")
        for k in ("0.01", "0.001")
    ]
    for text, cause, control in levels:
        pattern = r"dataset = (\w+), lr = (\S+), vs lr = (\S+)"
        dataset, dose, versus = re.match(pattern, text).groups()
        assert len(cause) == len(control) == 3
        assert set(cause["dataset"]) == set(control["dataset"]) == {dataset}
        assert set(cause["lr"]) == {float(dose)} and set(control["lr"]) == {float(versus)}
        assert set(cause["claim"]) == {"lad"}


def test_levels_by_two_columns_with_a_missing_value_last():
    rows = []
    for dataset in ("moons", "digits"):
        for imbalance in (math.nan, 0.1):
            rows += pair_rows("c", [1, 0], [0, 0], dataset=dataset, imbalance=imbalance)
    df = runs_frame(rows)
    claim = claims.check_claim(contrast("c", by=["dataset", "imbalance"]), df.columns)
    levels = claims.claim_levels(df, claim)
    assert [text for text, _, _ in levels] == [
        "dataset = digits, imbalance = 0.1",
        "dataset = digits, imbalance = none",
        "dataset = moons, imbalance = 0.1",
        "dataset = moons, imbalance = none",
    ]
    assert all(len(c) == len(k) == 2 for _, c, k in levels)
    assert levels[1][1]["imbalance"].isna().all() and levels[1][2]["imbalance"].isna().all()
    single = claims.claim_levels(df, claims.check_claim(contrast("c"), df.columns))
    assert [(t, len(c), len(k)) for t, c, k in single] == [("", 8, 8)]


# -- outcomes ----------------------------------------------------------------------------------


def test_outcome_values_per_status():
    df = runs_frame(
        [
            run_row(collapsed=True, decision_collapsed=True),
            run_row(collapsed=False, decision_collapsed=False),
            run_row(status="diverged", collapsed=None, decision_collapsed=None),
            run_row(status="error", collapsed=True, decision_collapsed=True),
            run_row(collapsed=True, decision_collapsed=None, task="regression"),
        ]
    )
    nan = math.nan
    np.testing.assert_array_equal(claims.outcome_values(df, "collapsed"), [1, 0, 0, nan, 1])
    np.testing.assert_array_equal(
        claims.outcome_values(df, "decision_collapsed"), [1, 0, 0, nan, nan]
    )
    np.testing.assert_array_equal(claims.outcome_values(df, "diverged"), [0, 0, 1, nan, 0])


# -- the numbers of one level --------------------------------------------------------------------

CAUSE_FLAGS = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
CONTROL_FLAGS = [0, 0, 1, 0, 0, 0, 0, 0, 1, 0]  # b = 6 (pairs 0, 1, 3, 4, 5, 6), c = 1 (pair 8)


def literal_arms(mechanism_cause=None):
    """10 paired networks per arm, an unpaired cause network, a failed control run."""
    cause = [
        run_row(
            claim="c",
            init="constant",
            replicate=r,
            collapsed=bool(f),
            balanced_accuracy=0.5 + 0.01 * r,
            dead_fraction=0.5 + 0.01 * r,
        )
        for r, f in enumerate([*CAUSE_FLAGS, 0])  # replicate 10: no control
    ]
    control = [
        run_row(
            claim="c",
            init="glorot_uniform",
            replicate=r,
            collapsed=bool(f),
            status="diverged" if r == 7 else "ok",
            balanced_accuracy=0.8 + 0.01 * r,
            dead_fraction=0.001 * r,
        )
        for r, f in enumerate(CONTROL_FLAGS)
    ]
    control.append(
        run_row(
            claim="c",
            init="glorot_uniform",
            replicate=11,
            status="error",
            balanced_accuracy=0.0,
            dead_fraction=0.0,
        )
    )
    if mechanism_cause is not None:
        for row, value in zip(cause, mechanism_cause):
            row["dead_fraction"] = value
    return runs_frame(cause), runs_frame(control)


def test_compare_arms_paired_by_hand():
    cause, control = literal_arms()
    out = claims.compare_arms(cause, control, [], mechanism="dead_fraction")
    # rates over every counted network: 7 of 11 and 2 of 10 (the failed run left out)
    assert (out["n_cause"], out["n_control"]) == (11, 10)
    assert out["rate_cause"] == pytest.approx(7 / 11) and out["rate_control"] == 0.2
    # Clopper-Pearson: beta quantiles
    assert out["rate_cause_low"] == pytest.approx(sps.beta.ppf(0.025, 7, 5))
    assert out["rate_cause_high"] == pytest.approx(sps.beta.ppf(0.975, 8, 4))
    assert out["rate_control_low"] == pytest.approx(sps.beta.ppf(0.025, 2, 9))
    assert (out["diverged_cause"], out["diverged_control"]) == (0.0, 0.1)
    # the 10 pairs: b = 6 cause-only, c = 1 control-only
    assert (out["n_pairs"], out["b"], out["c"]) == (10, 6, 1)
    assert out["test"] == "paired (McNemar)"
    assert out["effect"] == pytest.approx(0.5)
    effect, low, high = stats.paired_effect_interval(6, 1, 10)
    assert (out["effect_low"], out["effect_high"]) == (low, high)
    assert -1 < low < 0 < 0.5 < high < 1  # p = 0.125: the interval holds 0
    assert out["p"] == pytest.approx(2 * (1 + 7) / 2**7)  # exact binomial, 1 of 7 discordant
    # median balanced accuracy; the failed run (0.0) is left out
    assert out["score_cause"] == pytest.approx(0.55)
    assert out["score_control"] == pytest.approx(0.845)
    # mechanism: 10 pairs, every difference positive -> moved as claimed
    assert out["mechanism_verdict"] == stats.MOVED and out["mechanism_nonfinite"] == 0
    assert out["mechanism_cause"] == pytest.approx(0.545)
    assert out["mechanism_control"] == pytest.approx(0.0045)
    assert out["mechanism_p"] == pytest.approx(2 / 2**10)
    lower = claims.compare_arms(cause, control, [], mechanism="dead_fraction", direction="lower")
    assert lower["mechanism_verdict"] == stats.MOVED_OTHER_WAY


def test_mechanism_counts_nonfinite_values():
    values = [0.5, 0.5, 0.5, math.nan, 0.5, math.inf, 0.5, 0.5, 0.5, 0.5, math.nan]
    cause, control = literal_arms(mechanism_cause=values)
    out = claims.compare_arms(cause, control, [], mechanism="dead_fraction")
    assert out["mechanism_nonfinite"] == 2  # the unpaired cause row (NaN) is not a pair
    assert out["mechanism_p"] == pytest.approx(2 / 2**8)  # 8 finite pairs
    assert out["mechanism_verdict"] == stats.MOVED
    same, _ = literal_arms(mechanism_cause=[0.001 * r for r in range(11)])
    flat = claims.compare_arms(same, control, [], mechanism="dead_fraction")
    assert flat["mechanism_verdict"] == stats.DID_NOT_MOVE and flat["mechanism_p"] == 1.0
    none = claims.compare_arms(cause, control, [])
    assert none["mechanism_verdict"] == "" and none["mechanism_nonfinite"] == 0
    assert math.isnan(none["mechanism_cause"]) and math.isnan(none["mechanism_p"])


def test_compare_arms_unpaired_when_rows_do_not_pair():
    cause = runs_frame(arm_rows("c", [1] * 5, init="constant"))
    control = runs_frame(arm_rows("c", [0] * 5, start=5, init="glorot_uniform"))
    out = claims.compare_arms(cause, control, [])
    assert out["test"] == "unpaired (Fisher)" and out["n_pairs"] == 0
    assert math.isnan(out["b"]) and math.isnan(out["c"])
    assert out["effect"] == 1.0
    assert out["p"] == pytest.approx(2 / 252)  # [[5, 0], [0, 5]]: 2 / C(10, 5)
    low, high = confint_proportions_2indep(5, 5, 0, 5, method="newcomb", compare="diff")
    assert (out["effect_low"], out["effect_high"]) == pytest.approx((low, high))
    assert claims.compare_arms(cause, control, None)["test"] == "unpaired (Fisher)"
    empty = claims.compare_arms(cause, control.iloc[:0], [])
    assert empty["test"] == "none" and math.isnan(empty["effect"]) and empty["n_control"] == 0


# -- the claims table --------------------------------------------------------------------------


def verdict_runs():
    """Rows of VERDICT_CLAIMS, one block per claim."""
    rows = []
    rows += pair_rows("strong", [1] * 12, [0] * 12)
    rows += pair_rows("reverse", [0] * 12, [1] * 12)
    rows += pair_rows("null", [0] * 40, [0] * 40)
    rows += pair_rows("few", [0] * 5, [0] * 5)
    rows += pair_rows("mixed", [1] * 12, [0] * 12, dataset="moons")
    rows += pair_rows("mixed", [0] * 12, [0] * 12, dataset="digits")
    return runs_frame(rows)


VERDICT_CLAIMS = [
    contrast("strong", text="Strong"),
    contrast("reverse", text="Reverse"),
    contrast("null", text="Null"),
    contrast("few", text="Few"),
    contrast("mixed", text="Mixed", by="dataset"),
    {"id": "skipped", "text": "Skipped", "dropped": "grid too expensive"},
]


def test_claims_table_verdict_words_and_numbers():
    table = claims.claims_table(verdict_runs(), VERDICT_CLAIMS)
    assert list(table.columns) == claims.TABLE_COLUMNS
    assert claims.claim_verdicts(table) == {
        "strong": "supported",
        "reverse": "contradicted",
        "null": "not supported",
        "few": "inconclusive",
        "mixed": "partly supported",
        "skipped": "dropped",
    }
    row = table.set_index(table["claim"] + "/" + table["level_text"])
    strong = row.loc["strong/"]
    assert (strong["n_pairs"], strong["effect"], strong["effect_high"]) == (12, 1.0, 1.0)
    assert strong["effect_low"] == pytest.approx((12 - Z2) / (12 + Z2))  # Tango at b = n
    assert strong["rate_cause_low"] == pytest.approx(0.025 ** (1 / 12))  # CP at 12 of 12
    assert strong["rate_control_high"] == pytest.approx(1 - 0.025 ** (1 / 12))
    assert strong["p"] == pytest.approx(2 / 2**12)
    # family: 5 finite level p-values + mixed's combined test; four equal 2/2^12 -> 7 x p
    assert strong["p_holm"] == pytest.approx(7 * 2 / 2**12)
    assert strong["level_verdict"] == "supported" and math.isnan(strong["pairs_needed"])
    assert strong["reason"] == "collapsed clearly more often with the cause"
    reverse = row.loc["reverse/"]
    assert reverse["effect"] == -1.0 and reverse["effect_low"] == -1.0
    assert reverse["level_verdict"] == "contradicted"
    null = row.loc["null/"]
    assert (null["effect_low"], null["effect_high"]) == pytest.approx(
        (-Z2 / (40 + Z2), Z2 / (40 + Z2))
    )
    assert null["p"] == 1.0 and null["p_holm"] == 1.0
    assert "within \u00b120%" in null["reason"]
    few = row.loc["few/"]
    assert few["level_verdict"] == "inconclusive"
    assert few["pairs_needed"] == math.ceil(Z2 * (2 / stats.MIN_EFFECT - 1)) == 35
    assert few["reason"] == "too few networks to tell; about 35 pairs per level would resolve it"
    mixed = table[table["claim"] == "mixed"]
    assert list(mixed["level_text"]) == ["dataset = digits", "dataset = moons"]
    assert list(mixed["level_verdict"]) == ["inconclusive", "supported"]
    assert mixed["reason"].iat[0] == (
        "collapsed clearly more often with the cause only at 1 of 2 levels (dataset = moons)"
    )
    # both levels pooled: b = 12 of 24 pairs
    assert mixed["combined_effect"].iat[0] == 0.5
    _, low, high = stats.paired_effect_interval(12, 0, 24)
    assert (mixed["combined_low"].iat[0], mixed["combined_high"].iat[0]) == (low, high)
    assert mixed["combined_p_holm"].iat[0] == pytest.approx(7 * 2 / 2**12)
    # one level: its own test is the claim's, no pooled row
    assert math.isnan(table.loc[table["claim"] == "strong", "combined_effect"].iat[0])
    assert math.isnan(table.loc[table["claim"] == "strong", "combined_p_holm"].iat[0])
    skipped = row.loc["skipped/"]
    assert skipped["level_verdict"] == "dropped" and skipped["reason"] == "grid too expensive"
    assert skipped["n_pairs"] == 0 and math.isnan(skipped["p"]) and skipped["text"] == "Skipped"


def test_holm_runs_over_every_level_and_each_combined_test():
    rows = []
    for dataset, (cause, control) in {"moons": (8, 1), "digits": (5, 2), "mnist": (3, 0)}.items():
        flags = [1] * cause + [0] * (12 - cause)
        back = [0] * (12 - control) + [1] * control
        rows += pair_rows("three", flags, back, dataset=dataset)
    rows += pair_rows("one", [1] * 6 + [0] * 6, [0] * 11 + [1])
    rows += pair_rows("two", [1] * 9 + [0] * 3, [0] * 12, activation="relu")
    rows += pair_rows("two", [1] * 4 + [0] * 8, [1] + [0] * 11, activation="tanh")
    df = runs_frame(rows)
    defs = [contrast("three", by="dataset"), contrast("one"), contrast("two", by="activation")]
    table = claims.claims_table(df, defs)
    # levels in order: digits, mnist, moons; one; relu, tanh (pair 0 of tanh: both collapse)
    counts = [(5, 2), (3, 0), (8, 1), (6, 1), (9, 0), (3, 0)]
    assert list(zip(table["level_text"], table["n_pairs"])) == [
        ("dataset = digits", 12),
        ("dataset = mnist", 12),
        ("dataset = moons", 12),
        ("", 12),
        ("activation = relu", 12),
        ("activation = tanh", 12),
    ]
    level_p = [stats.mcnemar_p(b, c) for b, c in counts]
    assert table["p"].tolist() == pytest.approx(level_p)
    assert table["effect"].tolist() == pytest.approx([(b - c) / 12 for b, c in counts])
    combined = [stats.mcnemar_p(16, 3), stats.mcnemar_p(12, 0)]  # three, two pooled
    expected = multipletests(level_p + combined, method="holm")[1]
    assert table["p_holm"].tolist() == pytest.approx(list(expected[:6]))
    firsts = table.drop_duplicates("claim").set_index("claim")["combined_p_holm"]
    assert firsts["three"] == pytest.approx(expected[6])
    assert firsts["two"] == pytest.approx(expected[7])
    assert math.isnan(firsts["one"])
    for r in table.itertuples():
        assert r.level_verdict == stats.outcome_verdict(
            r.effect, r.effect_low, r.effect_high, r.p_holm
        )


def test_claims_table_unpaired_fallback():
    rows = arm_rows("u", [1] * 5, init="constant") + arm_rows(
        "u", [0] * 5, start=5, init="glorot_uniform"
    )
    table = claims.claims_table(runs_frame(rows), [contrast("u")])
    r = table.iloc[0]
    assert r["test"] == "unpaired (Fisher)" and r["n_pairs"] == 0
    assert r["p"] == pytest.approx(2 / 252) and r["p_holm"] == pytest.approx(2 / 252)
    assert r["verdict"] == "supported" and math.isnan(r["pairs_needed"])


def test_diagnostic_claim_compares_all_rows_unpaired():
    rows = [run_row(weight_spread=0.0, collapsed=True, replicate=r) for r in range(6)]
    rows += [run_row(weight_spread=0.3, collapsed=False, replicate=r) for r in range(6)]
    rows += [run_row(weight_spread=0.0005, collapsed=False, replicate=6)]
    rows += [run_row(weight_spread=math.nan, collapsed=True, replicate=7)]  # in neither arm
    df = runs_frame(rows)
    below = {"id": "ws", "kind": "diagnostic", "predictor": "weight_spread", "below": 0.001}
    table = claims.claims_table(df, [below])
    r = table.iloc[0]
    assert (r["kind"], r["level_text"], r["test"], r["n_pairs"]) == (
        "diagnostic",
        "",
        "unpaired (Fisher)",
        0,
    )
    assert (r["cause_text"], r["control_text"]) == (
        "weight_spread < 0.001 (all rows)",
        "weight_spread \u2265 0.001",
    )
    assert (r["n_cause"], r["n_control"]) == (7, 6)
    assert r["rate_cause"] == pytest.approx(6 / 7) and r["rate_control"] == 0.0
    assert r["p"] == pytest.approx(sps.fisher_exact([[6, 1], [0, 6]]).pvalue)
    assert r["effect"] == pytest.approx(6 / 7) and r["verdict"] == "supported"
    above = {"id": "ws", "kind": "diagnostic", "predictor": "weight_spread", "above": 0.001}
    r = claims.claims_table(df, [above]).iloc[0]
    assert (r["n_cause"], r["n_control"], r["rate_cause"]) == (6, 7, 0.0)
    assert r["control_text"] == "weight_spread \u2264 0.001"
    assert r["verdict"] == "contradicted"


def test_decision_and_diverged_outcomes_with_scores():
    rows = []
    for r in range(12):
        rows.append(
            run_row(
                claim="d",
                init="constant",
                replicate=r,
                collapsed=False,
                decision_collapsed=True,
                balanced_accuracy=0.5,
            )
        )
        rows.append(
            run_row(
                claim="d",
                init="glorot_uniform",
                replicate=r,
                collapsed=False,
                decision_collapsed=False,
                balanced_accuracy=0.9 + 0.001 * r,
            )
        )
        rows.append(run_row(claim="v", init="constant", replicate=r, status="diverged"))
        rows.append(run_row(claim="v", init="glorot_uniform", replicate=r, collapsed=True))
    df = runs_frame(rows)
    table = claims.claims_table(
        df,
        [
            contrast("d", outcome="decision_collapsed"),
            contrast("c", outcome="collapsed"),  # no rows of its own
            contrast("v", outcome="diverged"),
        ],
    )
    d = table.iloc[0]
    assert d["outcome"] == "decision_collapsed" and d["verdict"] == "supported"
    assert (d["rate_cause"], d["rate_control"], d["n_pairs"]) == (1.0, 0.0, 12)
    assert (d["score_cause"], d["score_control"]) == pytest.approx((0.5, 0.9055))
    c = table.iloc[1]
    assert (c["n_cause"], c["n_control"], c["n_pairs"], c["test"]) == (0, 0, 0, "none")
    assert c["verdict"] == "inconclusive" and c["reason"] == "too few networks to tell"
    v = table[table["outcome"] == "diverged"].iloc[0]
    assert (v["rate_cause"], v["rate_control"], v["diverged_cause"]) == (1.0, 0.0, 1.0)
    assert v["level_verdict"] == "supported"
    # the same rows with outcome 'collapsed': a diverged network is not collapsed
    w = claims.claims_table(df, [contrast("v")]).iloc[0]
    assert (w["rate_cause"], w["rate_control"], w["effect"]) == (0.0, 1.0, -1.0)
    assert w["level_verdict"] == "contradicted"


def test_claims_table_empty_without_claims_and_raises_on_a_bad_one():
    table = claims.claims_table(verdict_runs(), [])
    assert table.empty and list(table.columns) == claims.TABLE_COLUMNS
    with pytest.raises(ValueError, match="no_such_column"):
        claims.claims_table(
            verdict_runs(), [{"id": "x", "cause": {"no_such_column": 1}, "control": {"lr": 1}}]
        )


# -- placebo simulation at the level of the claims table ------------------------------------------

SIM_REPLICATES = 30


def simulated_preset(rng, rates_cause, rates_control):
    """Runs of one preset: claim k has two levels (dataset) of SIM_REPLICATES pairs each; every
    network collapses independently with its arm's rate. Only the columns the claims use."""
    n_claims, per_arm = len(rates_cause), SIM_REPLICATES
    block = 2 * 2 * per_arm  # per claim: 2 datasets x 2 arms x replicates
    arm = np.tile(np.repeat([True, False], per_arm), 2 * n_claims)  # True: cause
    rate = np.where(arm, np.repeat(rates_cause, block), np.repeat(rates_control, block))
    df = pd.DataFrame(
        {
            "claim": pd.array(np.repeat([f"p{k}" for k in range(n_claims)], block), dtype="string"),
            "dataset": pd.array(
                np.tile(np.repeat(["moons", "digits"], 2 * per_arm), n_claims), dtype="string"
            ),
            "init": pd.array(np.where(arm, "constant", "glorot_uniform"), dtype="string"),
            "replicate": np.tile(np.arange(per_arm), 4 * n_claims),
            "status": pd.array(["ok"] * len(arm), dtype="string"),
            "collapsed": pd.array(rng.random(len(arm)) < rate, dtype="boolean"),
        }
    )
    defs = [{**contrast(f"p{k}"), "by": "dataset"} for k in range(n_claims)]
    return df, defs


def test_placebo_claims_are_rarely_called_an_effect(fast_holm):
    """The acceptance criterion: cause and control identically distributed, at most 5% of the
    claims get a verdict that says there is an effect."""
    rng = np.random.default_rng(20240611)
    presets, per_preset = 100, 3
    verdicts, level_words = [], []
    for _ in range(presets):
        rates = rng.choice([0.05, 0.3, 0.5], size=per_preset)
        df, defs = simulated_preset(rng, rates, rates)
        table = claims.claims_table(df, defs)
        assert (table["n_pairs"] == SIM_REPLICATES).all() and len(table) == 2 * per_preset
        verdicts += list(claims.claim_verdicts(table).values())
        level_words += list(table["level_verdict"])
    verdicts, level_words = np.array(verdicts), np.array(level_words)
    assert verdicts.size == presets * per_preset
    effect_words = [stats.SUPPORTED, stats.PARTLY, stats.CONTRADICTED]
    assert np.mean(np.isin(verdicts, effect_words)) <= 0.05
    assert np.mean(np.isin(level_words, effect_words)) <= 0.05
    assert np.isin(verdicts, [stats.NOT_SUPPORTED, stats.INCONCLUSIVE]).mean() >= 0.95


def test_a_large_true_effect_at_30_pairs_is_supported(fast_holm):
    rng = np.random.default_rng(7)
    for _ in range(10):  # beside three placebo claims, under Holm over the preset
        df, defs = simulated_preset(rng, [0.9, 0.3, 0.05, 0.5], [0.1, 0.3, 0.05, 0.5])
        table = claims.claims_table(df, defs)
        assert claims.claim_verdicts(table)["p0"] == "supported"


# -- the rule text -------------------------------------------------------------------------------


def test_rule_description_renders_its_constants(monkeypatch):
    text = claims.rule_description()
    assert "20 percentage points" in text and f"below {stats.ALPHA}" in text
    for word in ("Holm", "McNemar", "Clopper-Pearson", "Tango"):
        assert word in text
    for word in stats.VERDICTS:
        assert f"'{word}'" in text
    monkeypatch.setattr(stats, "MIN_EFFECT", 0.5)
    monkeypatch.setattr(stats, "ALPHA", 0.01)
    text = claims.rule_description()
    assert "50 percentage points" in text and "below 0.01" in text
    assert "20 percentage points" not in text


# -- a literal claims sweep and its report ------------------------------------------------------

REPLICATES = 12


def _rows(claim, n_collapsed, replicates=REPLICATES, diverged=0, **factors):
    """One arm of a claim; the first n_collapsed networks collapse, the first `diverged`
    (of the others) diverge."""
    rows = []
    for r in range(replicates):
        collapsed = r < n_collapsed
        status = "diverged" if n_collapsed <= r < n_collapsed + diverged else "ok"
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
                else (0.0 if collapsed else 0.4 + 0.01 * r),
                weight_spread=math.nan if status == "diverged" else (0.0 if collapsed else 0.3),
                neuron_similarity=1.0 if factors.get("init") == "constant" else 0.3 + 0.01 * r,
                loss=0.69 + 0.001 * r if collapsed else 0.3 + 0.01 * r,
                **factors,
            )
        )
    return rows


def claims_runs():
    """Runs rows of the claims in MULTIRUN_YAML, built to reach EXPECTED_VERDICTS."""
    rows = []
    for dataset, n_constant in (("moons", REPLICATES), ("digits", 0)):
        rows += _rows("constant_init", n_constant, init="constant", init_value=0.5, dataset=dataset)
        rows += _rows("constant_init", 0, init="glorot_uniform", dataset=dataset)
    rows += _rows("high_lr", 0, diverged=REPLICATES, lr=10.0)
    rows += _rows("high_lr", 0, lr=0.01)
    for lr in (1e-5, 0.1):
        rows += _rows("lr_ladder", REPLICATES, lr=lr)
    rows += _rows("lr_ladder", 0, lr=0.01)
    rows += _rows("dropout_mitigates", 0, regularization="none")
    rows += _rows("dropout_mitigates", REPLICATES, regularization="dropout", reg_strength=0.5)
    rows += _rows("label_noise", 0, replicates=30, label_noise=0.4)
    rows += _rows("label_noise", 0, replicates=30, label_noise=0.0)
    rows.append(run_row(claim="label_noise", label_noise=0.4, replicate=31, status="error"))
    return runs_frame(rows)


def claims_history(df):
    """Three epochs of history per network: collapsed ones lose their output spread."""
    records = []
    for row in df.itertuples():
        if row.status == "error":
            continue
        for epoch in range(3):
            spread = 0.5 * (1 - epoch / 2) if row.collapsed else 0.3 + 0.05 * epoch
            values = {
                "loss": math.nan if epoch == 0 else 0.7 - 0.05 * epoch,
                "rel_output_std": spread,
                "weight_spread": 0.3 * (1 - epoch / 2) if row.collapsed else 0.3,
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


def test_claims_table_of_the_literal_sweep(tmp_path):
    (tmp_path / "multirun.yaml").write_text(MULTIRUN_YAML)
    df = claims_runs()
    table = claims.claims_table(df, load_claims(tmp_path))
    assert claims.claim_verdicts(table) == EXPECTED_VERDICTS
    by_level = table.set_index(table["claim"] + "/" + table["level_text"])
    moons = by_level.loc["constant_init/dataset = moons"]
    assert moons["n_pairs"] == REPLICATES and moons["test"] == "paired (McNemar)"
    assert moons["mechanism_verdict"] == stats.MOVED
    assert by_level.loc["constant_init/dataset = digits", "level_verdict"] == "inconclusive"
    assert by_level.loc["constant_init/dataset = digits", "pairs_needed"] == 35
    # dropout's reg_strength follows the treatment: it does not stop the pairing
    assert by_level.loc["dropout_mitigates/", "n_pairs"] == REPLICATES
    ladder = table[table["claim"] == "lr_ladder"]
    assert list(ladder["level_text"]) == ["lr = 1e-05", "lr = 0.1"]
    assert (ladder["n_pairs"] == REPLICATES).all() and (ladder["rate_cause"] == 1.0).all()
    assert list(ladder["mechanism_verdict"]) == [stats.MOVED] * 2
    high = by_level.loc["high_lr/"]
    assert (high["outcome"], high["rate_cause"], high["rate_control"]) == ("diverged", 1.0, 0.0)
    noise = by_level.loc["label_noise/"]
    assert (noise["n_cause"], noise["n_pairs"]) == (30, 30)  # the failed run is left out
    diagnostic = by_level.loc["weight_spread_diagnostic/"]
    assert diagnostic["n_cause"] == int(aggregate.summary(df)["collapsed"])
    missing = by_level.loc["never_trained/"]
    assert (missing["n_cause"], missing["n_control"]) == (0, 0)


def test_report_opens_with_the_claims(tmp_path):
    sweep = write_claims_sweep(tmp_path / "claims-sweep")
    text = write_report(sweep).read_text(encoding="utf-8")
    start = text.index('id="claims"')
    assert start < text.index('id="claims-table"')
    assert text.index("<h2") > start  # no other section before the claims
    table = text[text.index('id="claims-table"') :]
    for line in MULTIRUN_YAML.splitlines():
        if line.startswith("  text: "):
            assert line.removeprefix("  text: ") in table
    for word in set(EXPECTED_VERDICTS.values()):
        assert word in table


def test_report_without_claims_has_no_claims_section(tmp_path):
    sweep = write_sweep(tmp_path / "plain", claims_runs())
    text = write_report(sweep).read_text(encoding="utf-8")
    assert 'id="claims"' not in text and 'id="claims-table"' not in text


def test_report_with_a_bad_claim_still_written(tmp_path):
    sweep = write_sweep(tmp_path / "bad", claims_runs())
    (sweep / "multirun.yaml").write_text(
        "claims:\n- id: broken\n  cause: {no_such_column: 1}\n  control: {lr: 0.01}\n"
    )
    report = write_report(sweep)
    assert report.is_file()
    text = report.read_text(encoding="utf-8")
    assert 'id="claims"' in text and "no_such_column" in text


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


def test_markdown_tables_have_a_row_per_level_and_per_claim():
    from analysis import claims_report

    rows = []
    for r in range(30):
        rows.append(run_row(claim="z", init="zeros", replicate=r, collapsed=True))
        rows.append(run_row(claim="z", init="glorot_uniform", replicate=r, collapsed=False))
    table = claims.claims_table(runs_frame(rows), [
        {"id": "z", "text": "zeros collapse", "cause": {"init": "zeros"},
         "control": {"init": "glorot_uniform"}},
        {"id": "d", "text": "dropout helps", "dropped": "no design collapses without it"}])
    levels = claims_report.markdown_levels(table).splitlines()
    summary = claims_report.markdown_summary(table).splitlines()
    assert len(levels) == 2 + 2 and len(summary) == 2 + 2
    assert "| zeros collapse | all | collapsed | 30 | 100% [88%, 100%] | 0% [0%, 12%] | +100%" \
        in levels[2]
    assert "**supported**" in summary[2] and "| 1 / 1 | 30 |" in summary[2]
    assert "dropped" in summary[3] and "no design collapses without it" in summary[3]


def test_a_claim_can_judge_another_claims_networks_on_a_second_outcome():
    rows = []
    for r in range(30):
        rows.append(run_row(claim="hi", lr=10.0, replicate=r, status="diverged"))
        rows.append(run_row(claim="hi", lr=0.01, replicate=r, collapsed=False))
    df = runs_frame(rows)
    spec = {"cause": {"lr": 10.0}, "control": {"lr": 0.01}}
    table = claims.claims_table(df, [
        {"id": "hi", "text": "collapse", **spec},
        {"id": "hi_div", "text": "divergence", "rows": "hi", "outcome": "diverged", **spec}])
    verdicts = claims.claim_verdicts(table)
    assert verdicts == {"hi": "not supported", "hi_div": "supported"}  # diverged != collapsed
    assert table.set_index("claim").loc["hi_div", "n_pairs"] == 30
    with pytest.raises(ValueError, match="rows=3: must name another claim's id"):
        claims.check_claim({"id": "x", "rows": 3, **spec}, df.columns)
