"""What a claim of a preset says, as rows: its definition checked, its cause and control
arms, its levels and its pairs.

A claim (a list entry under `claims` in the sweep's multirun.yaml, see `load.load_claims`) names
a cause and a matched control as column filters and the outcome it predicts (see
`analysis.outcomes`). Replicate r of the cause and of the control share data and
initial-weight seeds, so networks are compared in pairs: a pair is a cause row and a control
row that agree on the replicate and on every factor the grid varies besides the cause itself.
A filter value that is a list (a dose ladder, or several controls) makes one level per value,
and so does each value of the `by` column(s).

Keys beyond cause and control:
- `tuned_by: ID` with a control value `tuned`: the control of each level is the value that
  the tuning claim ID (`kind: tuning`, trained on other seeds) chose for that level's
  `within` columns (e.g. the best learning rate per optimizer and dataset);
- `exclude: {column: value}`: rows set apart from both arms (e.g. networks dead at
  initialization, `dead_layer_init: true`); the report counts them;
- `secondary`: the continuous outcome shown beside the verdict (default balanced accuracy, or
  R^2 for regression).
"""

import itertools
import math
import numbers

import numpy as np
import pandas as pd

from analysis import outcomes, style
from experiments.storage.schema import FACTOR_COLUMNS

FLOAT_REL_TOL = 1e-9  # a number in a filter matches a column value within this relative tolerance

DIRECTIONS = ("higher", "lower")
OUTCOMES = outcomes.OUTCOMES
DIAGNOSTIC = "diagnostic"
CONTRAST = "contrast"
TUNING = "tuning"
TUNED = "tuned"  # a control filter value: the tuning claim's choice for the level


# -- claim definitions -----------------------------------------------------------------------


def check_claim(claim, columns):
    """Validate one claim definition and fill in its defaults.

    Args:
        claim: Dict as written in the preset (see the module docstring of `analysis.load`).
        columns: Column names of the runs frame the claim is evaluated on.

    Returns:
        A new dict with id, text, kind ('contrast', 'diagnostic' or 'tuning'), outcome (one
        of OUTCOMES, default 'collapsed'), dropped (the reason a claim is not tested, or
        None), cause, control (filter dicts; empty for a diagnostic), mechanism (or None),
        mechanism_direction, by (a list of columns, empty without), predictor, below, above
        (diagnostic only, else None), rows (the claim id whose grid trained its rows: its own,
        or another claim's, so one grid can be judged on a second outcome), tuned_by,
        secondary, exclude, and column and within (tuning only).

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
    outcome = claim.get("outcome") or ("failed" if kind == TUNING else "collapsed")
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
        "tuned_by": claim.get("tuned_by"),
        "secondary": column("secondary"),
        "exclude": {},
        "column": None,
        "within": [],
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
    if kind == TUNING:
        out["column"] = column("column")
        if out["column"] is None:
            fail("a tuning claim needs the 'column' it tunes")
        within = claim.get("within") or []
        out["within"] = [within] if isinstance(within, str) else list(within)
        for name in out["within"]:
            if name not in columns:
                fail(f"within {name!r} is not a results column")
        return out
    if kind != CONTRAST:
        fail(f"kind must be {DIAGNOSTIC!r}, {TUNING!r} or absent, got {kind!r}")
    exclude = claim.get("exclude") or {}
    if not isinstance(exclude, dict):
        fail(f"exclude={exclude!r}: must be a mapping column -> value")
    for name in exclude:
        if name not in columns:
            fail(f"exclude filter {name!r} is not a results column")
    out["exclude"] = dict(exclude)
    for key in ("cause", "control"):
        filters = claim.get(key)
        if not isinstance(filters, dict) or not filters:
            fail(f"'{key}' must be a non-empty mapping column -> value")
        for name in filters:
            if name not in columns:
                fail(f"{key} filter {name!r} is not a results column")
        out[key] = dict(filters)
    uses_tuned = any(_has_tuned(v) for v in out["control"].values())
    if uses_tuned and not out["tuned_by"]:
        fail("a control value 'tuned' needs 'tuned_by: <id of a tuning claim>'")
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
    if claim.get("exclude"):
        own = own[~select(own, claim["exclude"])]
    return own[select(own, untuned(claim["cause"]))], own[select(own, untuned(claim["control"]))]


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



def claim_levels(df, claim, tuned=None):
    """The (level text, cause rows, control rows) of a checked contrast or diagnostic claim.

    Levels: each value of the `by` column(s) x each value of a cause filter's list x each
    value of a control filter's list (one level without any of them). A control value
    `tuned` takes, per level, the value in `tuned` (see `tuning_choices`) for the level's
    values of the tuning's `within` columns (which must be among `by`).
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
                control_filter = _resolve_tuned(control_filter, dict(zip(by, by_values)),
                                                tuned)
                parts = [f"{name} = {style.format_level(v)}" for name, v in zip(by, by_values)]
                parts += [f"{n} = {style.format_level(cause_filter[n])}" for n in shown_cause]
                shown = [*shown_control, *(n for n, v in claim["control"].items()
                                           if _has_tuned(v) and n not in shown_control)]
                if shown:  # a tuned value is named in the report, not in the level
                    parts.append("vs " + ", ".join(
                        f"{n} tuned" if _has_tuned(claim["control"][n])
                        else f"{n} = {style.format_level(control_filter[n])}" for n in shown))
                levels.append((
                    ", ".join(parts),
                    cause[in_level_cause & select(cause, cause_filter)],
                    control[in_level_control & select(control, control_filter)],
                ))
    return levels




def _has_tuned(value):
    items = value if isinstance(value, (list, tuple)) else [value]
    return any(isinstance(v, str) and v == TUNED for v in items)


def untuned(filters):
    """A filter without its `tuned` values (the arm's rows before a level picks one)."""
    return {name: value for name, value in filters.items() if not _has_tuned(value)}


def _resolve_tuned(control_filter, by_values, tuned):
    """A single-valued control filter with `tuned` replaced by the level's tuned value (a
    value no row has, NaN, when the tuning did not cover the level)."""
    out = dict(control_filter)
    for name, value in control_filter.items():
        if not _has_tuned(value):
            continue
        choices = (tuned or {}).get(name, {})
        key = tuple(by_values.get(w) for w in choices.get("within", []))
        out[name] = choices.get("values", {}).get(key, math.nan)
    return out


def tuning_choices(df, claim):
    """The value a tuning claim chooses per group: {column: {"within": [...], "values":
    {group values: chosen}, "scores": {group values: median score}}}.

    Within each group of the `within` columns, the value of `column` whose networks (the
    tuning claim's own rows, on seeds no other claim uses) have the highest median score,
    a diverged network counting as its baseline score; ties go to the smaller value.
    """
    rows = df[match(df["claim"], claim["id"])]
    rows = rows[(rows["status"].astype("string") != "error").fillna(True).to_numpy(bool)]
    score = outcomes.numeric(rows, "score")
    baseline = outcomes.numeric(rows, "baseline_score")
    score = np.where(np.isfinite(score), score, baseline)
    frame = rows[[*claim["within"], claim["column"]]].copy()
    frame["score"] = score
    values, scores = {}, {}
    keys = claim["within"] or None
    groups = frame.groupby(keys, dropna=False, sort=True) if keys else [((), frame)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        medians = group.groupby(claim["column"], sort=True)["score"].median()
        if medians.dropna().empty:
            continue
        best = medians.max()
        chosen = min(v for v, m in medians.items() if m == best)
        values[tuple(key)], scores[tuple(key)] = chosen, float(best)
    return {claim["column"]: {"within": list(claim["within"]), "values": values,
                              "scores": scores}}
