"""Test the claims a sweep was built for: every number and verdict computed from the rows.

The unit of analysis is one trained network; cause and control networks come in pairs (see
`analysis.claim_spec`). Per level: exact (Clopper-Pearson) rates per arm, the paired effect
(cause rate - control rate), and two tests of it, difference and equivalence, which go with
every other level's into one Holm family (`analysis.verdicts`, the one place the rule is
written). A level where most networks diverged is not evaluable on a collapse outcome. Beside
the verdict: a continuous secondary outcome (paired mean difference with a bootstrap
interval), the collapse rate at several thresholds and the named mechanism; none of them
changes the verdict. Diagnostic claims (a rule that flags collapse) are scored as
diagnostics: sensitivity, specificity and precision on the sweep's distinct networks.

Example:
    >>> from analysis.claims import claims_table
    >>> from analysis.load import load_claims, load_runs
    >>> table = claims_table(load_runs(sweep), load_claims(sweep))
    >>> table.groupby("claim", sort=False)["verdict"].first()
"""

import math

import numpy as np
import pandas as pd

from analysis import outcomes, stats, verdicts
from analysis.claim_spec import (  # noqa: F401  (re-exported: the claims API in one place)
    CONTRAST,
    DIAGNOSTIC,
    DIRECTIONS,
    OUTCOMES,
    TUNING,
    check_claim,
    claim_groups,
    claim_levels,
    describe_filters,
    describe_groups,
    match,
    pair_columns,
    paired_rows,
    select,
    tuning_choices,
    untuned,
)
from experiments.storage.schema import FACTOR_COLUMNS

SUPPORTED, MIXED, NOT_SUPPORTED = verdicts.SUPPORTED, verdicts.MIXED, verdicts.NOT_SUPPORTED
CONTRADICTED, INCONCLUSIVE = verdicts.CONTRADICTED, verdicts.INCONCLUSIVE
NOT_EVALUABLE = verdicts.NOT_EVALUABLE
DROPPED = "dropped"
DIAGNOSTIC_WORD = "diagnostic"  # a diagnostic claim's verdict column: scored, not tested
VERDICTS = (*verdicts.CLAIM_WORDS, DIAGNOSTIC_WORD, DROPPED)
NOT_RUN = "not run"

THRESHOLD_COLUMNS = [f"collapse_{arm}_{t:g}" for arm in ("cause", "control")
                     for t in outcomes.THRESHOLDS]

# Numbers of one level of a claim, in the order of the claims table and claims.csv.
PART_COLUMNS = [
    "n_pairs", "n_cause", "n_control", "n_excluded",
    "rate_cause", "rate_cause_low", "rate_cause_high",
    "rate_control", "rate_control_low", "rate_control_high",
    "diverged_cause", "diverged_control", "b", "c",
    "effect", "effect_low", "effect_high", "interval_confidence",
    "p_difference", "p_equivalence", "p_holm", "tested_at",
    "secondary", "secondary_cause", "secondary_control",
    "secondary_difference", "secondary_low", "secondary_high",
    *THRESHOLD_COLUMNS,
    "mechanism_cause", "mechanism_control", "mechanism_relative", "mechanism_p",
    "mechanism_nonfinite", "mechanism_verdict",
    "level_verdict", "level_reason", "pairs_needed",
]
TABLE_COLUMNS = [
    "claim", "text", "kind", "outcome", "cause_text", "control_text", "by", "level_text",
    *PART_COLUMNS,
    "mechanism", "mechanism_direction",
    "pooled_effect", "pooled_low", "pooled_high",
    "verdict", "verdict_counts", "reason",
]
# What claims.csv holds: one row per claim and level.
CSV_COLUMNS = [
    "claim", "level_text", "outcome", "n_pairs", "n_cause", "n_control", "n_excluded",
    "rate_cause", "rate_cause_low", "rate_cause_high",
    "rate_control", "rate_control_low", "rate_control_high",
    "diverged_cause", "diverged_control",
    "effect", "effect_low", "effect_high", "interval_confidence",
    "p_difference", "p_equivalence", "p_holm",
    "level_verdict", "level_reason", "pairs_needed",
    "secondary", "secondary_cause", "secondary_control",
    "secondary_difference", "secondary_low", "secondary_high",
    *THRESHOLD_COLUMNS,
    "mechanism", "mechanism_cause", "mechanism_control", "mechanism_verdict",
    "verdict", "verdict_counts", "confirm_level_verdict", "confirm_effect", "confirm_low",
    "confirm_high", "confirm_verdict", "settled",
]


def _rate(flags):
    flags = flags[~np.isnan(flags)]
    k, n = int(flags.sum()), int(flags.size)
    low, high = stats.rate_interval(k, n)
    return (k / n if n else math.nan), low, high, n


def _median(values):
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def compare_arms(cause, control, keys, outcome="collapsed", mechanism=None, direction="higher",
                 secondary=None, margin=outcomes.LEARN_MARGIN):
    """The numbers of one level before the family decides: rates, pairs and their counts.

    Args:
        cause: Runs rows of the cause at this level.
        control: Runs rows of the control at this level.
        keys: Pair columns (see `pair_columns`); None: the arms do not pair up.
        outcome: One of `outcomes.OUTCOMES`.
        mechanism: Metric column the claim names, or None.
        direction: 'higher' or 'lower': how the cause should move the mechanism.
        secondary: Continuous outcome column (None: `outcomes.secondary_name`).
        margin: learning margin of not_learned and failed.

    Returns:
        Dict with the level's numbers (PART_COLUMNS up to the mechanism; the verdict columns
        come from the family).
    """
    a = outcomes.outcome_values(cause, outcome, margin)
    b = outcomes.outcome_values(control, outcome, margin)
    out = {}
    for name, flags, rows in (("cause", a, cause), ("control", b, control)):
        rate, low, high, n = _rate(flags)
        out.update({f"rate_{name}": rate, f"rate_{name}_low": low, f"rate_{name}_high": high,
                    f"n_{name}": n, f"diverged_{name}": outcomes.diverged_share(rows)})
        for t, share in outcomes.collapse_rates(rows).items():
            out[f"collapse_{name}_{t:g}"] = share
    pa, pb = paired_rows(cause, control, keys) if keys is not None else ([], [])
    pa, pb = np.asarray(pa, int), np.asarray(pb, int)
    x, y = a[pa], b[pb]
    known = ~(np.isnan(x) | np.isnan(y))
    counts = stats.paired_counts(x[known], y[known])
    n = counts["n"]
    out.update(n_pairs=n, b=counts["cause_only"], c=counts["control_only"],
               effect=(counts["cause_only"] - counts["control_only"]) / n if n else math.nan)
    name = outcomes.secondary_name(pd.concat([cause, control]), secondary)
    second_a, second_b = outcomes.numeric(cause, name), outcomes.numeric(control, name)
    diff = outcomes.paired_difference(second_a[pa], second_b[pb])
    out.update(secondary=name, secondary_cause=_median(second_a),
               secondary_control=_median(second_b), secondary_difference=diff["difference"],
               secondary_low=diff["low"], secondary_high=diff["high"])
    mech = stats.mechanism_verdict(outcomes.numeric(cause, mechanism)[pa],
                                   outcomes.numeric(control, mechanism)[pb], direction)
    if mechanism is None:
        mech = dict.fromkeys(mech, math.nan) | {"word": "", "n_nonfinite_cause": 0,
                                                "n_nonfinite_control": 0}
    out.update(
        mechanism_cause=mech["median_cause"], mechanism_control=mech["median_control"],
        mechanism_relative=mech["relative_effect"], mechanism_p=mech["p"],
        mechanism_nonfinite=mech["n_nonfinite_cause"] + mech["n_nonfinite_control"],
        mechanism_verdict=mech["word"],
    )
    return out


def claim_parts(df, claim, tuned=None, margin=outcomes.LEARN_MARGIN):
    """Numbers per level of a checked contrast claim, before the family decides.

    Returns:
        Frame with columns level_text, the numbers of `compare_arms`, n_excluded and
        level_reason (why a level is not evaluable, else "").
    """
    if claim["dropped"]:
        return pd.DataFrame([{"level_text": "", "n_pairs": 0, "level_reason": "",
                              "mechanism_verdict": ""}])
    own = df[match(df["claim"], claim["rows"])]
    excluded = own[select(own, claim["exclude"])] if claim["exclude"] else own.iloc[:0]
    kept = own.drop(excluded.index) if len(excluded) else own
    arms = select(kept, untuned(claim["cause"])) | select(
        kept, untuned(claim["control"]))
    keys = pair_columns(kept[arms], claim)
    rows = []
    for text, cause, control in claim_levels(df, claim, tuned):
        numbers_ = compare_arms(cause, control, keys, claim["outcome"], claim["mechanism"],
                                claim["mechanism_direction"], claim["secondary"], margin)
        reason = outcomes.not_evaluable(claim["outcome"], cause, control) or ""
        if not reason and not (numbers_["n_cause"] and numbers_["n_control"]):
            reason = "no rows: " + ("cause" if not numbers_["n_cause"] else "control")
        elif not reason and not numbers_["n_pairs"]:
            reason = "no pairs: the arms share no replicate and factors"
        rows.append({"level_text": text, **numbers_, "level_reason": reason,
                     "n_excluded": len(excluded)})  # per claim: set apart before levels
    return pd.DataFrame(rows)


def _diagnostic_part(df, claim):
    """Sensitivity, specificity and precision of a diagnostic rule on distinct networks.

    A network trained by several claims' grids (same factors and seed) counts once; the truth
    is `collapsed`, the rule is the predictor past its bound; rows without a predictor value
    or a collapse outcome are left out. Exact (Clopper-Pearson) intervals.
    """
    columns = [c for c in FACTOR_COLUMNS if c in df] + ["seed"]
    distinct = df.drop_duplicates(columns)
    flagged, other = claim_groups(distinct, claim)
    truth_flagged = outcomes.outcome_values(flagged, "collapsed")
    truth_other = outcomes.outcome_values(other, "collapsed")
    tp = int(np.nansum(truth_flagged))
    fp = int(np.sum(truth_flagged == 0))
    fn = int(np.nansum(truth_other))
    tn = int(np.sum(truth_other == 0))
    out = {"level_text": "distinct networks", "n_cause": tp + fp, "n_control": fn + tn,
           "n_pairs": 0, "level_reason": "", "mechanism_verdict": ""}
    for name, k, n in (("sensitivity", tp, tp + fn), ("specificity", tn, tn + fp),
                       ("precision", tp, tp + fp)):
        low, high = stats.rate_interval(k, n)
        out.update({name: k / n if n else math.nan, f"{name}_low": low, f"{name}_high": high})
    out.update(rate_cause=out["precision"], rate_cause_low=out["precision_low"],
               rate_cause_high=out["precision_high"])
    rate, low, high, _ = _rate(truth_other)
    out.update(rate_control=rate, rate_control_low=low, rate_control_high=high)
    return pd.DataFrame([out])


def _diagnostic_reason(r):
    def part(name):
        value = r.get(name)
        if value is None or not np.isfinite(value):
            return f"{name} n/a"
        return (f"{name} {value:.0%} [{r[f'{name}_low']:.0%}, {r[f'{name}_high']:.0%}]")

    return "; ".join(part(n) for n in ("sensitivity", "specificity", "precision"))


def decide(table, margin=verdicts.MARGIN, alpha=verdicts.ALPHA):
    """Run the sweep's family of tests over the evaluable levels of `table` (in place).

    Fills level_verdict, p_difference, p_equivalence, p_holm (of the test that decided, or
    of the difference test when none did), tested_at, effect_low/high and
    interval_confidence (the interval the verdict used), and pairs_needed.
    """
    tests = []
    testable = []
    for i, r in enumerate(table.itertuples()):
        ok = (r.kind == CONTRAST and not r.dropped and not r.level_reason
              and r.n_pairs and r.n_pairs > 0)
        testable.append(bool(ok))
        if ok:
            tests += verdicts.level_tests(i, int(r.b), int(r.c), int(r.n_pairs), margin)
    decisions = verdicts.holm_family(tests, alpha)
    by_level = {}
    for t, d in zip(tests, decisions, strict=True):
        by_level.setdefault(t.level, {})[t.kind] = (t, d)
    cols = {k: [] for k in ("level_verdict", "p_difference", "p_equivalence", "p_holm",
                            "tested_at", "effect_low", "effect_high", "interval_confidence",
                            "pairs_needed")}
    for i, r in enumerate(table.itertuples()):
        if not testable[i]:
            word = (DROPPED if r.dropped else DIAGNOSTIC_WORD if r.kind == DIAGNOSTIC
                    else NOT_EVALUABLE if r.level_reason else INCONCLUSIVE)
            for k, v in (("level_verdict", word), *((k, math.nan) for k in cols
                                                    if k != "level_verdict")):
                cols[k].append(v)
            continue
        got = by_level[i]
        diff_t, diff_d = got["difference"]
        eq_t, eq_d = got["equivalence"]
        word = verdicts.level_word(r.effect, diff_d, eq_d)
        kind, decision = ("equivalence", eq_d) if word == NOT_SUPPORTED else (
            "difference", diff_d)
        b, c, n = int(r.b), int(r.c), int(r.n_pairs)
        _, low, high = verdicts.interval(b, c, n, decision, kind)
        used = decision.alpha
        confidence = 1 - 2 * used if kind == "equivalence" else 1 - used
        need = math.nan
        if word == INCONCLUSIVE:  # at the larger of the two levels its tests faced
            need = verdicts.pairs_needed(b, c, n, max(diff_d.alpha, eq_d.alpha), margin)
        for k, v in (("level_verdict", word), ("p_difference", diff_t.p),
                     ("p_equivalence", eq_t.p), ("p_holm", decision.p_holm),
                     ("tested_at", decision.alpha), ("effect_low", low),
                     ("effect_high", high), ("interval_confidence", confidence),
                     ("pairs_needed", need)):
            cols[k].append(v)
    for k, v in cols.items():
        table[k] = v
    return table


def claims_table(df, claims, margin=verdicts.MARGIN, learn_margin=outcomes.LEARN_MARGIN,
                 alpha=verdicts.ALPHA):
    """One row per (claim, level) with every number shown in the report and the verdicts.

    Args:
        df: Runs frame.
        claims: Claim dicts (from `load.load_claims`); tuning claims choose controls and do
            not appear themselves.
        margin: equivalence margin of the paired effect.
        learn_margin: score margin of not_learned and failed.
        alpha: family-wise error rate of the sweep's verdicts.

    Returns:
        Frame with the TABLE_COLUMNS; claims in the given order. Empty for no claims.

    Raises:
        ValueError: A claim definition is invalid (see `check_claim`).
    """
    checked = [check_claim(raw, df.columns) for raw in claims]
    ids = [claim["id"] for claim in checked]
    twice = sorted({cid for cid in ids if ids.count(cid) > 1})
    if twice:
        raise ValueError(f"claim id {twice[0]!r} is used by more than one claim; ids must differ")
    tunings = {c["id"]: c for c in checked if c["kind"] == TUNING and not c["dropped"]}
    tuned = {cid: tuning_choices(df, c) for cid, c in tunings.items()}
    frames = []
    for claim in checked:
        if claim["kind"] == TUNING:
            continue
        if claim["tuned_by"] and claim["tuned_by"] not in tunings:
            raise ValueError(f"claim {claim['id']!r}: tuned_by {claim['tuned_by']!r} is not a "
                             "tuning claim of this sweep")
        if claim["dropped"]:
            parts = claim_parts(df, claim)
        elif claim["kind"] == DIAGNOSTIC:
            parts = _diagnostic_part(df, claim)
        else:
            parts = claim_parts(df, claim, tuned.get(claim["tuned_by"]), learn_margin)
        cause_text, control_text = describe_groups(claim) if not claim["dropped"] else ("", "")
        frames.append(parts.assign(
            claim=claim["id"], text=claim["text"], kind=claim["kind"], outcome=claim["outcome"],
            cause_text=cause_text, control_text=control_text, by=", ".join(claim["by"]),
            mechanism=claim["mechanism"], mechanism_direction=claim["mechanism_direction"],
            dropped=claim["dropped"] or ""))
    if not frames:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    for column in [*PART_COLUMNS, "sensitivity", "specificity", "precision"]:
        if column not in table:
            table[column] = math.nan
    table["level_reason"] = table["level_reason"].fillna("")
    decide(table, margin, alpha)
    for _, block in table.groupby("claim", sort=False):
        word, counts, reason = _claim_verdict(block)
        table.loc[block.index, "verdict"] = word
        table.loc[block.index, "verdict_counts"] = counts
        table.loc[block.index, "reason"] = reason
        pooled = _pooled(block)
        for k, v in zip(("pooled_effect", "pooled_low", "pooled_high"), pooled, strict=True):
            table.loc[block.index, k] = v
    # claim id -> the tuned control values its levels used (claims with tuned_by only)
    table.attrs["tuned"] = {c["id"]: _tuned_text(tuned[c["tuned_by"]]) for c in checked
                            if c.get("tuned_by") in tuned}
    table.attrs["rule"] = {"margin": margin, "learn_margin": learn_margin, "alpha": alpha}
    return table[TABLE_COLUMNS + ["dropped", "sensitivity", "specificity", "precision"]]


def _pooled(block):
    """Descriptive pooled paired effect of a claim's evaluable levels with a 95% Tango
    interval (pairs pooled; not a test: the verdict comes from the levels)."""
    ok = block[(block["kind"] == CONTRAST) & (block["level_reason"] == "")
               & (block["n_pairs"].fillna(0) > 0)]
    if ok.empty:
        return math.nan, math.nan, math.nan
    b, c, n = int(ok["b"].sum()), int(ok["c"].sum()), int(ok["n_pairs"].sum())
    return stats.paired_effect_interval(b, c, n)


def _tuned_text(tuned):
    parts = []
    for column, choice in tuned.items():
        for key, value in sorted(choice["values"].items(), key=lambda kv: str(kv[0])):
            where = ", ".join(f"{w} = {k}" for w, k in zip(choice["within"], key, strict=True))
            parts.append(f"{column} {value:g} ({where})" if isinstance(value, float)
                         else f"{column} {value} ({where})")
    return "; ".join(parts)


def _claim_verdict(block):
    """(verdict, counts text, reason) of one claim from its levels."""
    r = block.iloc[0]
    if r["dropped"]:
        return DROPPED, "", r["dropped"]
    if r["kind"] == DIAGNOSTIC:
        return DIAGNOSTIC_WORD, "", _diagnostic_reason(r)
    words = list(block["level_verdict"])
    word = verdicts.claim_word(words)
    counts = verdicts.word_counts(words)
    outcome = r["outcome"].replace("_", " ")
    if len(words) == 1:
        return word, counts, _level_sentence(r, outcome)
    groups = []
    for w in verdicts.LEVEL_WORDS:
        texts = [t or "all" for t, lw in zip(block["level_text"], words, strict=True) if lw == w]
        if not texts:
            continue
        if w == NOT_EVALUABLE:
            reasons = sorted(set(block.loc[block["level_verdict"] == w, "level_reason"]))
            groups.append(f"{w} at {'; '.join(texts)} ({'; '.join(reasons)})")
        else:
            groups.append(f"{w} at {'; '.join(texts)}")
    return word, counts, f"{outcome}: " + " | ".join(groups)


def _level_sentence(r, outcome):
    word = r["level_verdict"]
    if word == SUPPORTED:
        return f"{outcome} more often with the cause"
    if word == CONTRADICTED:
        return f"{outcome} less often with the cause"
    if word == NOT_SUPPORTED:
        return f"{outcome}: no difference beyond the margin"
    if word == NOT_EVALUABLE:
        return r["level_reason"]
    need = r["pairs_needed"]
    text = f"{outcome}: too few networks to tell"
    if need is not None and np.isfinite(need):
        text += f"; about {int(need)} pairs would resolve it"
    return text


def claim_verdicts(table):
    """Claim id -> verdict, from the output of `claims_table` (claims in table order)."""
    return dict(table.groupby("claim", sort=False)["verdict"].first())


CONFIRM_COLUMNS = ["confirm_level_verdict", "confirm_effect", "confirm_low", "confirm_high",
                   "confirm_n_pairs", "confirm_verdict", "confirm_pooled_effect",
                   "confirm_pooled_low", "confirm_pooled_high", "settled"]


def with_confirmation(table, confirm):
    """The exploratory table with the confirmation run's results beside it.

    Adds, matched on claim and level text, the confirmation's level verdict, effect and
    interval, and per claim its verdict and pooled effect; `settled`: both runs gave the
    same claim word, and it is neither inconclusive nor not evaluable. `confirm` None: the
    confirmation columns read 'not run' (NaN numbers).
    """
    out = table.copy()
    if confirm is None or confirm.empty:
        for column in CONFIRM_COLUMNS:
            out[column] = NOT_RUN if column.endswith("verdict") else math.nan
        out["settled"] = False
        return out
    level = confirm.drop_duplicates(["claim", "level_text"]).set_index(["claim", "level_text"])
    keys = pd.MultiIndex.from_arrays([out["claim"], out["level_text"]])
    found = keys.isin(level.index)
    picked = level.reindex(keys)
    out["confirm_level_verdict"] = np.where(found, picked["level_verdict"].to_numpy(), NOT_RUN)
    for ours, theirs in (("confirm_effect", "effect"), ("confirm_low", "effect_low"),
                         ("confirm_high", "effect_high"), ("confirm_n_pairs", "n_pairs")):
        out[ours] = picked[theirs].to_numpy()
    first = confirm.drop_duplicates("claim").set_index("claim")
    for ours, theirs in (("confirm_verdict", "verdict"),
                         ("confirm_pooled_effect", "pooled_effect"),
                         ("confirm_pooled_low", "pooled_low"),
                         ("confirm_pooled_high", "pooled_high")):
        mapped = out["claim"].map(first[theirs])
        out[ours] = mapped.fillna(NOT_RUN) if ours == "confirm_verdict" else mapped
    unsettled = {INCONCLUSIVE, NOT_EVALUABLE, NOT_RUN, DROPPED, DIAGNOSTIC_WORD}
    same = (out["verdict"] == out["confirm_verdict"]) & ~out["verdict"].isin(unsettled)
    # a mixed claim is settled only where every level got the same word in both runs
    levels_agree = (out["level_verdict"] == out["confirm_level_verdict"]).groupby(
        out["claim"]).transform("all")
    out["settled"] = same & ((out["verdict"] != MIXED) | levels_agree)
    out.attrs = {**table.attrs, "confirm_tuned": confirm.attrs.get("tuned", {})}
    return out


def rule_description(margin=verdicts.MARGIN, learn_margin=outcomes.LEARN_MARGIN,
                     alpha=verdicts.ALPHA):
    """The verdict rule in a few sentences, rendered from the constants the rule uses."""
    points = f"{margin * 100:g} percentage points"
    return (
        "How verdicts are computed. The unit is one trained network. Replicate r of the cause "
        "and of the control share data and initial-weight seeds, so each cause network is "
        "paired with the control network that agrees on the replicate and on every factor the "
        "grid varies besides the cause. Outcomes: collapsed (finite, output spread below the "
        "threshold), decision collapsed (one predicted class for at least 99% of inputs), "
        "dead layer, diverged (non-finite loss or outputs), not learned (finite, not "
        f"collapsed, score at most {learn_margin:g} above the constant predictor's), failed "
        "(any of diverged, collapsed, decision collapsed, not learned); runs that raised are "
        "left out. A level where more than half of either arm diverged is not evaluable on a "
        "collapse-type outcome. Each evaluable level's paired effect (cause rate - control "
        "rate) is tested twice: difference (effect = 0, exact McNemar) and equivalence (two "
        f"one-sided tests of |effect| >= {points}, Tango's score statistic). All tests of the "
        f"sweep form one Holm family at {alpha:g} (a test that could not reach Tarone's "
        f"alpha / K is left out, Tarone 1990), so the chance of any wrong verdict word is at "
        f"most {alpha:.0%}. "
        f"'{SUPPORTED}' / '{CONTRADICTED}': the difference test rejects (effect above / below "
        f"0) and the effect is not shown to be within the margin; '{NOT_SUPPORTED}': the "
        "equivalence test rejects (no effect as large as the margin); "
        f"'{INCONCLUSIVE}': neither (the pairs that would likely resolve it are given). The "
        "interval shown is Tango's at the level Holm gave the deciding test (1 - a for a "
        "difference, 1 - 2a for equivalence). A claim is the word "
        f"all its evaluable levels share, else '{MIXED}' with the levels listed per word. Rates "
        "have exact (Clopper-Pearson) 95% intervals; the secondary outcome is the paired mean "
        "difference with a 95% BCa bootstrap interval; the mechanism tests the paired "
        f"differences of the named metric (Wilcoxon signed-rank, p < {stats.ALPHA}, moved when "
        f"the median difference is at least {stats.MIN_RELATIVE:g} robust standard deviations "
        "of the control). None of these changes the verdict. A diagnostic claim is scored as "
        "a diagnostic (sensitivity, specificity, precision) on the sweep's distinct networks."
    )
