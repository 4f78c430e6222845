"""Test the claims a sweep was built for: every number and verdict computed from the rows.

A claim (a list entry under `claims` in the sweep's multirun.yaml, see `load.load_claims`) names a
cause and a matched control as column filters and the outcome it predicts (`collapsed`,
`decision_collapsed` or `diverged`). The unit of analysis is one trained network. Replicate r
of the cause and of the control share data and initial-weight seeds, so networks are compared
in pairs: a pair is a cause row and a control row that agree on the replicate and on every
factor the grid varies besides the cause itself. A filter value that is a list (a dose ladder,
or several controls) makes one level per value, and so does each value of the `by` column(s).

Per level: exact (Clopper-Pearson) rates per arm, the paired effect (cause rate - control
rate) with Tango's score interval, an exact McNemar test; Holm's correction runs over every
test of the sweep (all levels and each claim's combined test); the verdict words come from
`analysis.stats` (the one place the rule is written). The mechanism metric gets its own
column and never changes the outcome verdict.

Example:
    >>> from analysis.claims import claims_table
    >>> from analysis.load import load_claims, load_runs
    >>> table = claims_table(load_runs(sweep), load_claims(sweep))
    >>> table.groupby("claim", sort=False)["verdict"].first()
"""

import itertools
import math
import numbers

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis import stats, style
from experiments.storage.schema import FACTOR_COLUMNS

FLOAT_REL_TOL = 1e-9  # a number in a filter matches a column value within this relative tolerance

SUPPORTED, PARTLY, NOT_SUPPORTED = stats.SUPPORTED, stats.PARTLY, stats.NOT_SUPPORTED
CONTRADICTED, INCONCLUSIVE = stats.CONTRADICTED, stats.INCONCLUSIVE
DROPPED = "dropped"
VERDICTS = (SUPPORTED, PARTLY, INCONCLUSIVE, NOT_SUPPORTED, CONTRADICTED, DROPPED)

DIRECTIONS = ("higher", "lower")
OUTCOMES = ("collapsed", "decision_collapsed", "diverged")
DIAGNOSTIC = "diagnostic"
CONTRAST = "contrast"
SCORE = "balanced_accuracy"  # shown beside decision outcomes: 1/classes = input-independent

# Numbers of one level of a claim, in the order of the claims table and claims.csv.
PART_COLUMNS = [
    "n_pairs",
    "n_cause",
    "n_control",
    "rate_cause",
    "rate_cause_low",
    "rate_cause_high",
    "rate_control",
    "rate_control_low",
    "rate_control_high",
    "diverged_cause",
    "diverged_control",
    "score_cause",
    "score_control",
    "effect",
    "effect_low",
    "effect_high",
    "p",
    "test",
    "mechanism_cause",
    "mechanism_control",
    "mechanism_relative",
    "mechanism_p",
    "mechanism_nonfinite",
    "mechanism_verdict",
]
TABLE_COLUMNS = [
    "claim",
    "text",
    "kind",
    "outcome",
    "cause_text",
    "control_text",
    "by",
    "level_text",
    *PART_COLUMNS,
    "p_holm",
    "level_verdict",
    "pairs_needed",
    "mechanism",
    "mechanism_direction",
    "combined_effect",
    "combined_low",
    "combined_high",
    "combined_p_holm",
    "verdict",
    "reason",
]
# What claims.csv holds: one row per claim and level.
CSV_COLUMNS = [
    "claim",
    "level_text",
    "outcome",
    "n_pairs",
    "n_cause",
    "n_control",
    "rate_cause",
    "rate_cause_low",
    "rate_cause_high",
    "rate_control",
    "rate_control_low",
    "rate_control_high",
    "score_cause",
    "score_control",
    "effect",
    "effect_low",
    "effect_high",
    "test",
    "p",
    "p_holm",
    "level_verdict",
    "pairs_needed",
    "mechanism",
    "mechanism_cause",
    "mechanism_control",
    "mechanism_verdict",
    "verdict",
]


# -- claim definitions -----------------------------------------------------------------------


def check_claim(claim, columns):
    """Validate one claim definition and fill in its defaults.

    Args:
        claim: Dict as written in the preset (see the module docstring of `analysis.load`).
        columns: Column names of the runs frame the claim is evaluated on.

    Returns:
        A new dict with id, text, kind ('contrast' or 'diagnostic'), outcome (one of OUTCOMES,
        default 'collapsed'), dropped (the reason a claim is not tested, or None), cause,
        control (filter dicts; empty for a diagnostic), mechanism (or None),
        mechanism_direction, by (a list of columns, empty without), predictor, below, above
        (diagnostic only, else None), rows (the claim id whose grid trained its rows: its own,
        or another claim's, so one grid can be judged on a second outcome).

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

    by = claim.get("by")
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    for name in by:
        if name not in columns:
            fail(f"by {name!r} is not a results column")
    kind = claim.get("kind") or CONTRAST
    outcome = claim.get("outcome") or "collapsed"
    if outcome not in OUTCOMES:
        fail(f"outcome={outcome!r}: allowed: {', '.join(OUTCOMES)}")
    rows_of = claim.get("rows")
    if rows_of is not None and not isinstance(rows_of, str):
        fail(f"rows={rows_of!r}: must name another claim's id")
    dropped = claim.get("dropped")
    if dropped is True:
        dropped = "dropped by the preset (no reason given)"
    out = {
        "id": cid,
        "text": str(claim.get("text") or cid),
        "kind": kind,
        "outcome": outcome,
        "dropped": None if dropped in (None, False) else str(dropped),
        "rows": rows_of or cid,  # whose grid trained the rows this claim reads
        "cause": {},
        "control": {},
        "mechanism": None,
        "mechanism_direction": "higher",
        "by": by,
        "predictor": None,
        "below": None,
        "above": None,
    }
    if out["dropped"]:  # not tested: only its text and the reason are shown
        return out
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

    A contrast claim selects from the rows whose `claim` column is its `rows` (its own id
    unless it reads another claim's grid); a diagnostic claim uses every row: cause where the
    predictor is below (above) the bound, control where it is a finite number on the other
    side; rows without a predictor value belong to neither.

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
    own = df[match(df["claim"], claim["rows"])]
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


# -- levels and pairs --------------------------------------------------------------------------


def _combos(filters):
    """Single-valued filter dicts of a filter whose values may be lists (their product)."""
    names = list(filters)
    values = [v if isinstance(v, (list, tuple)) else [v] for v in filters.values()]
    return [dict(zip(names, chosen)) for chosen in itertools.product(*values)]


def _varied(filters):
    """Names of a filter's columns that hold a list (those name a level)."""
    return [name for name, v in filters.items() if isinstance(v, (list, tuple)) and len(v) > 1]


def _key_text(values):
    return " ".join("<NA>" if pd.isna(v) else repr(v) for v in values)


def pair_columns(rows, claim):
    """The factor columns two networks must share to be a pair, besides `replicate`.

    Every factor the grid varies independently of the cause/control columns: a column
    that takes one value for each combination of the treatment columns (the treatment's own
    parameters, such as init_value beside init, or epochs set from n_samples) is left out.

    Args:
        rows: The claim's rows (cause and control).
        claim: Output of `check_claim`.

    Returns:
        List of column names.
    """
    treatment = list(dict.fromkeys([*claim["cause"], *claim["control"]]))
    if rows.empty:
        return []
    groups = rows[treatment].astype("string").fillna("<NA>").apply(_key_text, axis=1)
    keep = []
    for name in FACTOR_COLUMNS:
        if name in treatment or name not in rows:
            continue
        values = rows[name].astype("string").fillna("<NA>")
        if values.groupby(groups.to_numpy()).nunique().max() > 1:
            keep.append(name)
    return keep


def outcome_values(rows, outcome):
    """Per row 1.0 / 0.0 for the outcome, NaN for failed rows or where it is undefined.

    Args:
        rows: Runs rows.
        outcome: 'collapsed', 'decision_collapsed' (NaN for regression) or 'diverged'.

    Returns:
        Float numpy array aligned with `rows`.
    """
    status = rows["status"].astype("string")
    is_error = (status == "error").fillna(False).to_numpy(dtype=bool)
    is_diverged = (status == "diverged").fillna(False).to_numpy(dtype=bool)
    if outcome == "diverged":
        values = is_diverged.astype(float)
    else:
        values = rows[outcome].astype("boolean").astype("Float64").to_numpy(
            dtype=float, na_value=np.nan)
        defined = rows["task"].astype("string") != "regression" \
            if outcome == "decision_collapsed" else pd.Series(True, index=rows.index)
        # a diverged network has not collapsed (no decision outcome for regression, though)
        values[is_diverged & defined.fillna(True).to_numpy(dtype=bool)] = 0.0
    values[is_error] = np.nan
    return values


def _numeric(rows, name):
    if name is None or name not in rows:
        return np.full(len(rows), np.nan)
    values = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    failed = (rows["status"].astype("string") == "error").fillna(False).to_numpy(dtype=bool)
    return np.where(failed, np.nan, values)


def paired_rows(cause, control, keys):
    """Cause and control rows joined into pairs on `keys` + replicate.

    Returns:
        (cause positions, control positions): integer arrays into `cause` and `control`,
        one entry per pair; a key seen twice on one side pairs its first row only.
    """
    def key_frame(rows):
        cols = [*keys, "replicate"]
        text = rows[cols].astype("string").fillna("<NA>").apply(_key_text, axis=1)
        frame = pd.DataFrame({"key": text.to_numpy(), "pos": np.arange(len(rows))})
        return frame.drop_duplicates("key")

    if cause.empty or control.empty:
        return np.array([], int), np.array([], int)
    joined = key_frame(cause).merge(key_frame(control), on="key", suffixes=("_a", "_b"))
    return joined["pos_a"].to_numpy(), joined["pos_b"].to_numpy()


def _rate(flags):
    flags = flags[~np.isnan(flags)]
    k, n = int(flags.sum()), int(flags.size)
    low, high = stats.rate_interval(k, n)
    return (k / n if n else math.nan), low, high, n


def _median(values):
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def compare_arms(cause, control, keys, outcome="collapsed", mechanism=None, direction="higher"):
    """The numbers of one level: paired where the rows pair up, unpaired otherwise.

    Args:
        cause: Runs rows of the cause at this level.
        control: Runs rows of the control at this level.
        keys: Pair columns (see `pair_columns`); None compares the arms unpaired.
        outcome: Outcome column (see `outcome_values`).
        mechanism: Metric column the claim names, or None.
        direction: 'higher' or 'lower': how the cause should move the mechanism.

    Returns:
        Dict with the PART_COLUMNS and the McNemar counts b, c (NaN when unpaired).
    """
    a, b = outcome_values(cause, outcome), outcome_values(control, outcome)
    out = {}
    for name, flags, rows in (("cause", a, cause), ("control", b, control)):
        rate, low, high, n = _rate(flags)
        out.update({f"rate_{name}": rate, f"rate_{name}_low": low, f"rate_{name}_high": high,
                    f"n_{name}": n})
        status = rows["status"].astype("string")
        counted = ~(status == "error").fillna(False).to_numpy(dtype=bool)
        diverged = (status == "diverged").fillna(False).to_numpy(dtype=bool)
        out[f"diverged_{name}"] = diverged[counted].mean() if counted.any() else math.nan
        out[f"score_{name}"] = _median(_numeric(rows, SCORE))
    pa, pb = paired_rows(cause, control, keys) if keys is not None else ([], [])
    x, y = a[pa] if len(pa) else np.array([]), b[pb] if len(pb) else np.array([])
    known = ~(np.isnan(x) | np.isnan(y))
    counts = stats.paired_counts(x[known], y[known]) if known.any() else None
    if counts and counts["n"]:
        bb, cc, n = counts["cause_only"], counts["control_only"], counts["n"]
        effect, low, high = stats.paired_effect_interval(bb, cc, n)
        out.update(n_pairs=n, effect=effect, effect_low=low, effect_high=high,
                   p=stats.mcnemar_p(bb, cc), test="paired (McNemar)", b=bb, c=cc)
    else:
        out.update(n_pairs=0, b=math.nan, c=math.nan, **_unpaired(a, b))
    mech = stats.mechanism_verdict(
        _numeric(cause, mechanism)[pa] if len(pa) else [],
        _numeric(control, mechanism)[pb] if len(pb) else [], direction)
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


def _unpaired(a, b):
    """Effect, Newcombe interval (statsmodels) and Fisher's exact p of two independent arms."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if not a.size or not b.size:
        return {"effect": math.nan, "effect_low": math.nan, "effect_high": math.nan,
                "p": math.nan, "test": "none"}
    ka, kb = int(a.sum()), int(b.sum())
    low, high = confint_proportions_2indep(ka, a.size, kb, b.size, method="newcomb",
                                           compare="diff")
    p = sps.fisher_exact([[ka, a.size - ka], [kb, b.size - kb]]).pvalue
    return {"effect": ka / a.size - kb / b.size, "effect_low": float(low),
            "effect_high": float(high), "p": float(p), "test": "unpaired (Fisher)"}


def claim_levels(df, claim):
    """The (level text, cause rows, control rows) of a checked contrast or diagnostic claim.

    Levels: each value of the `by` column(s) x each value of a cause filter's list x each
    value of a control filter's list (one level without any of them).
    """
    cause, control = claim_groups(df, claim)
    if claim["kind"] == DIAGNOSTIC:
        return [("", cause, control)]
    by = claim["by"]
    both = pd.concat([cause, control])
    by_levels = [()]
    if by and not both.empty:
        levels_frame = both[by].drop_duplicates().sort_values(by, na_position="last")
        by_levels = list(levels_frame.itertuples(index=False, name=None))
    shown_cause, shown_control = _varied(claim["cause"]), _varied(claim["control"])
    levels = []
    for by_values in by_levels:
        in_level_cause = np.ones(len(cause), bool)
        in_level_control = np.ones(len(control), bool)
        for name, value in zip(by, by_values):
            wanted = None if pd.isna(value) else value
            in_level_cause &= match(cause[name], wanted)
            in_level_control &= match(control[name], wanted)
        for cause_filter in _combos(claim["cause"]):
            for control_filter in _combos(claim["control"]):
                parts = [f"{name} = {style.format_level(v)}" for name, v in zip(by, by_values)]
                parts += [f"{n} = {style.format_level(cause_filter[n])}" for n in shown_cause]
                if shown_control:
                    parts.append("vs " + ", ".join(
                        f"{n} = {style.format_level(control_filter[n])}" for n in shown_control))
                levels.append((
                    ", ".join(parts),
                    cause[in_level_cause & select(cause, cause_filter)],
                    control[in_level_control & select(control, control_filter)],
                ))
    return levels


# -- the claims table ----------------------------------------------------------------------------


def claim_parts(df, claim):
    """Numbers per level of a checked claim, before the multiplicity correction.

    Returns:
        Frame with columns level_text, the PART_COLUMNS, b, c.
    """
    if claim["dropped"]:
        return pd.DataFrame([{"level_text": "", "n_pairs": 0, "test": "none",
                              "mechanism_verdict": ""}])
    keys = None
    if claim["kind"] == CONTRAST:
        own = df[match(df["claim"], claim["rows"])]
        keys = pair_columns(own[select(own, claim["cause"]) | select(own, claim["control"])],
                            claim)
    rows = []
    for text, cause, control in claim_levels(df, claim):
        numbers_ = compare_arms(cause, control, keys, claim["outcome"], claim["mechanism"],
                                claim["mechanism_direction"])
        rows.append({"level_text": text, **numbers_})
    return pd.DataFrame(rows)


def _combined(parts):
    """A claim's levels pooled (effect, low, high, p): the stratified paired test when every
    level pairs up; NaN for one level (its own test is the claim's) or unpaired levels."""
    paired = parts[parts["n_pairs"] > 0]
    if len(parts) == 1 or len(paired) < len(parts):
        return math.nan, math.nan, math.nan, math.nan
    strata = list(zip(paired["b"].astype(int), paired["c"].astype(int),
                      paired["n_pairs"].astype(int)))
    pooled = stats.stratified_paired(strata)
    return pooled["effect"], pooled["low"], pooled["high"], pooled["p"]


def claims_table(df, claims):
    """One row per (claim, level) with every number shown in the report and the verdicts.

    Holm's correction runs over all tests of the sweep: every level of every claim, and the
    combined test of each claim with more than one level.

    Args:
        df: Runs frame.
        claims: Claim dicts (from `load.load_claims`).

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
    if not checked:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    frames = []
    for claim in checked:
        parts = claim_parts(df, claim)
        effect, low, high, p = _combined(parts)
        cause_text, control_text = describe_groups(claim) if not claim["dropped"] else ("", "")
        parts = parts.assign(
            claim=claim["id"], text=claim["text"], kind=claim["kind"], outcome=claim["outcome"],
            cause_text=cause_text, control_text=control_text, by=", ".join(claim["by"]),
            mechanism=claim["mechanism"], mechanism_direction=claim["mechanism_direction"],
            combined_effect=effect, combined_low=low, combined_high=high, combined_p=p,
            dropped=claim["dropped"] or "",
        )
        frames.append(parts)
    table = pd.concat(frames, ignore_index=True)
    for column in PART_COLUMNS:
        if column not in table:
            table[column] = math.nan
    # One family of tests: every level, plus each multi-level claim's combined test.
    first = ~table["claim"].duplicated()
    family = np.r_[table["p"].to_numpy(float), table.loc[first, "combined_p"].to_numpy(float)]
    adjusted = stats.holm(family)
    table["p_holm"] = adjusted[: len(table)]
    combined = pd.Series(adjusted[len(table):], index=table.loc[first, "claim"].to_numpy())
    table["combined_p_holm"] = table["claim"].map(combined)
    words, needed = [], []
    for r in table.itertuples():
        if r.dropped:
            words.append(DROPPED)
            needed.append(math.nan)
            continue
        word = stats.outcome_verdict(r.effect, r.effect_low, r.effect_high, r.p_holm)
        words.append(word)
        needed.append(_pairs_needed(r) if word == INCONCLUSIVE else math.nan)
    table["level_verdict"] = words
    table["pairs_needed"] = needed
    verdicts, reasons = {}, {}
    for cid, block in table.groupby("claim", sort=False):
        verdicts[cid], reasons[cid] = _claim_verdict(block)
    table["verdict"] = table["claim"].map(verdicts)
    table["reason"] = table["claim"].map(reasons)
    return table[TABLE_COLUMNS]


def _pairs_needed(r):
    """Pairs per level that would likely resolve an inconclusive level (NaN when unpaired)."""
    if not r.n_pairs:
        return math.nan
    return stats.pairs_needed(int(r.b), int(r.c), int(r.n_pairs))


def _claim_verdict(block):
    """(verdict, reason) of one claim from its levels' verdict words."""
    if block["dropped"].iat[0]:
        return DROPPED, block["dropped"].iat[0]
    words = list(block["level_verdict"])
    word = stats.claim_verdict(words)
    texts = list(block["level_text"])
    n = len(words)

    def where(wanted):
        hits = [t for t, w in zip(texts, words) if w == wanted]
        return f" at {len(hits)} of {n} levels ({'; '.join(hits)})" if n > 1 else ""

    outcome = block["outcome"].iat[0].replace("_", " ")
    if word == SUPPORTED:
        reason = f"{outcome} clearly more often with the cause" + (
            f" at all {n} levels" if n > 1 else "")
    elif word == PARTLY:
        reason = f"{outcome} clearly more often with the cause only" + where(SUPPORTED)
    elif word == CONTRADICTED:
        reason = f"{outcome} clearly less often with the cause" + where(CONTRADICTED)
    elif word == NOT_SUPPORTED:
        reason = "no meaningful difference: every effect interval lies within " \
                 f"\u00b1{stats.MIN_EFFECT:.0%}"
    else:
        need = block["pairs_needed"].max()
        reason = "too few networks to tell" + where(INCONCLUSIVE)
        if np.isfinite(need):
            reason += f"; about {int(need)} pairs per level would resolve it"
    return word, reason


def claim_verdicts(table):
    """Claim id -> verdict, from the output of `claims_table` (claims in table order)."""
    return dict(table.groupby("claim", sort=False)["verdict"].first())


def rule_description():
    """The verdict rule in a few sentences, rendered from the constants the rule uses."""
    level = f"{stats.CONFIDENCE:.0%}"
    points = f"{stats.MIN_EFFECT * 100:g} percentage points"
    return (
        "How verdicts are computed. The unit is one trained network. Replicate r of the cause "
        "and of the control share data and initial-weight seeds, so each cause network is "
        "paired with the control network that agrees on the replicate and on every factor the "
        "grid varies besides the cause. Each level (a value of the claim's 'by' column, a dose "
        "of a cause ladder, or one of several controls) compares the claim's outcome "
        "(collapsed: finite and output spread below the threshold; decision collapsed: one "
        "predicted class for at least 99% of inputs; diverged: non-finite loss or outputs; "
        "failed runs are left out, a diverged network is not collapsed). Rates have exact "
        f"(Clopper-Pearson) {level} intervals; the effect is cause rate minus control rate "
        f"over the pairs, with Tango's {level} score interval, tested by an exact McNemar test "
        "(Fisher's exact test and Newcombe's interval when rows do not pair up). Holm's "
        "correction runs over every test of the sweep (all levels and each claim's combined, "
        f"stratified test). A level is '{SUPPORTED}' when its corrected p is below "
        f"{stats.ALPHA} and its interval reaches {points} in the claimed direction "
        f"('{CONTRADICTED}' in the other); '{NOT_SUPPORTED}' when its interval lies within "
        f"\u00b1{points} (evidence of no meaningful effect); '{INCONCLUSIVE}' otherwise (too "
        "few networks: the pairs that would likely resolve it are given). A claim is "
        f"'{SUPPORTED}' at every level, '{PARTLY}' at some, '{CONTRADICTED}' when none is "
        f"supported and one is contradicted, '{NOT_SUPPORTED}' when every level is, and "
        f"'{INCONCLUSIVE}' otherwise. The mechanism column never changes the verdict: it "
        "tests the paired differences of the named metric (Wilcoxon signed-rank, "
        f"p < {stats.ALPHA}) and calls it moved when the median difference is at least "
        f"{stats.MIN_RELATIVE:g} robust standard deviations (IQR / 1.349) of the control; "
        "non-finite values are counted, not dropped silently. A diagnostic claim compares all "
        "rows of the sweep whose predictor is past the bound with the rest (unpaired)."
    )
