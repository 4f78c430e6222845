"""Aggregate tidy run frames (one row per trained network) into tables; no plotting here.

Conventions shared by every table:
    - Rows with status 'error' (the job failed) are left out of `n`, the collapse rate, the
      median spread and the diverged share; they are counted in `errors`.
    - A network counts as collapsed when `collapsed` is True; a diverged network whose
      `collapsed` is missing still counts as collapsed (the schema defines divergence as
      collapse). A non-error row with `collapsed` missing for another reason is left out of the
      rate's denominator.
    - Factor levels are kept as they are, a missing value (NaN) being a level of its own.
"""

import numpy as np
import pandas as pd

from experiments.schema import FACTOR_COLUMNS

N_RESAMPLES = 1000
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0

STAT_COLUMNS = ["n", "collapse_rate", "median_rel_output_std", "diverged_share", "errors"]


# Parameters that belong to an option: they vary along with it when only the option is swept.
OPTION_OF = {"init_value": "init", "init_stddev": "init", "reg_strength": "regularization"}


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
    collapsed = df["collapsed"].astype("boolean")
    collapsed = collapsed.mask(pd.Series(is_diverged, index=df.index) & collapsed.isna(), True)
    flag = collapsed.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
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


def bootstrap_interval(flags, n_resamples=N_RESAMPLES, confidence=CONFIDENCE, seed=BOOTSTRAP_SEED):
    """Percentile bootstrap interval of a mean.

    Args:
        flags: 1-D array of shape (n,), here 1.0 for collapsed and 0.0 for not; NaN is dropped.
        n_resamples: Number of resamples with replacement.
        confidence: Coverage of the interval.
        seed: Seed of the numpy generator, so the interval is reproducible.

    Returns:
        (low, high); (NaN, NaN) for an empty input.
    """
    values = np.asarray(flags, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.size, size=(n_resamples, values.size))
    means = values[picks].mean(axis=1)
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def marginal_table(df, factor):
    """Statistics per level of one factor, with a bootstrap interval of the collapse rate.

    Args:
        df: Runs frame.
        factor: Factor column.

    Returns:
        Columns `factor`, the STAT_COLUMNS, ci_low, ci_high (95% percentile bootstrap over the
        level's networks, 1000 resamples, fixed seed), one row per level in ascending order.
    """
    levels = sorted_levels(df[factor])
    table = _complete(_group_stats(df, [factor]), {factor: levels})
    flags = _indicators(df)["collapsed_flag"]
    lows, highs = [], []
    for level in table[factor]:
        members = df[factor].isna() if pd.isna(level) else (df[factor] == level).fillna(False)
        low, high = bootstrap_interval(flags[members.to_numpy(dtype=bool)].to_numpy())
        lows.append(low)
        highs.append(high)
    table["ci_low"] = lows
    table["ci_high"] = highs
    return table


def factor_ranking(df, factors):
    """Rank factors by how much the marginal collapse rate moves across their levels.

    Args:
        df: Runs frame.
        factors: Factor columns to rank.

    Returns:
        One row per factor: factor, effect (max - min of the marginal collapse rate over its
        levels), highest_level, highest_rate, lowest_level, lowest_rate, n_levels; sorted by
        effect descending (ties keep the given order, NaN effects last).
    """
    rows = []
    for factor in factors:
        marginal = marginal_table(df, factor)
        rates = marginal["collapse_rate"]
        if rates.notna().any():
            high, low = rates.idxmax(), rates.idxmin()
            row = {
                "effect": rates[high] - rates[low],
                "highest_level": marginal.loc[high, factor],
                "highest_rate": rates[high],
                "lowest_level": marginal.loc[low, factor],
                "lowest_rate": rates[low],
            }
        else:
            row = dict.fromkeys(
                ["effect", "highest_level", "highest_rate", "lowest_level", "lowest_rate"], np.nan
            )
        rows.append({"factor": factor, **row, "n_levels": len(marginal)})
    columns = [
        "factor",
        "effect",
        "highest_level",
        "highest_rate",
        "lowest_level",
        "lowest_rate",
        "n_levels",
    ]
    ranking = pd.DataFrame(rows, columns=columns)
    ranking["effect"] = ranking["effect"].astype(float)
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
