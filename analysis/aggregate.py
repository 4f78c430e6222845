"""Aggregate tidy run frames (one row per trained network) into tables; no plotting here.

Conventions shared by every table:
    - Rows with status 'error' (the job failed) are left out of `n`, the collapse rate, the
      median spread and the diverged share; they are counted in `errors`.
    - A network counts as collapsed when `collapsed` is True; a diverged network is counted
      in the denominator and never as collapsed (divergence is an outcome of its own, shown
      as the diverged share). A non-error row with `collapsed` missing for another reason is
      left out of the rate's denominator.
    - Factor levels are kept as they are, a missing value (NaN) being a level of its own.
"""

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer

from analysis import stats
from experiments import factors
from experiments.storage.schema import FACTOR_COLUMNS

CONFIDENCE = 0.95

# Model-based factor importance: a random forest predicting `collapsed` from the varied factors,
# scored by how much its balanced accuracy drops when one factor's values are shuffled.
IMPORTANCE_SEED = 0
IMPORTANCE_TREES = 100  # 200 trees and 10 shuffles gave the same ranking at 3x the time
IMPORTANCE_REPEATS = 5
IMPORTANCE_SCORING = "balanced_accuracy"
IMPORTANCE_MAX_ROWS = 3000  # a larger sweep is sampled (fixed seed): the cost grows with rows

STAT_COLUMNS = ["n", "collapse_rate", "median_rel_output_std", "diverged_share", "errors"]


# Parameters that belong to an option: they vary along with it when only the option is swept
# (experiments.factors: init_value -> init, reg_strength -> regularization, ...).
OPTION_OF = factors.options_of()


def varied_factors(df):
    """Factor columns with more than one distinct value (NaN counts as a value).

    A parameter that only follows its option is left out: sweeping `init=constant,glorot` also
    changes `init_value` (0.5 vs NaN), which is not a factor of its own.

    Args:
        df: Runs frame.

    Returns:
        Names in FACTOR_COLUMNS order.
    """
    varied = [
        name for name in FACTOR_COLUMNS if name in df.columns and df[name].nunique(dropna=False) > 1
    ]
    return [
        name
        for name in varied
        if not (OPTION_OF.get(name) in varied and _determines(df[OPTION_OF[name]], df[name]))
    ]


def _determines(option, parameter):
    """True if each value of `option` goes with a single value of `parameter`."""
    keys = option.astype("string").fillna("<NA>")
    return bool((parameter.astype("string").fillna("<NA>").groupby(keys).nunique() <= 1).all())


def _indicators(df):
    """Per-row helper columns the statistics are means, medians or sums of.

    Returns:
        Frame aligned with `df`: counted (1 for non-error rows), collapsed_flag (1.0/0.0, NaN for
        error rows and unknown), spread (rel_output_std, NaN for error rows), diverged, error.
    """
    status = df["status"].astype("string")
    is_error = (status == "error").fillna(False).to_numpy(dtype=bool)
    is_diverged = (status == "diverged").fillna(False).to_numpy(dtype=bool)
    # A diverged network is an outcome of its own (`diverged`), never counted as collapsed.
    flag = df["collapsed"].astype("boolean").astype("Float64")
    flag = flag.to_numpy(dtype=float, na_value=np.nan)
    flag[is_diverged] = 0.0
    flag[is_error] = np.nan
    spread = pd.to_numeric(df["rel_output_std"], errors="coerce").to_numpy(dtype=float)
    spread = np.where(is_error, np.nan, spread)
    return pd.DataFrame(
        {
            "counted": (~is_error).astype(int),
            "collapsed_flag": flag,
            "spread": spread,
            "diverged": is_diverged.astype(int),
            "error": is_error.astype(int),
        },
        index=df.index,
    )


def collapse_flags(df):
    """Per row: 1.0 collapsed, 0.0 not (diverged networks included), NaN for failed or unknown.

    Args:
        df: Runs frame.

    Returns:
        Float Series aligned with `df`.
    """
    return _indicators(df)["collapsed_flag"]


def collapse_rate(df):
    """Share of collapsed networks among rows whose status is not 'error'.

    Args:
        df: Runs frame.

    Returns:
        The share in [0, 1], NaN when there is no such row.
    """
    flags = _indicators(df)["collapsed_flag"].dropna()
    return float(flags.mean()) if len(flags) else float("nan")


def _group_stats(df, keys):
    """The STAT_COLUMNS per combination of `keys` present in `df` (missing values kept as keys)."""
    helper = pd.concat(
        [df[keys].reset_index(drop=True), _indicators(df).reset_index(drop=True)], axis=1
    )
    stats = (
        helper.groupby(keys, dropna=False, sort=False)
        .agg(
            n=("counted", "sum"),
            collapse_rate=("collapsed_flag", "mean"),
            median_rel_output_std=("spread", "median"),
            diverged=("diverged", "sum"),
            errors=("error", "sum"),
        )
        .reset_index()
    )
    stats["diverged_share"] = stats["diverged"] / stats["n"].where(stats["n"] > 0)
    return stats[keys + STAT_COLUMNS]


def sorted_levels(values):
    """Distinct values of a factor in ascending order, a missing value last.

    Args:
        values: Series of one factor column.

    Returns:
        Series of the distinct levels (dtype preserved), index 0..k-1.
    """
    return values.drop_duplicates().sort_values(na_position="last").reset_index(drop=True)


def _complete(stats, levels):
    """`stats` on every combination of the given levels (missing combinations: n=0, NaN stats).

    Args:
        stats: Output of `_group_stats` on the keys of `levels`.
        levels: Dict key -> sorted_levels; the output is ordered by these levels.
    """
    grid = None
    for key, values in levels.items():
        frame = pd.DataFrame({key: values})
        grid = frame if grid is None else grid.merge(frame, how="cross")
    out = grid.merge(stats, on=list(levels), how="left", sort=False)
    out["n"] = out["n"].fillna(0).astype(int)
    out["errors"] = out["errors"].fillna(0).astype(int)
    return out


def cell_table(df, row, col):
    """Statistics per (row level, column level) cell, one tidy row per cell of the full grid.

    Args:
        df: Runs frame.
        row: Factor column on the heatmap's rows.
        col: Another factor column, on the heatmap's columns.

    Returns:
        Columns `row`, `col`, n (non-error networks), collapse_rate, median_rel_output_std
        (median over the cell's networks, ignoring NaN), diverged_share (share of the n that
        diverged), errors (rows with status 'error'). Combinations with no rows at all are
        present with n=0, errors=0 and NaN statistics. Ordered by row level, then column level.
    """
    if row == col:
        raise ValueError(f"cell_table needs two different factors, got {row!r} twice")
    levels = {row: sorted_levels(df[row]), col: sorted_levels(df[col])}
    return _complete(_group_stats(df, [row, col]), levels)


def marginal_table(df, factor):
    """Statistics per level of one factor, with an exact interval of the collapse rate.

    Args:
        df: Runs frame.
        factor: Factor column.

    Returns:
        Columns `factor`, the STAT_COLUMNS, ci_low, ci_high (exact 95% Clopper-Pearson
        interval of the level's collapse rate, `stats.rate_interval`), one row per level in
        ascending order.
    """
    levels = sorted_levels(df[factor])
    table = _complete(_group_stats(df, [factor]), {factor: levels})
    flags = _indicators(df)["collapsed_flag"]
    lows, highs = [], []
    for level in table[factor]:
        members = df[factor].isna() if pd.isna(level) else (df[factor] == level).fillna(False)
        counted = flags[members.to_numpy(dtype=bool)].dropna()
        low, high = stats.rate_interval(int(counted.sum()), len(counted))
        lows.append(low)
        highs.append(high)
    table["ci_low"] = lows
    table["ci_high"] = highs
    return table


def _level_mask(values, level):
    """Boolean array: entries of `values` equal to `level` (a missing level matches missing)."""
    hits = values.isna() if pd.isna(level) else (values == level).fillna(False)
    return hits.to_numpy(dtype=bool)


def range_interval(groups, confidence=CONFIDENCE):
    """Simultaneous interval of the range (max - min) of several groups' collapse rates.

    Each of the k groups' rates gets an exact (Clopper-Pearson) interval at confidence
    1 - (1 - confidence) / k (Bonferroni), so all k hold together with probability at least
    `confidence`; then the range lies in [max(0, max low - min high), max high - min low].
    Conservative, never below the nominal level, and it contains 0 whenever the levels'
    intervals overlap: a factor without an effect is not given one. (A percentile bootstrap
    of the range, used before, never contained 0 and covered a true range of 0.1 in ~72% of
    simulated sweeps; tests/test_analysis.py.)

    Args:
        groups: List of 1-D arrays (shape (n_i,)), 1.0 collapsed / 0.0 not; NaN is dropped;
            groups left empty are ignored.

    Returns:
        (low, high); (0, 0) for one group; (NaN, NaN) when no group has a value.
    """
    kept = [np.asarray(g, dtype=float) for g in groups]
    kept = [g[~np.isnan(g)] for g in kept]
    kept = [g for g in kept if g.size]
    if not kept:
        return float("nan"), float("nan")
    if len(kept) == 1:
        return 0.0, 0.0
    level = 1.0 - (1.0 - confidence) / len(kept)
    lows, highs = zip(*(stats.rate_interval(int(g.sum()), g.size, level) for g in kept),
                      strict=True)
    return max(0.0, max(lows) - min(highs)), max(highs) - min(lows)


RANKING_STATS = [
    "effect",
    "effect_low",
    "effect_high",
    "highest_level",
    "highest_rate",
    "lowest_level",
    "lowest_rate",
]


def factor_ranking(df, factors):
    """Rank factors by how much the marginal collapse rate moves across their levels.

    Args:
        df: Runs frame.
        factors: Factor columns to rank.

    Returns:
        One row per factor: factor, effect (max - min of the marginal collapse rate over its
        levels), effect_low, effect_high (simultaneous 95% interval of that range,
        `range_interval`), highest_level, highest_rate, lowest_level,
        lowest_rate, n_levels; sorted by effect descending (ties keep the given order, NaN
        effects last).
    """
    rows = []
    flags = _indicators(df)["collapsed_flag"].to_numpy(dtype=float)
    for factor in factors:
        marginal = marginal_table(df, factor)
        rates = marginal["collapse_rate"]
        if rates.notna().any():
            high, low = rates.idxmax(), rates.idxmin()
            groups = [flags[_level_mask(df[factor], level)] for level in marginal[factor]]
            effect_low, effect_high = range_interval(groups)
            row = {
                "effect": rates[high] - rates[low],
                "effect_low": effect_low,
                "effect_high": effect_high,
                "highest_level": marginal.loc[high, factor],
                "highest_rate": rates[high],
                "lowest_level": marginal.loc[low, factor],
                "lowest_rate": rates[low],
            }
        else:
            row = dict.fromkeys(RANKING_STATS, np.nan)
        rows.append({"factor": factor, **row, "n_levels": len(marginal)})
    ranking = pd.DataFrame(rows, columns=["factor", *RANKING_STATS, "n_levels"])
    for name in ("effect", "effect_low", "effect_high"):
        ranking[name] = ranking[name].astype(float)
    return ranking.sort_values(
        "effect", ascending=False, kind="stable", na_position="last"
    ).reset_index(drop=True)


def pair_effect(cells):
    """Spread of the collapse rate over the cells of a pair: max - min (NaN if no cell has one).

    Args:
        cells: Output of `cell_table`.
    """
    rates = cells["collapse_rate"].dropna()
    return float(rates.max() - rates.min()) if len(rates) else float("nan")


def pair_interaction(cells, row, col):
    """How far a pair's cells are from adding up: the strength of the pair's interaction.

    The collapse rates of the cells with networks are fitted by an additive model (row level
    effect + column level effect, least squares weighted by each cell's n); the result is the
    n-weighted root mean square of the residuals. 0 when the two factors act independently (or
    when the cells cannot tell, e.g. only one level of a factor has networks).

    Args:
        cells: Output of `cell_table(df, row, col)`.
        row: Factor on the rows.
        col: Factor on the columns.

    Returns:
        The strength in [0, 1]; NaN when no cell has a rate.
    """
    filled = cells[(cells["n"] > 0) & cells["collapse_rate"].notna()]
    if filled.empty:
        return float("nan")
    rates = filled["collapse_rate"].to_numpy(dtype=float)
    weights = filled["n"].to_numpy(dtype=float)
    row_codes = pd.factorize(filled[row], use_na_sentinel=False)[0]
    col_codes = pd.factorize(filled[col], use_na_sentinel=False)[0]
    design = np.column_stack(
        [
            np.ones(len(filled)),
            *[(row_codes == k).astype(float) for k in range(1, row_codes.max() + 1)],
            *[(col_codes == k).astype(float) for k in range(1, col_codes.max() + 1)],
        ]
    )
    root = np.sqrt(weights)
    coef = np.linalg.lstsq(design * root[:, None], rates * root, rcond=None)[0]
    residuals = rates - design @ coef
    return float(np.sqrt(np.sum(weights * residuals**2) / np.sum(weights)))


def encode_factors(df, factors):
    """Factor columns as ordinal codes (position among `sorted_levels`, a missing value last).

    Args:
        df: Runs frame.
        factors: Factor columns.

    Returns:
        Float array of shape (len(df), len(factors)).
    """
    codes = np.zeros((len(df), len(factors)))
    for j, factor in enumerate(factors):
        for k, level in enumerate(sorted_levels(df[factor])):
            codes[_level_mask(df[factor], level), j] = k
    return codes


def factor_importance(
    df, factors, seed=IMPORTANCE_SEED, n_repeats=IMPORTANCE_REPEATS, n_trees=IMPORTANCE_TREES
):
    """Permutation importance of each factor for predicting `collapsed`.

    A RandomForestClassifier (fixed seed) is fitted on the ordinal-encoded factors of the rows
    that count (status not 'error', collapse known; a random sample of IMPORTANCE_MAX_ROWS of
    them in a larger sweep); each factor's importance is the mean drop
    of the balanced accuracy on those rows when that factor's column is shuffled
    (sklearn.inspection.permutation_importance, n_repeats shuffles, fixed random_state).

    Args:
        df: Runs frame.
        factors: Factor columns (usually the varied ones).

    Returns:
        Frame with columns factor, importance, importance_std, sorted by importance descending
        (ties keep the given order). Importances are NaN when there is nothing to predict (no
        factor, fewer than 2 rows, or every row collapsed / every row healthy).
        `result.attrs["score"]` is the fitted model's balanced accuracy on the rows (NaN then).
    """
    factors = list(factors)
    flags = _indicators(df)["collapsed_flag"]
    kept = flags.notna().to_numpy(dtype=bool)
    y = flags.to_numpy(dtype=float)[kept].astype(int)
    table = pd.DataFrame(
        {"factor": factors, "importance": np.nan, "importance_std": np.nan}
    ).astype({"importance": float, "importance_std": float})
    table.attrs["score"] = float("nan")
    if not factors or len(y) < 2 or len(np.unique(y)) < 2:
        return table
    x = encode_factors(df[kept], factors)
    if len(y) > IMPORTANCE_MAX_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(len(y), IMPORTANCE_MAX_ROWS,
                                                          replace=False))
        x, y = x.iloc[rows] if hasattr(x, "iloc") else x[rows], y[rows]
        if len(np.unique(y)) < 2:
            return table
    model = RandomForestClassifier(n_estimators=n_trees, random_state=seed, n_jobs=1)
    model.fit(x, y)
    result = permutation_importance(
        model, x, y, scoring=IMPORTANCE_SCORING, n_repeats=n_repeats, random_state=seed
    )
    table["importance"] = result.importances_mean
    table["importance_std"] = result.importances_std
    table.attrs["score"] = float(get_scorer(IMPORTANCE_SCORING)(model, x, y))
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def collapse_onset(df):
    """Where collapse happens: already at initialization, or during training.

    Args:
        df: Runs frame.

    Returns:
        Dict with collapsed (networks counted as collapsed), at_init (of those, collapsed_init
        True), during_training (collapsed_init False), unknown (collapsed_init missing),
        share_at_init and share_during_training (of the collapsed networks with a known
        collapsed_init; NaN if none).
    """
    collapsed = (_indicators(df)["collapsed_flag"] == 1.0).to_numpy(dtype=bool)
    at_init = df["collapsed_init"].astype("boolean")[collapsed]
    known = int(at_init.notna().sum())
    n_init = int(at_init.fillna(False).sum())
    n_during = known - n_init
    return {
        "collapsed": int(collapsed.sum()),
        "at_init": n_init,
        "during_training": n_during,
        "unknown": int(collapsed.sum()) - known,
        "share_at_init": n_init / known if known else float("nan"),
        "share_during_training": n_during / known if known else float("nan"),
    }


def typical_run(df):
    """The row whose final rel_output_std is the median of `df`'s (the lower middle one for an
    even count); rows with a finite value are preferred, ties broken by config_id, replicate.

    Args:
        df: Runs rows of one group (e.g. the collapsed networks of a claim's cause).

    Returns:
        The row as a Series, or None for an empty frame.
    """
    if df.empty:
        return None
    spread = pd.to_numeric(df["rel_output_std"], errors="coerce").astype(float)
    pool = df.assign(_spread=spread)
    finite = pool[np.isfinite(pool["_spread"])]
    pool = finite if len(finite) else pool
    pool = pool.sort_values(
        ["_spread", "config_id", "replicate"], kind="stable", na_position="last"
    )
    return pool.iloc[(len(pool) - 1) // 2].drop("_spread")


def run_history(history, config_id, replicate):
    """The history rows (long form) of one network, sorted by metric and epoch.

    Args:
        history: Output of `load.load_history`.
        config_id: The network's configuration.
        replicate: The network's replicate.
    """
    mine = history[
        (history["config_id"].astype("string") == str(config_id)).fillna(False)
        & (history["replicate"] == int(replicate)).fillna(False)
    ]
    return mine.sort_values(["metric", "epoch"], kind="stable").reset_index(drop=True)


def config_table(df, factors):
    """Statistics per configuration, with the given factor values and status counts.

    Args:
        df: Runs frame.
        factors: Factor columns to show (usually the varied ones).

    Returns:
        Columns config_id, `factors`, n, collapse_rate, median_rel_output_std, ok, diverged,
        error; sorted by the factor values, then config_id.
    """
    factors = list(factors)
    stats = _group_stats(df, ["config_id"])
    firsts = df.groupby("config_id", dropna=False, sort=False)[factors].first().reset_index()
    status = df["status"].astype("string")
    counts = pd.DataFrame({"config_id": df["config_id"].to_numpy()})
    for name in ["ok", "diverged", "error"]:
        counts[name] = (status == name).fillna(False).to_numpy(dtype=int)
    counts = counts.groupby("config_id", dropna=False, sort=False).sum().reset_index()
    table = firsts.merge(stats, on="config_id").merge(counts, on="config_id")
    table = table.sort_values(factors + ["config_id"], na_position="last", kind="stable")
    return table[
        [
            "config_id",
            *factors,
            "n",
            "collapse_rate",
            "median_rel_output_std",
            "ok",
            "diverged",
            "error",
        ]
    ].reset_index(drop=True)


def summary(df):
    """Headline counts of a sweep.

    Args:
        df: Runs frame.

    Returns:
        Dict with networks (all rows), configurations (distinct config_id), collapsed,
        diverged, errors (counts of networks) and collapse_rate (collapsed share of the
        networks that did not fail; NaN if all failed).
    """
    helper = _indicators(df)
    return {
        "networks": int(len(df)),
        "configurations": int(df["config_id"].nunique(dropna=False)),
        "collapsed": int((helper["collapsed_flag"] == 1.0).sum()),
        "diverged": int(helper["diverged"].sum()),
        "errors": int(helper["error"].sum()),
        "collapse_rate": collapse_rate(df),
    }


THRESHOLDS = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1)  # collapse thresholds the report scans


def threshold_curve(df, thresholds=THRESHOLDS):
    """The sweep's collapse rate if the collapse threshold were each of `thresholds`.

    Collapsed at threshold t: finite outputs (not diverged) and rel_output_std < t. Failed
    rows are left out; diverged rows count in the denominator as not collapsed.

    Args:
        df: Runs frame.
        thresholds: Thresholds to evaluate.

    Returns:
        Frame with columns threshold, collapsed, n, rate, ci_low, ci_high (exact 95%).
    """
    flags = _indicators(df)
    counted = flags["counted"].to_numpy(dtype=bool)
    spread = flags["spread"].to_numpy(dtype=float)[counted]
    rows = []
    for t in thresholds:
        with np.errstate(invalid="ignore"):
            k = int(np.sum(np.isfinite(spread) & (spread < t)))
        n = int(counted.sum())
        low, high = stats.rate_interval(k, n)
        rows.append({"threshold": t, "collapsed": k, "n": n,
                     "rate": k / n if n else float("nan"), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)
