"""Tests of the claims analysis (analysis.claims): filter matching, claim definitions, reading
claims from multirun.yaml, pairing, levels, outcomes, the per-level numbers on literal paired
frames with hand-computed answers, Holm over the sweep, the verdict words, a placebo simulation
of whole claims tables, the report's claims section, and (at the end) permutation importance."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from analysis import aggregate, claims, outcomes, stats, verdicts
from analysis.load import load_claims
from analysis.report import write_report
from experiments.storage.schema import HISTORY_COLUMNS
from tests.test_analysis import run_row, runs_frame, write_sweep


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
    "constant_init": "mixed",  # moons 12 of 12 pairs, digits none (12 pairs: too few)
    "high_lr": "supported",  # every cause network diverged, no control one
    "lr_ladder": "supported",  # both doses collapse every network, the control none
    "dropout_mitigates": "contradicted",  # dropout (the control) collapses, no dropout does not
    "label_noise": "not supported",  # 80 pairs, no collapse anywhere
    "weight_spread_diagnostic": "diagnostic",  # scored (sensitivity ...), not tested
    "batch_one": "dropped",
    "never_trained": "not evaluable",  # no rows
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
            run_row(collapsed=True, decision_collapsed=True, score=0.5, baseline_score=0.5),
            run_row(collapsed=False, decision_collapsed=False, score=0.9, baseline_score=0.5),
            run_row(status="diverged", collapsed=None, decision_collapsed=None),
            run_row(status="error", collapsed=True, decision_collapsed=True),
            run_row(collapsed=True, decision_collapsed=None, task="regression"),
            # finite and not collapsed, but within 0.05 of the constant predictor: not learned
            run_row(collapsed=False, decision_collapsed=False, score=0.54, baseline_score=0.5),
            run_row(collapsed=False, decision_collapsed=False, score=0.56, baseline_score=0.5),
            run_row(collapsed=False, decision_collapsed=True, score=0.9, baseline_score=0.5),
            run_row(collapsed=False, decision_collapsed=False, baseline_score=0.5),  # no score
        ]
    )
    nan = math.nan
    values = {name: outcomes.outcome_values(df, name) for name in outcomes.OUTCOMES}
    np.testing.assert_array_equal(values["collapsed"], [1, 0, 0, nan, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(values["decision_collapsed"], [1, 0, 0, nan, nan, 0, 0, 1, 0])
    np.testing.assert_array_equal(values["diverged"], [0, 0, 1, nan, 0, 0, 0, 0, 0])
    # a collapsed or diverged network is not "not learned" (it failed another way)
    np.testing.assert_array_equal(values["not_learned"], [0, 0, 0, nan, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(values["failed"], [1, 0, 1, nan, 1, 1, 0, 1, 1])
    # a smaller learning margin: 0.54 > 0.5 + 0.01 has learned
    np.testing.assert_array_equal(
        outcomes.outcome_values(df, "not_learned", margin=0.01), [0, 0, 0, nan, 0, 0, 0, 0, 1]
    )
    with pytest.raises(ValueError, match="outcome='survived'"):
        outcomes.outcome_values(df, "survived")


def test_not_evaluable_when_more_than_half_of_an_arm_diverged():
    rows = _rows("half", 0, diverged=6, init="constant", init_value=0.5)  # 6 of 12 diverged
    rows += _rows("half", 0, init="glorot_uniform")
    rows += _rows("most", 0, diverged=7, init="constant", init_value=0.5)  # 7 of 12
    rows += _rows("most", 0, init="glorot_uniform")
    df = runs_frame(rows)
    table = claims.claims_table(
        df,
        [
            contrast("half"),
            contrast("most"),
            {**contrast("most_div"), "rows": "most", "outcome": "diverged"},
        ],
    )
    r = table.set_index("claim")
    assert r.loc["half", "level_reason"] == "" and r.loc["half", "diverged_cause"] == 0.5
    assert (r.loc["half", "n_pairs"], r.loc["half", "b"], r.loc["half", "c"]) == (12, 0, 0)
    assert r.loc["most", "level_reason"] == "diverged: cause 58%"
    assert r.loc["most", "level_verdict"] == r.loc["most", "verdict"] == "not evaluable"
    assert r.loc["most", "reason"] == "diverged: cause 58%"
    assert math.isnan(r.loc["most", "p_holm"]) and math.isnan(r.loc["most", "p_difference"])
    # the same networks on the outcome 'diverged' are evaluable: 7 cause-only of 12 pairs
    assert (r.loc["most_div", "b"], r.loc["most_div", "c"], r.loc["most_div", "n_pairs"]) == (
        7, 0, 12)
    assert r.loc["most_div", "p_difference"] == pytest.approx(2 / 2**7)  # exact McNemar
    assert outcomes.not_evaluable("diverged", df.iloc[:12], df.iloc[12:24]) is None
    assert outcomes.not_evaluable("failed", df.iloc[24:36], df.iloc[36:]) is None
    assert outcomes.not_evaluable("dead_layer", df.iloc[36:], df.iloc[24:36]) == (
        "diverged: control 58%")


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
    assert out["effect"] == pytest.approx(0.5)
    # the two tests of the level: exact McNemar (1 of 7 discordant) and TOST at +-10 points
    difference, equivalence = verdicts.level_tests(0, out["b"], out["c"], out["n_pairs"])
    assert difference.p == pytest.approx(2 * (1 + 7) / 2**7)
    assert difference.min_p == pytest.approx(2 / 2**7)
    assert equivalence.p == stats.equivalence_p(6, 1, 10, 0.1) > 0.5  # +50% is no equivalence
    assert equivalence.min_p == pytest.approx(sps.norm.sf(math.sqrt(10 * 0.1 / 0.9)))
    # secondary outcome: median balanced accuracy; the failed run (0.0) is left out
    assert out["secondary"] == "balanced_accuracy"
    assert out["secondary_cause"] == pytest.approx(0.55)
    assert out["secondary_control"] == pytest.approx(0.845)
    # every pair differs by -0.3: the bootstrap interval has no width
    assert (out["secondary_difference"], out["secondary_low"], out["secondary_high"]) == (
        pytest.approx((-0.3, -0.3, -0.3)))
    # no finite network below any spread threshold (rel_output_std 0.5)
    assert out["collapse_cause_0.1"] == out["collapse_control_0.001"] == 0.0
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


def test_compare_arms_without_pairs_counts_rates_but_no_effect():
    cause = runs_frame(arm_rows("c", [1] * 5, init="constant"))
    control = runs_frame(arm_rows("c", [0] * 5, start=5, init="glorot_uniform"))
    out = claims.compare_arms(cause, control, [])
    # no replicate in common: rates per arm, but no pair, so no paired effect (no Fisher test)
    assert (out["rate_cause"], out["rate_control"]) == (1.0, 0.0)
    assert (out["n_cause"], out["n_control"]) == (5, 5)
    assert (out["n_pairs"], out["b"], out["c"]) == (0, 0, 0) and math.isnan(out["effect"])
    assert math.isnan(out["secondary_difference"])
    unkeyed = claims.compare_arms(cause, control, None)  # None: the arms do not pair up
    assert unkeyed["n_pairs"] == 0 and math.isnan(unkeyed["effect"])
    empty = claims.compare_arms(cause, control.iloc[:0], [])
    assert empty["n_pairs"] == 0 and math.isnan(empty["effect"]) and empty["n_control"] == 0
    assert math.isnan(empty["rate_control"]) and math.isnan(empty["rate_control_low"])


# -- the claims table --------------------------------------------------------------------------


def verdict_runs():
    """Rows of VERDICT_CLAIMS, one block per claim."""
    rows = []
    rows += pair_rows("strong", [1] * 12, [0] * 12)
    rows += pair_rows("reverse", [0] * 12, [1] * 12)
    rows += pair_rows("null", [0] * 80, [0] * 80)
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
    assert list(table.columns[: len(claims.TABLE_COLUMNS)]) == claims.TABLE_COLUMNS
    assert claims.claim_verdicts(table) == {
        "strong": "supported",
        "reverse": "contradicted",
        "null": "not supported",
        "few": "inconclusive",
        "mixed": "mixed",
        "skipped": "dropped",
    }
    row = table.set_index(table["claim"] + "/" + table["level_text"])
    # The family, after Tarone's screen: the difference tests of strong, reverse and mixed at
    # moons (12 of 12 discordant: smallest p 2 / 2^12) and null's equivalence test (80 pairs,
    # none discordant: p = sf(sqrt(80 * 0.1 / 0.9))). Left out: every other equivalence test
    # (12 or 5 pairs cannot reach 0.05 / 4) and the difference tests without discordance.
    p_one = 2 / 2**12
    p_null = sps.norm.sf(math.sqrt(80 * 0.1 / 0.9))
    assert p_one < p_null < 0.05 / 4
    strong = row.loc["strong/"]
    assert (strong["n_pairs"], strong["effect"], strong["effect_high"]) == (12, 1.0, 1.0)
    assert strong["p_difference"] == pytest.approx(p_one)
    # m = 4 tests; three tie at p_one: tested at 0.05/4, 0.05/3, 0.05/2 in table order
    assert strong["p_holm"] == pytest.approx(4 * p_one) and strong["tested_at"] == 0.05 / 4
    # Tango at b = n and the level Holm gave the test: [(n - z^2) / (n + z^2), 1]
    z2 = sps.norm.ppf(1 - 0.05 / 8) ** 2
    assert strong["interval_confidence"] == pytest.approx(1 - 0.05 / 4)
    assert strong["effect_low"] == pytest.approx((12 - z2) / (12 + z2))
    assert strong["rate_cause_low"] == pytest.approx(0.025 ** (1 / 12))  # CP at 12 of 12
    assert strong["rate_control_high"] == pytest.approx(1 - 0.025 ** (1 / 12))
    assert strong["level_verdict"] == "supported" and math.isnan(strong["pairs_needed"])
    assert strong["reason"] == "collapsed more often with the cause"
    assert strong["verdict_counts"] == "1 supported"
    reverse = row.loc["reverse/"]
    assert reverse["effect"] == -1.0 and reverse["effect_low"] == -1.0
    assert reverse["tested_at"] == pytest.approx(0.05 / 3)
    z2 = sps.norm.ppf(1 - 0.05 / 6) ** 2
    assert reverse["effect_high"] == pytest.approx(-(12 - z2) / (12 + z2))
    assert reverse["level_verdict"] == "contradicted"
    assert reverse["reason"] == "collapsed less often with the cause"
    null = row.loc["null/"]
    assert null["p_difference"] == 1.0 and null["p_equivalence"] == pytest.approx(p_null)
    # ranked last, tested at 0.05; its Holm p keeps the running maximum 4 * p_one
    assert null["tested_at"] == 0.05 and null["p_holm"] == pytest.approx(4 * p_one)
    z2 = sps.norm.ppf(0.95) ** 2  # the equivalence interval is (1 - 2a) = 90%
    assert null["interval_confidence"] == pytest.approx(0.9)
    assert (null["effect_low"], null["effect_high"]) == pytest.approx(
        (-z2 / (80 + z2), z2 / (80 + z2))
    )
    assert null["reason"] == "collapsed: no difference beyond the margin"
    few = row.loc["few/"]
    assert few["level_verdict"] == "inconclusive" and math.isnan(few["p_holm"])
    # out of the family: pairs at the level it could not reach, Tarone's 0.05 / K = 0.05 / 4;
    # equivalence with no discordance rejects once sf(sqrt(N / 9)) <= 0.0125: N >= 45.2
    assert few["tested_at"] == 0.05 / 4
    assert few["pairs_needed"] == math.ceil(9 * sps.norm.ppf(1 - 0.0125) ** 2) == 46
    assert few["reason"] == "collapsed: too few networks to tell; about 46 pairs would resolve it"
    mixed = table[table["claim"] == "mixed"]
    assert list(mixed["level_text"]) == ["dataset = digits", "dataset = moons"]
    assert list(mixed["level_verdict"]) == ["inconclusive", "supported"]
    assert mixed["tested_at"].iat[1] == 0.05 / 2
    assert mixed["verdict_counts"].iat[0] == "1 supported, 1 inconclusive"
    assert mixed["reason"].iat[0] == (
        "collapsed: supported at dataset = moons | inconclusive at dataset = digits"
    )
    # both levels pooled (descriptive, no test): b = 12 of 24 pairs
    assert mixed["pooled_effect"].iat[0] == 0.5
    _, low, high = stats.paired_effect_interval(12, 0, 24)
    assert (mixed["pooled_low"].iat[0], mixed["pooled_high"].iat[0]) == (low, high)
    # one level: the pooled effect is the level's own effect with its 95% interval
    _, low, high = stats.paired_effect_interval(12, 0, 12)
    assert (strong["pooled_effect"], strong["pooled_low"], strong["pooled_high"]) == (1.0, low, 1)
    skipped = row.loc["skipped/"]
    assert skipped["level_verdict"] == "dropped" and skipped["reason"] == "grid too expensive"
    assert skipped["n_pairs"] == 0 and math.isnan(skipped["p_difference"])
    assert skipped["text"] == "Skipped" and skipped["verdict"] == "dropped"


def test_holm_runs_over_every_level_of_the_sweep_after_tarones_screen():
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
    assert list(zip(table["b"], table["c"])) == counts
    exact = [sps.binomtest(b, b + c, 0.5).pvalue for b, c in counts]  # exact McNemar
    assert table["p_difference"].tolist() == pytest.approx(exact)
    assert table["effect"].tolist() == pytest.approx([(b - c) / 12 for b, c in counts])
    # Tarone: smallest attainable p 2 / 2^(b + c): 1/64, 1/4, 1/256, 1/64, 1/256, 1/4; no
    # equivalence test of 12 pairs can reach 0.05 (sf(sqrt(12 / 9)) = 0.12). Four tests could
    # reach 0.05 / 3, but only two 0.05 / 4: K = 4 and the family is moons and relu.
    assert sps.norm.sf(math.sqrt(12 / 9)) > 0.05
    kept = [2, 4]
    expected = multipletests([exact[i] for i in kept], method="holm")[1]
    assert table["p_holm"].iloc[kept].tolist() == pytest.approx(list(expected))
    assert table["p_holm"].iloc[kept].tolist() == pytest.approx([2 * 10 / 512, 2 * 2 / 512])
    assert table["tested_at"].iloc[kept].tolist() == [0.05, 0.025]
    out = [i for i in range(6) if i not in kept]
    assert table["p_holm"].iloc[out].isna().all()
    assert (table["tested_at"].iloc[out] == 0.05 / 4).all()  # the level they could not reach
    assert list(table["level_verdict"]) == [
        "inconclusive", "inconclusive", "supported", "inconclusive", "supported", "inconclusive"]
    assert claims.claim_verdicts(table) == {"three": "mixed", "one": "inconclusive",
                                            "two": "mixed"}
    # the pooled effects are descriptive: b, c and n summed, a 95% Tango interval, no test
    first = table.drop_duplicates("claim").set_index("claim")
    for cid, (b, c, n) in {"three": (16, 3, 36), "one": (6, 1, 12), "two": (12, 0, 24)}.items():
        effect, low, high = stats.paired_effect_interval(b, c, n)
        assert first.loc[cid, "pooled_effect"] == pytest.approx((b - c) / n) == effect
        assert (first.loc[cid, "pooled_low"], first.loc[cid, "pooled_high"]) == (low, high)
    # the same decisions from the rule module on the level counts alone
    tests = [t for i, (b, c) in enumerate(counts) for t in verdicts.level_tests(i, b, c, 12)]
    decisions = verdicts.holm_family(tests)
    assert [t.level for t, d in zip(tests, decisions, strict=True) if d.in_family] == kept


def test_claims_table_level_without_pairs_is_not_evaluable():
    rows = arm_rows("u", [1] * 5, init="constant") + arm_rows(
        "u", [0] * 5, start=5, init="glorot_uniform"
    )
    rows += pair_rows("s", [1] * 8, [0] * 8)
    rows += arm_rows("e", [1] * 5, init="constant")  # a cause without any control row
    defs = [contrast("u"), contrast("s"), contrast("e")]
    table = claims.claims_table(runs_frame(rows), defs).set_index("claim")
    u = table.loc["u"]
    assert (u["n_pairs"], u["rate_cause"], u["rate_control"]) == (0, 1.0, 0.0)
    assert u["level_verdict"] == u["verdict"] == "not evaluable"
    assert u["level_reason"] == u["reason"] == "no pairs: the arms share no replicate and factors"
    assert math.isnan(u["p_difference"]) and math.isnan(u["p_holm"])
    assert math.isnan(u["pooled_effect"]) and math.isnan(u["pairs_needed"])
    e = table.loc["e"]
    assert (e["n_cause"], e["n_control"], e["level_reason"]) == (5, 0, "no rows: control")
    assert e["verdict"] == "not evaluable"
    # neither adds a test: s's difference test is the whole family (Holm p = its own p)
    s = table.loc["s"]
    assert s["p_difference"] == pytest.approx(2 / 2**8) and s["p_holm"] == s["p_difference"]
    assert s["tested_at"] == 0.05 and s["verdict"] == "supported"


def test_diagnostic_claim_is_scored_on_distinct_networks():
    def net(seed, spread, collapsed, **extra):
        return run_row(claim="ws_grid", weight_spread=spread, collapsed=collapsed, seed=seed,
                       replicate=seed, **extra)

    rows = [net(s, 0.0, True) for s in range(6)]  # flagged, collapsed: 6 true positives
    rows += [net(6, 0.0005, False)]  # flagged, not collapsed: 1 false positive
    rows += [net(s, 0.3, False) for s in range(7, 13)]  # 6 true negatives
    rows += [net(s, 0.3, True) for s in (13, 14)]  # 2 false negatives (missed)
    rows += [net(15, math.nan, True)]  # no predictor value: in neither arm
    rows += [net(16, 0.0, True, status="error")]  # raised: no outcome
    rows += [{**net(0, 0.0, True), "claim": "other"}]  # network 0 again, another claim's grid
    df = runs_frame(rows)
    below = {"id": "ws", "kind": "diagnostic", "predictor": "weight_spread", "below": 0.001}
    table = claims.claims_table(df, [below, contrast("ws_grid")])
    r = table.iloc[0]
    assert (r["kind"], r["level_text"], r["verdict"], r["level_verdict"]) == (
        "diagnostic", "distinct networks", "diagnostic", "diagnostic")
    assert (r["cause_text"], r["control_text"]) == (
        "weight_spread < 0.001 (all rows)",
        "weight_spread \u2265 0.001",
    )
    assert (r["n_cause"], r["n_control"], r["n_pairs"]) == (7, 8, 0)
    assert (r["sensitivity"], r["specificity"], r["precision"]) == pytest.approx(
        (6 / 8, 6 / 7, 6 / 7))
    assert math.isnan(r["p_holm"]) and math.isnan(r["p_difference"])  # scored, not tested
    cp = stats.rate_interval(6, 8)
    assert cp == pytest.approx((sps.beta.ppf(0.025, 6, 3), sps.beta.ppf(0.975, 7, 2)))
    assert r["reason"] == (
        f"sensitivity 75% [{cp[0]:.0%}, {cp[1]:.0%}]; "
        f"specificity 86% [{sps.beta.ppf(0.025, 6, 2):.0%}, {sps.beta.ppf(0.975, 7, 1):.0%}]; "
        f"precision 86% [{sps.beta.ppf(0.025, 6, 2):.0%}, {sps.beta.ppf(0.975, 7, 1):.0%}]"
    )
    assert table.iloc[1]["verdict"] == "not evaluable"  # the grid claim (one init only)
    above = {"id": "ws", "kind": "diagnostic", "predictor": "weight_spread", "above": 0.001}
    r = claims.claims_table(df, [above]).iloc[0]
    # flagged: the 8 networks at 0.3 (2 collapsed); the other 7 hold 6 collapsed
    assert (r["n_cause"], r["n_control"]) == (8, 7)
    assert (r["sensitivity"], r["specificity"], r["precision"]) == pytest.approx(
        (2 / 8, 1 / 7, 2 / 8))
    assert r["control_text"] == "weight_spread \u2264 0.001"


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
        rows.append(run_row(claim="v", init="glorot_uniform", replicate=r, collapsed=True,
                            rel_output_std=0.02 if r < 6 else 0.0005))
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
    assert d["secondary"] == "balanced_accuracy"
    assert (d["secondary_cause"], d["secondary_control"]) == pytest.approx((0.5, 0.9055))
    c = table.iloc[1]
    assert (c["n_cause"], c["n_control"], c["n_pairs"]) == (0, 0, 0)
    assert c["verdict"] == "not evaluable" and c["reason"] == "no rows: cause"
    v = table[table["outcome"] == "diverged"].iloc[0]
    assert (v["rate_cause"], v["rate_control"], v["diverged_cause"]) == (1.0, 0.0, 1.0)
    assert v["level_verdict"] == "supported"
    # collapse rates at the spread thresholds: diverged networks count as not collapsed
    assert [v[f"collapse_control_{t:g}"] for t in (0.001, 0.01, 0.05, 0.1)] == [0.5, 0.5, 1, 1]
    assert v["collapse_cause_0.1"] == 0.0
    # the same rows with outcome 'collapsed': every cause network diverged, so the level says
    # nothing about collapse (it is not read as "the cause prevents collapse")
    w = claims.claims_table(df, [contrast("v")]).iloc[0]
    assert (w["rate_cause"], w["rate_control"], w["effect"]) == (0.0, 1.0, -1.0)
    assert w["level_verdict"] == "not evaluable" and w["level_reason"] == "diverged: cause 100%"


def test_claims_table_empty_without_claims_and_raises_on_a_bad_one():
    table = claims.claims_table(verdict_runs(), [])
    assert table.empty and list(table.columns) == claims.TABLE_COLUMNS
    with pytest.raises(ValueError, match="no_such_column"):
        claims.claims_table(
            verdict_runs(), [{"id": "x", "cause": {"no_such_column": 1}, "control": {"lr": 1}}]
        )


def tuned_runs():
    """A tuning grid (lr per optimizer, its own seeds) and a claim whose control is tuned.

    Tuning medians: adam 0.1 -> 0.7, 0.01 -> 0.85 (picks 0.01); sgd 0.1 -> 0.8, 0.01 -> 0.5
    (a diverged network counts as its baseline score 0.5; picks 0.1). The claim's control at
    the tuned lr never collapses, at the other lr always does; the cause always collapses.
    """
    scores = {("adam", 0.1): [0.6, 0.7, 0.8], ("adam", 0.01): [0.9, 0.5, 0.85],
              ("sgd", 0.1): [0.8, 0.9, 0.7], ("sgd", 0.01): [0.4, 0.6, None]}
    rows = []
    for (optimizer, lr), values in scores.items():
        for r, score in enumerate(values):
            rows.append(run_row(
                claim="tune", optimizer=optimizer, lr=lr, replicate=100 + r, seed=100 + r,
                score=math.nan if score is None else score, baseline_score=0.5,
                status="diverged" if score is None else "ok"))
    for optimizer, best, other in (("adam", 0.01, 0.1), ("sgd", 0.1, 0.01)):
        rows += arm_rows("c", [1] * 8, init="constant", init_value=0.5, lr=0.01,
                         optimizer=optimizer)
        rows += arm_rows("c", [0] * 8, init="glorot_uniform", lr=best, optimizer=optimizer)
        rows += arm_rows("c", [1] * 8, init="glorot_uniform", lr=other, optimizer=optimizer)
    return runs_frame(rows)


TUNED_CLAIMS = [
    {"id": "tune", "kind": "tuning", "column": "lr", "within": "optimizer"},
    {"id": "c", "cause": {"init": "constant"}, "control": {"init": "glorot_uniform", "lr": "tuned"},
     "tuned_by": "tune", "by": "optimizer"},
]


def test_tuned_control_takes_the_best_median_score_per_group():
    df = tuned_runs()
    tuning = claims.check_claim(TUNED_CLAIMS[0], df.columns)
    assert tuning["kind"] == "tuning" and tuning["outcome"] == "failed"
    chosen = claims.tuning_choices(df, tuning)
    assert chosen == {"lr": {"within": ["optimizer"], "values": {("adam",): 0.01, ("sgd",): 0.1},
                             "scores": {("adam",): 0.85, ("sgd",): 0.8}}}
    table = claims.claims_table(df, TUNED_CLAIMS)
    assert list(table["claim"]) == ["c", "c"]  # the tuning claim is not a claim of its own
    assert list(table["level_text"]) == ["optimizer = adam, vs lr tuned",
                                         "optimizer = sgd, vs lr tuned"]
    # each level paired with the control at its own tuned lr: 8 of 8 cause-only
    assert list(table["n_control"]) == [8, 8] and list(table["rate_control"]) == [0.0, 0.0]
    assert list(zip(table["n_pairs"], table["b"], table["c"])) == [(8, 8, 0), (8, 8, 0)]
    assert claims.claim_verdicts(table) == {"c": "supported"}
    assert table.attrs["tuned"] == {"c": "lr 0.01 (optimizer = adam); lr 0.1 (optimizer = sgd)"}
    # a tie goes to the smaller value
    tie = df.copy()
    tie.loc[(tie["claim"] == "tune") & (tie["optimizer"] == "sgd"), "score"] = 0.7
    assert claims.tuning_choices(tie, tuning)["lr"]["values"][("sgd",)] == 0.01
    with pytest.raises(ValueError, match="tuned_by"):
        claims.check_claim({**TUNED_CLAIMS[1], "tuned_by": None}, df.columns)
    with pytest.raises(ValueError, match="not a tuning claim"):
        claims.claims_table(df, [TUNED_CLAIMS[1]])


def test_exclude_sets_rows_apart_from_both_arms():
    rows = pair_rows("x", [1] * 10, [0] * 10)
    for row in rows[:2] + rows[12:13]:  # cause replicates 0, 1 and control replicate 2
        row["dead_layer_init"] = True
    df = runs_frame(rows)
    claim = {**contrast("x"), "exclude": {"dead_layer_init": True}}
    r = claims.claims_table(df, [claim]).iloc[0]
    assert r["n_excluded"] == 3 and (r["n_cause"], r["n_control"]) == (8, 9)
    # pairs 0, 1 and 2 lose a side: 7 pairs, all cause-only
    assert (r["n_pairs"], r["b"], r["c"]) == (7, 7, 0)
    kept = claims.claims_table(df, [contrast("x")]).iloc[0]
    assert (kept["n_excluded"], kept["n_pairs"], kept["b"]) == (0, 10, 10)
    with pytest.raises(ValueError, match="exclude filter 'nope'"):
        claims.check_claim({**claim, "exclude": {"nope": 1}}, df.columns)


def test_with_confirmation_settles_only_agreeing_decided_claims():
    explore = claims.claims_table(verdict_runs(), VERDICT_CLAIMS)
    rows = pair_rows("strong", [1] * 10, [0] * 10)  # supported again
    rows += pair_rows("reverse", [0] * 12, [0] * 12)  # no longer contradicted: inconclusive
    rows += pair_rows("few", [0] * 5, [0] * 5)  # inconclusive again
    confirm = claims.claims_table(runs_frame(rows), VERDICT_CLAIMS[:2] + VERDICT_CLAIMS[3:4])
    assert claims.claim_verdicts(confirm) == {"strong": "supported", "reverse": "inconclusive",
                                              "few": "inconclusive"}
    both = claims.with_confirmation(explore, confirm)
    assert len(both) == len(explore) and both.attrs["rule"] == explore.attrs["rule"]
    first = both.drop_duplicates("claim").set_index("claim")
    assert first["confirm_verdict"].to_dict() == {
        "strong": "supported", "reverse": "inconclusive", "null": "not run",
        "few": "inconclusive", "mixed": "not run", "skipped": "not run"}
    # settled: the same word in both runs, and a decided one
    assert first["settled"].to_dict() == {"strong": True, "reverse": False, "null": False,
                                          "few": False, "mixed": False, "skipped": False}
    strong = first.loc["strong"]
    assert (strong["confirm_level_verdict"], strong["confirm_n_pairs"]) == ("supported", 10)
    _, low, high = stats.paired_effect_interval(10, 0, 10, 1 - 0.05)  # alone in its family
    assert (strong["confirm_effect"], strong["confirm_low"], strong["confirm_high"]) == (
        1.0, pytest.approx(low), high)
    assert strong["confirm_pooled_effect"] == 1.0
    mixed = both[both["claim"] == "mixed"]
    assert list(mixed["confirm_level_verdict"]) == ["not run", "not run"]
    assert mixed["confirm_effect"].isna().all()
    none = claims.with_confirmation(explore, None)
    assert set(none["confirm_verdict"]) == set(none["confirm_level_verdict"]) == {"not run"}
    assert not none["settled"].any() and none["confirm_effect"].isna().all()


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
            "task": pd.array(["binary"] * len(arm), dtype="string"),
            "collapsed": pd.array(rng.random(len(arm)) < rate, dtype="boolean"),
        }
    )
    defs = [{**contrast(f"p{k}"), "by": "dataset"} for k in range(n_claims)]
    return df, defs


def test_placebo_claims_are_rarely_called_an_effect():
    """The acceptance criterion: cause and control identically distributed, at most 5% of the
    simulated sweeps get any verdict word that says there is an effect (one Holm family per
    sweep: the family-wise error covers every level of every claim)."""
    rng = np.random.default_rng(20240611)
    presets, per_preset = 100, 3
    effect_words = [claims.SUPPORTED, claims.CONTRADICTED]
    verdict_words, level_words, sweeps_wrong = [], [], []
    for _ in range(presets):
        rates = rng.choice([0.05, 0.3, 0.5], size=per_preset)
        df, defs = simulated_preset(rng, rates, rates)
        table = claims.claims_table(df, defs)
        assert (table["n_pairs"] == SIM_REPLICATES).all() and len(table) == 2 * per_preset
        verdict_words += list(claims.claim_verdicts(table).values())
        level_words += list(table["level_verdict"])
        sweeps_wrong.append(table["level_verdict"].isin(effect_words).any())
    verdict_words, level_words = np.array(verdict_words), np.array(level_words)
    assert verdict_words.size == presets * per_preset
    assert np.mean(sweeps_wrong) <= 0.05
    assert np.mean(np.isin(level_words, effect_words)) <= 0.05
    # a claim is an effect when any of its levels is one (supported, contradicted, or mixed
    # with an effect at some level)
    assert np.mean(np.isin(verdict_words, effect_words)) <= np.mean(sweeps_wrong)
    assert set(level_words) <= {*effect_words, claims.NOT_SUPPORTED, claims.INCONCLUSIVE}
    assert np.isin(level_words, [claims.NOT_SUPPORTED, claims.INCONCLUSIVE]).mean() >= 0.95


def test_a_large_true_effect_at_30_pairs_is_supported():
    rng = np.random.default_rng(7)
    for _ in range(10):  # beside three placebo claims, under Holm over the preset
        df, defs = simulated_preset(rng, [0.9, 0.3, 0.05, 0.5], [0.1, 0.3, 0.05, 0.5])
        table = claims.claims_table(df, defs)
        assert claims.claim_verdicts(table)["p0"] == "supported"


# -- the rule text -------------------------------------------------------------------------------


def test_rule_description_renders_its_constants():
    text = claims.rule_description()
    assert "10 percentage points" in text and "Holm family at 0.05" in text
    assert "at most 5%" in text and "score at most 0.05 above" in text
    for word in ("Holm", "Tarone", "Clopper-Pearson", "Tango", "two one-sided tests"):
        assert word in text
    for word in (claims.SUPPORTED, claims.CONTRADICTED, claims.NOT_SUPPORTED,
                 claims.INCONCLUSIVE, claims.MIXED):
        assert f"'{word}'" in text
    text = claims.rule_description(margin=0.2, learn_margin=0.1, alpha=0.01)
    assert "20 percentage points" in text and "Holm family at 0.01" in text
    assert "at most 1%" in text and "score at most 0.1 above" in text
    assert "10 percentage points" not in text


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
    rows += _rows("label_noise", 0, replicates=80, label_noise=0.4)
    rows += _rows("label_noise", 0, replicates=80, label_noise=0.0)
    rows.append(run_row(claim="label_noise", label_noise=0.4, replicate=81, status="error"))
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
    assert (moons["n_pairs"], moons["b"], moons["c"]) == (REPLICATES, REPLICATES, 0)
    assert moons["mechanism_verdict"] == stats.MOVED
    # the family: five difference tests (12 of 12 discordant) and label_noise's equivalence
    # test (80 pairs); Tarone's K = 6 keeps all six
    assert table["p_holm"].notna().sum() == 6
    assert moons["p_holm"] == pytest.approx(6 * 2 / 2**12)
    digits = by_level.loc["constant_init/dataset = digits"]
    assert digits["level_verdict"] == "inconclusive" and digits["tested_at"] == 0.05 / 6
    assert digits["pairs_needed"] == math.ceil(9 * sps.norm.ppf(1 - 0.05 / 6) ** 2)
    assert table.loc[table["claim"] == "constant_init", "reason"].iat[0] == (
        "collapsed: supported at dataset = moons | inconclusive at dataset = digits")
    # dropout's reg_strength follows the treatment: it does not stop the pairing
    assert by_level.loc["dropout_mitigates/", "n_pairs"] == REPLICATES
    ladder = table[table["claim"] == "lr_ladder"]
    assert list(ladder["level_text"]) == ["lr = 1e-05", "lr = 0.1"]
    assert (ladder["n_pairs"] == REPLICATES).all() and (ladder["rate_cause"] == 1.0).all()
    assert list(ladder["mechanism_verdict"]) == [stats.MOVED] * 2
    high = by_level.loc["high_lr/"]
    assert (high["outcome"], high["rate_cause"], high["rate_control"]) == ("diverged", 1.0, 0.0)
    noise = by_level.loc["label_noise/"]
    assert (noise["n_cause"], noise["n_pairs"]) == (80, 80)  # the failed run is left out
    assert noise["p_equivalence"] == pytest.approx(sps.norm.sf(math.sqrt(80 / 9)))
    assert noise["tested_at"] == 0.05 and noise["level_verdict"] == "not supported"
    diagnostic = by_level.loc["weight_spread_diagnostic/distinct networks"]
    assert diagnostic["n_cause"] == int(aggregate.summary(df)["collapsed"]) == 48
    # distinct finite networks not flagged: constant_init's 36 others; lr 0.01 (12, shared by
    # high_lr and lr_ladder); label noise 0.4 (80); label noise 0 (80, of which seeds 0-11 are
    # constant_init's moons/glorot networks, as are dropout_mitigates' controls)
    assert diagnostic["n_control"] == 36 + 12 + 80 + 68
    assert (diagnostic["sensitivity"], diagnostic["specificity"]) == (1.0, 1.0)
    missing = by_level.loc["never_trained/"]
    assert (missing["n_cause"], missing["n_control"]) == (0, 0)
    assert missing["level_reason"] == "no rows: cause"
    assert by_level.loc["batch_one/", "reason"] == "needs a week of compute"


def test_report_opens_with_the_claims(tmp_path):
    sweep = write_claims_sweep(tmp_path / "claims-sweep")
    text = write_report(sweep).read_text(encoding="utf-8")
    start = text.index('id="claims"')
    assert text.index("<h2") > start  # no other section before the claims
    section = text[start : text.index("</section>", start)]
    assert "8 claims. Exploration: 2 supported, 1 mixed, 1 not supported, 1 contradicted, " \
        "1 not evaluable, 1 diagnostic, 1 dropped." in section
    blocks = re.findall(r'<details class="claim"><summary>(.*?)</summary>', section)
    texts = [line.removeprefix("  text: ") for line in MULTIRUN_YAML.splitlines()
             if line.startswith("  text: ")]
    assert len(blocks) == len(texts) == len(EXPECTED_VERDICTS)
    for summary, claim_text, word in zip(blocks, texts, EXPECTED_VERDICTS.values(), strict=True):
        assert f"<strong>{claim_text}</strong>" in summary
        assert f'<span class="verdict v-{word.replace(" ", "-")}">{word}</span>' in summary
        assert '<span class="verdict v-not-run">not run</span>' in summary  # no confirmation
    assert 'id="verdict-rule"' in section and "Tarone" in section
    assert "claims_forest" in section or "<img" in section  # the forest plot
    csv = pd.read_csv(sweep / "claims.csv")
    assert list(csv.columns) == claims.CSV_COLUMNS and len(csv) == 10  # one row per level
    assert set(csv["confirm_verdict"]) == {"not run"} and not csv["settled"].any()


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
    # alone in the family: tested at 0.05, p = 2 / 2^30; Tango at b = n = 30, 95%
    z2 = sps.norm.ppf(0.975) ** 2
    low = (30 - z2) / (30 + z2)
    assert levels[2] == (
        f"| z | all | collapsed | 30 | 100% [88%, 100%] | 0% [0%, 12%] | +100% [{low:+.0%}, "
        f"+100%] | {2 / 2**30:.2g} | supported | not run |  |")
    assert summary[2] == (
        f"| zeros collapse | collapsed | 1 supported | +100% [{low:+.0%}, +100%] | "
        "**supported** | **not run** | no |")
    assert "dropped" in summary[3] and "no design collapses without it" in summary[3]
    assert levels[3].startswith("| d |") and "dropped" in levels[3]


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
    verdicts_ = claims.claim_verdicts(table)
    # every cause network diverged: nothing to say about collapse, but divergence is clear
    assert verdicts_ == {"hi": "not evaluable", "hi_div": "supported"}
    by_claim = table.set_index("claim")
    assert by_claim.loc["hi", "level_reason"] == "diverged: cause 100%"
    assert by_claim.loc["hi_div", "n_pairs"] == 30 and by_claim.loc["hi_div", "b"] == 30
    with pytest.raises(ValueError, match="rows=3: must name another claim's id"):
        claims.check_claim({"id": "x", "rows": 3, **spec}, df.columns)
