"""Test the claims a sweep was built for: every number and verdict computed from the rows.

A claim (a list entry under `claims` in the sweep's multirun.yaml, see `load.load_claims`) names a
cause and a matched control as column filters. Its verdict comes from the collapse rate of the
two groups, their difference and, where the claim names one, a mechanism metric, through the one
rule in `verdict` (documented by `rule_description`, built from the same constants).

Example:
    >>> from analysis.claims import claims_table
    >>> from analysis.load import load_claims, load_runs
    >>> table = claims_table(load_runs(sweep), load_claims(sweep))
    >>> table.groupby("claim", sort=False)["verdict"].first()
"""

import math
import numbers

import numpy as np
import pandas as pd

from analysis import aggregate, style

# The verdict rule's constants; `rule_description` renders the rule's text from them.
MIN_EFFECT = 0.2  # smallest difference in collapse rate (cause - control) that counts
CONFIDENCE = 0.95  # coverage of every bootstrap interval
N_RESAMPLES = 2000  # bootstrap resamples (rows resampled within each group)
BOOTSTRAP_SEED = 0
FLOAT_REL_TOL = 1e-9  # a number in a filter matches a column value within this relative tolerance
# Rates are shares of small counts (0.6 - 0.4 = 0.19999999999999996): compare the effect with
# MIN_EFFECT up to this rounding slack.
ROUNDING = 1e-9

SUPPORTED = "supported"
PARTLY = "partly supported"
NOT_SUPPORTED = "not supported"
CONTRADICTED = "contradicted"
VERDICTS = (SUPPORTED, PARTLY, NOT_SUPPORTED, CONTRADICTED)

DIRECTIONS = ("higher", "lower")
DIAGNOSTIC = "diagnostic"
CONTRAST = "contrast"

# Numbers of one level of a claim, in the order of the claims table.
PART_COLUMNS = [
    "n_cause",
    "n_control",
    "rate_cause",
    "rate_cause_low",
    "rate_cause_high",
    "rate_control",
    "rate_control_low",
    "rate_control_high",
    "effect",
    "effect_low",
    "effect_high",
    "mechanism_cause",
    "mechanism_control",
    "mechanism_low",
    "mechanism_high",
]


# -- claim definitions -----------------------------------------------------------------------


def check_claim(claim, columns):
    """Validate one claim definition and fill in its defaults.

    Args:
        claim: Dict as written in the preset (see the module docstring of `analysis.load`).
        columns: Column names of the runs frame the claim is evaluated on.

    Returns:
        A new dict with id, text, kind ('contrast' or 'diagnostic'), cause, control (filter
        dicts; empty for a diagnostic), mechanism (or None), mechanism_direction, by (or None),
        predictor, below, above (diagnostic only, else None).

    Raises:
        ValueError: A required key is missing, or a key names a column the runs do not have.
    """
    if not isinstance(claim, dict) or "id" not in claim:
        raise ValueError(f"a claim needs an 'id': {claim!r:.200}")
    cid = str(claim["id"])

    def fail(message):
        raise ValueError(f"claim {cid!r}: {message}")

    def column(key):
        name = claim.get(key)
        if name is not None and name not in columns:
            fail(f"{key} {name!r} is not a results column")
        return name

    kind = claim.get("kind") or CONTRAST
    out = {
        "id": cid,
        "text": str(claim.get("text") or cid),
        "kind": kind,
        "cause": {},
        "control": {},
        "mechanism": None,
        "mechanism_direction": "higher",
        "by": column("by"),
        "predictor": None,
        "below": None,
        "above": None,
    }
    if kind == DIAGNOSTIC:
        out["predictor"] = column("predictor")
        if out["predictor"] is None:
            fail("a diagnostic claim needs a 'predictor' column")
        bounds = [claim.get("below"), claim.get("above")]
        if sum(b is not None for b in bounds) != 1:
            fail("a diagnostic claim needs exactly one of 'below' and 'above'")
        for key, bound in zip(("below", "above"), bounds, strict=True):
            if bound is not None:
                if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
                    fail(f"{key} must be a number, got {bound!r}")
                out[key] = float(bound)
        return out
    if kind != CONTRAST:
        fail(f"kind must be {DIAGNOSTIC!r} or absent, got {kind!r}")
    for key in ("cause", "control"):
        filters = claim.get(key)
        if not isinstance(filters, dict) or not filters:
            fail(f"'{key}' must be a non-empty mapping column -> value")
        for name in filters:
            if name not in columns:
                fail(f"{key} filter {name!r} is not a results column")
        out[key] = dict(filters)
    out["mechanism"] = column("mechanism")
    direction = claim.get("mechanism_direction") or "higher"
    if direction not in DIRECTIONS:
        fail(f"mechanism_direction must be one of {DIRECTIONS}, got {direction!r}")
    out["mechanism_direction"] = direction
    return out


def match(values, wanted):
    """Which entries of a column match one filter value.

    Strings compare equal; numbers with math.isclose (relative tolerance FLOAT_REL_TOL); None
    matches a missing value; a list matches any of its items. A string compared with a numeric
    column is read as a number first ('1e-5' from YAML 1.1).

    Args:
        values: Series of one column.
        wanted: The filter value (str, number, bool, None, or a list of those).

    Returns:
        Boolean numpy array aligned with `values`.
    """
    if isinstance(wanted, (list, tuple)):
        hits = np.zeros(len(values), dtype=bool)
        for item in wanted:
            hits |= match(values, item)
        return hits
    missing = values.isna().to_numpy(dtype=bool)
    if wanted is None:
        return missing
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and isinstance(wanted, str):
        try:
            wanted = float(wanted)
        except ValueError:
            return np.zeros(len(values), dtype=bool)
    if numeric and isinstance(wanted, numbers.Real) and not isinstance(wanted, bool):
        column = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        target = float(wanted)
        with np.errstate(invalid="ignore"):
            close = np.abs(column - target) <= FLOAT_REL_TOL * np.maximum(
                np.abs(column), abs(target)
            )
        return close & ~missing
    if pd.api.types.is_bool_dtype(values) or isinstance(wanted, bool):
        return (values == wanted).fillna(False).to_numpy(dtype=bool)
    return (values.astype("string") == str(wanted)).fillna(False).to_numpy(dtype=bool)


def select(df, filters):
    """Rows matching every column -> value filter (an empty filter selects every row).

    Args:
        df: Runs frame.
        filters: Dict column -> filter value (see `match`).

    Returns:
        Boolean numpy array aligned with `df`.
    """
    hits = np.ones(len(df), dtype=bool)
    for name, wanted in filters.items():
        hits &= match(df[name], wanted)
    return hits


def claim_groups(df, claim):
    """The cause and control rows of a checked claim (every status, errors included).

    A contrast claim selects from the rows whose `claim` column is its id; a diagnostic claim
    uses every row: cause where the predictor is below (above) the bound, control where it is
    a finite number on the other side; rows without a predictor value belong to neither.

    Args:
        df: Runs frame.
        claim: Output of `check_claim`.

    Returns:
        (cause, control) frames.
    """
    if claim["kind"] == DIAGNOSTIC:
        values = pd.to_numeric(df[claim["predictor"]], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        known = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            if claim["below"] is not None:
                cause = known & (values < claim["below"])
            else:
                cause = known & (values > claim["above"])
        return df[cause], df[known & ~cause]
    own = df[match(df["claim"], claim["id"])]
    return own[select(own, claim["cause"])], own[select(own, claim["control"])]


def describe_filters(filters):
    """Readable text of a filter dict: 'init = constant', 'activation = sigmoid or tanh'."""
    parts = []
    for name, wanted in filters.items():
        items = wanted if isinstance(wanted, (list, tuple)) else [wanted]
        parts.append(f"{name} = " + " or ".join(style.format_level(v) for v in items))
    return ", ".join(parts)


def describe_groups(claim):
    """(cause text, control text) of a checked claim."""
    if claim["kind"] == DIAGNOSTIC:
        name = claim["predictor"]
        if claim["below"] is not None:
            bound = style.format_level(claim["below"])
            return f"{name} < {bound} (all rows)", f"{name} \u2265 {bound}"
        bound = style.format_level(claim["above"])
        return f"{name} > {bound} (all rows)", f"{name} \u2264 {bound}"
    return describe_filters(claim["cause"]), describe_filters(claim["control"])


# -- numbers -----------------------------------------------------------------------------------


def _resampled(values, statistic, rng, n_resamples):
    """`statistic` of n_resamples resamples (with replacement) of 1-D `values`."""
    picks = rng.integers(0, values.size, size=(n_resamples, values.size))
    return statistic(values[picks], axis=1)


def rate_interval(flags, n_resamples=N_RESAMPLES, confidence=CONFIDENCE, seed=BOOTSTRAP_SEED):
    """Percentile bootstrap interval of a collapse rate.

    Args:
        flags: 1-D array of shape (n,): 1.0 collapsed, 0.0 not; NaN is dropped.

    Returns:
        (low, high); (NaN, NaN) when no value is left.
    """
    return aggregate.bootstrap_interval(
        flags, n_resamples=n_resamples, confidence=confidence, seed=seed
    )


def difference_interval(
    cause,
    control,
    statistic=np.mean,
    sign=1.0,
    n_resamples=N_RESAMPLES,
    confidence=CONFIDENCE,
    seed=BOOTSTRAP_SEED,
):
    """Percentile bootstrap interval of sign * (statistic(cause) - statistic(control)).

    Both groups are resampled independently (rows with replacement within each group).

    Args:
        cause: 1-D array of shape (n,); NaN is dropped.
        control: 1-D array of shape (m,); NaN is dropped.
        statistic: np.mean (rates of 0/1 flags) or np.median (a mechanism metric); takes axis=.
        sign: -1.0 flips the difference (a claim that the cause lowers the metric).

    Returns:
        (low, high); (NaN, NaN) when a group has no value.
    """
    a = np.asarray(cause, dtype=float)
    b = np.asarray(control, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    diffs = sign * (
        _resampled(a, statistic, rng, n_resamples) - _resampled(b, statistic, rng, n_resamples)
    )
    return aggregate.percentile_interval(diffs, confidence)


def _flags(rows):
    """Collapse flags of the rows that count (errors and unknown left out), as a float array."""
    return aggregate.collapse_flags(rows).dropna().to_numpy(dtype=float)


def _metric(rows, name):
    """Finite values of a metric column over the rows that did not fail."""
    if name is None:
        return np.array([])
    kept = rows[~(rows["status"].astype("string") == "error").fillna(False).to_numpy(dtype=bool)]
    values = pd.to_numeric(kept[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values[np.isfinite(values)]


def compare_groups(cause, control, mechanism=None, direction="higher"):
    """The numbers a verdict is made of, for one cause group and one control group.

    Args:
        cause: Runs rows of the cause.
        control: Runs rows of the control.
        mechanism: Metric column the claim names, or None.
        direction: 'higher' or 'lower': how the cause should move the mechanism.

    Returns:
        Dict with the PART_COLUMNS: n_* (rows counted in the rate), rate_* with their bootstrap
        interval, effect = rate_cause - rate_control with its interval, mechanism_cause and
        mechanism_control (medians), mechanism_low/high (interval of the difference of medians,
        sign flipped for 'lower', so > 0 always means "moved the way the claim says").
    """
    a, b = _flags(cause), _flags(control)
    out = {"n_cause": int(a.size), "n_control": int(b.size)}
    for name, flags in (("cause", a), ("control", b)):
        out[f"rate_{name}"] = float(flags.mean()) if flags.size else math.nan
        out[f"rate_{name}_low"], out[f"rate_{name}_high"] = rate_interval(flags)
    out["effect"] = out["rate_cause"] - out["rate_control"]
    out["effect_low"], out["effect_high"] = difference_interval(a, b)
    ma, mb = _metric(cause, mechanism), _metric(control, mechanism)
    out["mechanism_cause"] = float(np.median(ma)) if ma.size else math.nan
    out["mechanism_control"] = float(np.median(mb)) if mb.size else math.nan
    sign = -1.0 if direction == "lower" else 1.0
    out["mechanism_low"], out["mechanism_high"] = difference_interval(
        ma, mb, statistic=np.median, sign=sign
    )
    return out


# -- the verdict rule ---------------------------------------------------------------------------


def level_findings(parts):
    """Per level: is the effect significant, reversed, did the mechanism move (part of the rule).

    Args:
        parts: Frame, one row per level, with columns effect, effect_low, effect_high and
            optionally mechanism_low (sign-adjusted low end of the mechanism interval).

    Returns:
        Frame aligned with `parts`: significant, reversed, moved (bool). NaN is never True.
    """
    effect = parts["effect"].to_numpy(dtype=float)
    low = parts["effect_low"].to_numpy(dtype=float)
    high = parts["effect_high"].to_numpy(dtype=float)
    if "mechanism_low" in parts:
        mechanism_low = parts["mechanism_low"].to_numpy(dtype=float)
    else:
        mechanism_low = np.full(len(parts), np.nan)
    with np.errstate(invalid="ignore"):
        significant = (low > 0) & (effect >= MIN_EFFECT - ROUNDING)
        reversed_ = (high < 0) & (effect <= -MIN_EFFECT + ROUNDING)
        moved = mechanism_low > 0
    return pd.DataFrame(
        {"significant": significant, "reversed": reversed_, "moved": moved}, index=parts.index
    )


def verdict(parts):
    """The verdict of one claim from its per-level numbers: the one place the rule is written.

    Args:
        parts: Frame, one row per level of the claim's `by` column (one row without `by`), with
            columns effect, effect_low, effect_high, optionally mechanism_low and level_text
            (a level's name, used in the reason).

    Returns:
        (verdict, reason): verdict is one of VERDICTS; reason a short sentence saying why.
    """
    found = level_findings(parts)
    n = len(parts)
    names = list(parts["level_text"]) if "level_text" in parts and n > 1 else [""] * n

    def where(mask):
        """' at 2 of 3 levels (moons, digits)', or '' without levels."""
        if n <= 1:
            return ""
        hits = [name for name, hit in zip(names, mask, strict=True) if hit]
        return f" at {len(hits)} of {n} levels ({', '.join(hits)})"

    significant, reversed_, moved = found["significant"], found["reversed"], found["moved"]
    if n and significant.all():
        return SUPPORTED, "collapse rate clearly higher with the cause" + (
            f" at all {n} levels" if n > 1 else ""
        )
    if significant.any():
        return PARTLY, "collapse rate clearly higher with the cause only" + where(significant)
    if reversed_.any():
        return CONTRADICTED, "collapse rate clearly lower with the cause" + where(reversed_)
    if moved.any():
        return PARTLY, (
            "the mechanism moved as claimed" + where(moved) + ", but outputs did not collapse more"
        )
    if parts["effect"].isna().all():
        return NOT_SUPPORTED, "no rows to compare"
    return NOT_SUPPORTED, "no clear difference in collapse rate" + (
        ", mechanism did not move"
        if "mechanism_low" in parts and parts["mechanism_low"].notna().any()
        else ""
    )


def rule_description():
    """The verdict rule in a few sentences, rendered from the constants `verdict` uses."""
    level = f"{CONFIDENCE:.0%}"
    points = f"{MIN_EFFECT * 100:g} percentage points"
    return (
        "How verdicts are computed. For each level of the claim's 'by' column (or once, "
        "without one), the collapse rate of the cause rows and of the control rows gets a "
        f"{level} percentile bootstrap interval ({N_RESAMPLES} resamples of the rows within each "
        f"group, seed {BOOTSTRAP_SEED}); failed runs are left out and diverged ones count as "
        "collapsed. The effect is cause rate minus control rate, with a bootstrap interval "
        "from resampling both groups independently. An effect is significant when its "
        f"interval lies above 0 and it is at least {points}; reversed when its interval lies "
        f"below 0 and it is at most -{points}. The mechanism moved when the {level} interval "
        "of (median of the mechanism metric for the cause - median for the control), sign "
        "flipped when the claim says the cause lowers it, lies above 0 (missing values "
        f"dropped). Verdict: '{SUPPORTED}' if the effect is significant at every level; "
        f"'{PARTLY}' if significant at some levels but not all; '{CONTRADICTED}' if "
        "significant at none and reversed at one or more; otherwise "
        f"'{PARTLY}' if the mechanism moved at one or more levels (the mechanism "
        f"moves but outputs do not collapse more); '{NOT_SUPPORTED}' in every other case, "
        "including a group with no rows. A diagnostic claim compares all rows of the sweep "
        "whose predictor is past the bound (cause) with the rest that have a value (control)."
    )


# -- claims table ------------------------------------------------------------------------------


def claim_parts(df, claim):
    """Numbers per level of a checked claim (one row without `by`).

    Args:
        df: Runs frame.
        claim: Output of `check_claim`.

    Returns:
        Frame with columns level (raw value; None without `by`), level_text, the PART_COLUMNS.
    """
    cause, control = claim_groups(df, claim)
    mechanism, direction, by = claim["mechanism"], claim["mechanism_direction"], claim["by"]
    rows = []
    both = pd.concat([cause, control])
    if by is None or both.empty:
        rows.append(
            {
                "level": None,
                "level_text": "",
                **compare_groups(cause, control, mechanism, direction),
            }
        )
    else:
        for level in aggregate.sorted_levels(both[by]):
            wanted = None if pd.isna(level) else level
            numbers_ = compare_groups(
                cause[match(cause[by], wanted)],
                control[match(control[by], wanted)],
                mechanism,
                direction,
            )
            rows.append({"level": level, "level_text": style.format_level(level), **numbers_})
    return pd.DataFrame(rows, columns=["level", "level_text", *PART_COLUMNS])


def claims_table(df, claims):
    """One row per (claim, level) with every number shown in the report and the verdict.

    Args:
        df: Runs frame.
        claims: Claim dicts (from `load.load_claims`).

    Returns:
        Frame with columns claim (id), text, kind, cause_text, control_text, by, level,
        level_text, the PART_COLUMNS, mechanism, mechanism_direction, significant, reversed,
        moved, verdict, reason; claims in the given order. Empty for no claims.

    Raises:
        ValueError: A claim definition is invalid (see `check_claim`).
    """
    frames = []
    for raw in claims:
        claim = check_claim(raw, df.columns)
        parts = claim_parts(df, claim)
        word, reason = verdict(parts)
        cause_text, control_text = describe_groups(claim)
        frame = pd.concat([parts, level_findings(parts)], axis=1)
        frame.insert(0, "claim", claim["id"])
        frame.insert(1, "text", claim["text"])
        frame.insert(2, "kind", claim["kind"])
        frame.insert(3, "cause_text", cause_text)
        frame.insert(4, "control_text", control_text)
        frame.insert(5, "by", claim["by"])
        frame["mechanism"] = claim["mechanism"]
        frame["mechanism_direction"] = claim["mechanism_direction"]
        frame["verdict"] = word
        frame["reason"] = reason
        frames.append(frame)
    columns = [
        "claim",
        "text",
        "kind",
        "cause_text",
        "control_text",
        "by",
        "level",
        "level_text",
        *PART_COLUMNS,
        "significant",
        "reversed",
        "moved",
        "mechanism",
        "mechanism_direction",
        "verdict",
        "reason",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def claim_verdicts(table):
    """Claim id -> verdict, from the output of `claims_table` (claims in table order)."""
    return dict(table.groupby("claim", sort=False)["verdict"].first())
