"""Per-network outcomes a claim can be judged on, computed from the rows.

- collapsed: finite, output spread below the collapse threshold (the same output for every
  input); decision_collapsed: one predicted class for >= 99% of inputs; dead_layer: a hidden
  layer entirely constant; diverged: non-finite loss or outputs;
- not_learned: finite, not collapsed, and a score no better than the constant predictor's
  (`baseline_score` + the learning margin): the network runs but learned nothing;
- failed: diverged, collapsed, decision collapsed, or not learned: whatever way it went wrong.

A network whose run raised is NaN for every outcome (left out). A diverged network has not
collapsed (nor decided, nor died): for those outcomes a level where more than half of either
arm diverged is not evaluable (see `not_evaluable`).
"""

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

OUTCOMES = ("collapsed", "decision_collapsed", "dead_layer", "diverged", "not_learned",
            "failed")
# Outcomes a diverged network cannot show: judged only where most networks stayed finite.
NEEDS_FINITE = ("collapsed", "decision_collapsed", "dead_layer", "not_learned")
LEARN_MARGIN = 0.05  # a score within this of the constant predictor's is "not learned"
THRESHOLDS = (0.001, 0.01, 0.05, 0.1)  # collapse rates shown at these output-spread cut-offs
SECONDARY = {"binary": "balanced_accuracy", "multiclass": "balanced_accuracy",
             "regression": "score"}  # score is R^2 for regression


def _flags(rows, name):
    if name not in rows:
        return np.zeros(len(rows), dtype=bool)
    return rows[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _status(rows, word):
    return (rows["status"].astype("string") == word).fillna(False).to_numpy(dtype=bool)


def numeric(rows, name):
    """A column as floats, NaN where missing or where the run raised."""
    if name is None or name not in rows:
        return np.full(len(rows), np.nan)
    values = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(_status(rows, "error"), np.nan, values)


def not_learned_flags(rows, margin=LEARN_MARGIN):
    """Finite, not collapsed, and score <= baseline_score + margin (bool array)."""
    score, baseline = numeric(rows, "score"), numeric(rows, "baseline_score")
    with np.errstate(invalid="ignore"):
        poor = ~(score > baseline + margin)  # a NaN score has not shown that it learned
    finite = ~_status(rows, "diverged") & ~_flags(rows, "diverged")
    return finite & ~_flags(rows, "collapsed") & poor


def outcome_values(rows, outcome, margin=LEARN_MARGIN):
    """Per row 1.0 / 0.0 for the outcome, NaN where the run raised or it is undefined.

    Args:
        rows: Runs rows.
        outcome: One of OUTCOMES.
        margin: learning margin for not_learned and failed.

    Returns:
        Float numpy array aligned with `rows`.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome={outcome!r}: allowed: {', '.join(OUTCOMES)}")
    diverged = _status(rows, "diverged")
    task = rows["task"] if "task" in rows else pd.Series(pd.NA, index=rows.index)
    regression = (task.astype("string") == "regression").fillna(False).to_numpy(bool)
    if outcome == "diverged":
        values = diverged.astype(float)
    elif outcome == "not_learned":
        values = not_learned_flags(rows, margin).astype(float)
    elif outcome == "failed":
        bad = diverged | _flags(rows, "collapsed") | _flags(rows, "decision_collapsed")
        values = (bad | not_learned_flags(rows, margin)).astype(float)
    else:
        values = rows[outcome].astype("boolean").astype("Float64").to_numpy(
            dtype=float, na_value=np.nan)
        undefined = regression if outcome == "decision_collapsed" else np.zeros(len(rows), bool)
        values[diverged & ~undefined] = 0.0  # a diverged network has not collapsed
    values[_status(rows, "error")] = np.nan
    return values


def diverged_share(rows):
    """Share of the counted (not raised) rows that diverged; NaN without rows."""
    counted = ~_status(rows, "error")
    return float(_status(rows, "diverged")[counted].mean()) if counted.any() else math.nan


def not_evaluable(outcome, cause, control):
    """The reason a level cannot be judged on `outcome`, or None.

    A collapse-type outcome (NEEDS_FINITE) says nothing where most networks diverged: a
    diverged network is counted as not collapsed, so a level where more than half of either
    arm diverged would read "no effect" for a network that did not train at all.
    """
    if outcome not in NEEDS_FINITE:
        return None
    shares = {"cause": diverged_share(cause), "control": diverged_share(control)}
    over = [f"{arm} {share:.0%}" for arm, share in shares.items()
            if np.isfinite(share) and share > 0.5]
    return f"diverged: {', '.join(over)}" if over else None


def collapse_rates(rows, thresholds=THRESHOLDS):
    """Share of counted rows with a finite output spread below each threshold.

    Diverged networks count as not collapsed (as in `collapsed`); raised runs are left out.
    """
    spread = numeric(rows, "rel_output_std")
    counted = ~_status(rows, "error")
    finite = ~_status(rows, "diverged")
    out = {}
    for t in thresholds:
        with np.errstate(invalid="ignore"):
            hit = finite & (spread < t)
        out[t] = float(hit[counted].mean()) if counted.any() else math.nan
    return out


def secondary_name(rows, override=None):
    """The continuous outcome shown beside the verdict: `override`, else balanced accuracy
    for classes and R^2 (score) for regression."""
    if override:
        return override
    tasks = rows["task"].dropna().astype(str).unique() if "task" in rows else []
    return SECONDARY.get(tasks[0], "balanced_accuracy") if len(tasks) else "balanced_accuracy"


def paired_difference(cause_values, control_values, rng_seed=0):
    """Mean paired difference (cause - control) of a continuous outcome, with a 95% BCa
    bootstrap interval (scipy.stats.bootstrap); pairs with a non-finite side left out.

    Returns:
        Dict difference, low, high, n (NaNs without pairs; the interval needs >= 3 pairs and
        some spread).
    """
    x = np.asarray(cause_values, dtype=float)
    y = np.asarray(control_values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    d = x[keep] - y[keep]
    out = {"difference": math.nan, "low": math.nan, "high": math.nan, "n": int(d.size)}
    if not d.size:
        return out
    out["difference"] = float(d.mean())
    if d.size >= 3 and np.ptp(d) > 0:
        result = sps.bootstrap((d,), np.mean, confidence_level=0.95, n_resamples=2000,
                               method="BCa", random_state=rng_seed)
        low, high = result.confidence_interval
        out["low"], out["high"] = float(low), float(high)
    elif d.size >= 3:
        out["low"] = out["high"] = out["difference"]
    return out
