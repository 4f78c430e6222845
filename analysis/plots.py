"""Figures from aggregate tables: heatmaps of factor pairs and bar charts of one factor.

Each function takes `ax=None` (a new figure is made when it is None) and returns the figure.
The Agg backend is selected at import, so figures render without a display.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.colors import Normalize, SymLogNorm  # noqa: E402
from seaborn.utils import relative_luminance  # noqa: E402

from analysis import style  # noqa: E402
from analysis.aggregate import sorted_levels  # noqa: E402
from experiments import catalogue  # noqa: E402

RATE_VALUES = {"collapse_rate", "diverged_share"}


def _heatmap_size(n_rows, n_cols):
    """Figure size in inches for a heatmap of n_rows x n_cols cells."""
    cell_w, cell_h = style.HEATMAP_CELL_SIZE
    margin_w, margin_h = style.HEATMAP_MARGIN
    min_w, min_h = style.HEATMAP_MIN_SIZE
    return max(min_w, margin_w + cell_w * n_cols), max(min_h, margin_h + cell_h * n_rows)


def _norm(value, grid):
    """Colour scale: 0..1 for shares, symmetric-log 0..max for the output spread."""
    if value in RATE_VALUES:
        return Normalize(vmin=0.0, vmax=1.0), style.RATE_CMAP
    top = np.nanmax(grid) if np.isfinite(grid).any() else 1.0
    return SymLogNorm(
        linthresh=style.SPREAD_LINTHRESH, vmin=0.0, vmax=max(top, 1.0)
    ), style.SPREAD_CMAP


def collapse_heatmap(cells, row, col, value="collapse_rate", ax=None):
    """Heatmap of one statistic over two factors.

    Cells where some networks diverged carry a dagger; cells without data are grey and say why
    ('no runs', 'failed', 'diverged' when every network there diverged and the spread is NaN).

    Args:
        cells: Output of `aggregate.cell_table(df, row, col)`.
        row: Factor on the rows.
        col: Factor on the columns.
        value: Column of `cells` to colour by: 'collapse_rate' or 'median_rel_output_std'.
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Figure.
    """
    row_levels = sorted_levels(cells[row])
    col_levels = sorted_levels(cells[col])
    # Integer positions as pivot keys: factor levels may be NaN, which pivot would sort first.
    positions = cells.assign(
        _row=_positions(cells[row], row_levels), _col=_positions(cells[col], col_levels)
    )
    shape = dict(index=range(len(row_levels)), columns=range(len(col_levels)))

    def grid(name):
        return positions.pivot(index="_row", columns="_col", values=name).reindex(**shape)

    values = grid(value).to_numpy(dtype=float)
    n = grid("n").fillna(0).to_numpy(dtype=float)
    errors = grid("errors").fillna(0).to_numpy(dtype=float)
    diverged = grid("diverged_share").to_numpy(dtype=float)

    if ax is None:
        fig, ax = plt.subplots(
            figsize=_heatmap_size(len(row_levels), len(col_levels)), layout="constrained"
        )
    else:
        fig = ax.figure
    norm, cmap = _norm(value, values)
    formatter = style.format_rate if value in RATE_VALUES else style.format_number
    marked = np.nan_to_num(diverged) > 0
    ax.set_facecolor(style.MISSING_COLOR)
    # seaborn's heatmap, drawn with matplotlib directly: sns.heatmap renders the whole figure
    # once per call to check its tick labels, which was most of a report's time.
    mesh = ax.pcolormesh(np.ma.masked_invalid(values), cmap=sns.color_palette(cmap, as_cmap=True),
                         norm=norm, edgecolors="white", linewidth=0.8)
    ax.set(xlim=(0, values.shape[1]), ylim=(values.shape[0], 0))  # first row on top
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0)
    ax.figure.colorbar(mesh, ax=ax, label=style.display_name(value)).outline.set_visible(False)
    colours = mesh.to_rgba(np.nan_to_num(values))
    for i, j in zip(*np.nonzero(~np.isnan(values)), strict=True):
        text = formatter(values[i, j]) + (style.DIVERGED_MARK if marked[i, j] else "")
        ink = ".15" if relative_luminance(colours[i, j]) > 0.408 else "w"  # seaborn's rule
        ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", color=ink)
    missing = np.isnan(values)
    for i, j in zip(*np.nonzero(missing), strict=True):
        if n[i, j] == 0:
            text = "failed" if errors[i, j] > 0 else "no runs"
        else:
            text = "diverged" if diverged[i, j] == 1 else "n/a"
        ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=8, color="#444444")

    ax.set_xticks(
        np.arange(len(col_levels)) + 0.5, [style.format_level(v) for v in col_levels], rotation=0
    )
    ax.set_yticks(
        np.arange(len(row_levels)) + 0.5, [style.format_level(v) for v in row_levels], rotation=0
    )
    ax.set_xlabel(style.display_name(col))
    ax.set_ylabel(style.display_name(row))
    notes = []
    if marked.any():
        notes.append(f"{style.DIVERGED_MARK} some networks diverged")
    if missing.any():
        notes.append("grey: no value")
    title = style.display_name(value)
    ax.set_title(title + ("\n" + "; ".join(notes) if notes else ""), fontsize=10)
    return fig


def pair_heatmaps(cells, row, col, values):
    """One figure of `collapse_heatmap` panels side by side, one per statistic in `values`
    (one figure per pair of factors: half the layout and encoding work of one per panel)."""
    width, height = _heatmap_size(len(sorted_levels(cells[row])), len(sorted_levels(cells[col])))
    fig, axes = plt.subplots(1, len(values), figsize=(width * len(values), height),
                             layout="constrained", squeeze=False)
    for value, ax in zip(values, axes[0], strict=True):
        collapse_heatmap(cells, row, col, value=value, ax=ax)
    return fig


def _positions(values, levels):
    """Index of each value in `levels` (a missing value matches a missing level)."""
    lookup = {_key(level): i for i, level in enumerate(levels)}
    return [lookup[_key(v)] for v in values]


def _key(value):
    return None if pd.isna(value) else value


def factor_bars(marginal, factor, ax=None):
    """Bar chart of the collapse rate per level of one factor, with exact (Clopper-Pearson)
    95% error bars.

    Args:
        marginal: Output of `aggregate.marginal_table(df, factor)`.
        factor: The factor.
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Figure.
    """
    n_levels = len(marginal)
    if ax is None:
        min_w, min_h = style.BAR_MIN_SIZE
        fig, ax = plt.subplots(
            figsize=(max(min_w, 1.5 + style.BAR_SIZE_PER_LEVEL * n_levels), min_h),
            layout="constrained",
        )
    else:
        fig = ax.figure
    x = np.arange(n_levels)
    rates = marginal["collapse_rate"].to_numpy(dtype=float)
    low = marginal["ci_low"].to_numpy(dtype=float)
    high = marginal["ci_high"].to_numpy(dtype=float)
    yerr = np.vstack([rates - low, high - rates])
    ax.bar(
        x,
        np.nan_to_num(rates),
        color=style.BAR_COLOR,
        yerr=yerr,
        capsize=4,
        error_kw={"ecolor": "#333333", "elinewidth": 1},
    )
    errors = marginal["errors"].to_numpy()
    for i, rate in enumerate(rates):
        if np.isnan(rate):
            label = "all failed" if errors[i] > 0 else "no data"
        else:
            label = style.format_rate(rate)
        ax.text(i, (0 if np.isnan(rate) else high[i]) + 0.03, label, ha="center", fontsize=8)
    ax.set_xticks(x, [style.format_level(v) for v in marginal[factor]])
    ax.set_ylim(0, 1.12)
    ax.set_xlabel(style.display_name(factor))
    ax.set_ylabel(style.display_name("collapse_rate"))
    ax.set_title("collapse rate per level (error bars: exact 95% interval)", fontsize=10)
    sns.despine(ax=ax)
    return fig


def effect_intervals(ranking, ax=None):
    """Dots with simultaneous 95% intervals: each factor's main effect on the collapse rate.

    Args:
        ranking: Output of `aggregate.factor_ranking` (factors drawn top to bottom in its order).
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Figure.
    """
    n = len(ranking)
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(style.IMPORTANCE_WIDTH / 2, 1.2 + style.IMPORTANCE_ROW_HEIGHT * n),
            layout="constrained",
        )
    else:
        fig = ax.figure
    y = np.arange(n)
    effect = ranking["effect"].to_numpy(dtype=float)
    low = ranking["effect_low"].to_numpy(dtype=float)
    high = ranking["effect_high"].to_numpy(dtype=float)
    ax.hlines(y, low, high, color=style.BAR_COLOR, linewidth=2)
    ax.plot(effect, y, "o", color=style.BAR_COLOR, markersize=5)
    ax.set_yticks(y, [style.display_name(f) for f in ranking["factor"]])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("max - min collapse rate over levels")
    ax.set_title("main effect (95% simultaneous interval)", fontsize=10)
    ax.grid(axis="x", color="#e5e5e5")
    sns.despine(ax=ax)
    return fig


def importance_bars(importance, order=None, ax=None):
    """Horizontal bars: permutation importance of each factor, with +- one standard deviation.

    Args:
        importance: Output of `aggregate.factor_importance`.
        order: Factor names top to bottom (default: the table's order).
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Figure.
    """
    table = importance.set_index("factor")
    order = list(table.index) if order is None else list(order)
    n = len(order)
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(style.IMPORTANCE_WIDTH / 2, 1.2 + style.IMPORTANCE_ROW_HEIGHT * n),
            layout="constrained",
        )
    else:
        fig = ax.figure
    values = table.loc[order, "importance"].to_numpy(dtype=float)
    spread = table.loc[order, "importance_std"].to_numpy(dtype=float)
    y = np.arange(n)
    ax.barh(
        y,
        np.nan_to_num(values),
        xerr=np.nan_to_num(spread),
        color=style.IMPORTANCE_COLOR,
        error_kw={"ecolor": "#333333", "elinewidth": 1, "capsize": 2},
    )
    for i, value in enumerate(values):
        if np.isnan(value):
            ax.text(0, i, " n/a", va="center", fontsize=8, color="#444444")
    ax.set_yticks(y, [style.display_name(f) for f in order])
    ax.set_ylim(n - 0.5, -0.5)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("drop in balanced accuracy when shuffled")
    ax.set_title("permutation importance (random forest)", fontsize=10)
    ax.grid(axis="x", color="#e5e5e5")
    sns.despine(ax=ax)
    return fig


CURVE_METRICS = ["loss", "eval_loss", *catalogue.HISTORY_METRICS]


def training_curves(curves, metrics=None, axes=None):
    """One panel per history metric, one line per network (epoch 0 = at initialization).

    Args:
        curves: Long-form frame with columns network (legend label), role (sets the colour:
            'collapsed' or 'cause' red, 'healthy' or 'control' blue), epoch, metric, value
            (non-finite values are not drawn).
        metrics: History metrics to draw, one panel each (default CURVE_METRICS).
        axes: Sequence of Axes, one per metric; a new 2 x 3 figure when None.

    Returns:
        The matplotlib Figure.
    """
    metrics = CURVE_METRICS if metrics is None else list(metrics)
    if axes is None:
        ncols = 3
        nrows = -(-len(metrics) // ncols)
        fig, grid = plt.subplots(
            nrows, ncols, figsize=style.CURVES_SIZE, layout="constrained", squeeze=False
        )
        axes = list(grid.ravel())
        for extra in axes[len(metrics) :]:
            extra.set_visible(False)
    else:
        axes = list(axes)
        fig = axes[0].figure
    colors = {
        "collapsed": style.COLLAPSED_COLOR,
        "cause": style.COLLAPSED_COLOR,
        "healthy": style.HEALTHY_COLOR,
        "control": style.HEALTHY_COLOR,
    }
    networks = curves.drop_duplicates("network")[["network", "role"]]
    for ax, metric in zip(axes, metrics, strict=False):
        mine = curves[curves["metric"] == metric]
        for network, role in networks.itertuples(index=False):
            line = mine[mine["network"] == network].sort_values("epoch")
            values = line["value"].to_numpy(dtype=float)
            values = np.where(np.isfinite(values), values, np.nan)
            ax.plot(
                line["epoch"].to_numpy(dtype=float),
                values,
                marker="o",
                markersize=2.5,
                linewidth=1.4,
                color=colors.get(role, "#555555"),
                label=network,
            )
        if metric in style.HISTORY_SYMLOG:
            ax.set_yscale("symlog", linthresh=style.SPREAD_LINTHRESH)
        if mine["value"].notna().sum() == 0:
            ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center", color="#666666")
        ax.set_title(style.HISTORY_DISPLAY.get(metric, metric.replace("_", " ")), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("epoch", fontsize=8)
        sns.despine(ax=ax)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


def threshold_curve(curve, ax=None):
    """Collapse rate (with its interval) against the collapse threshold, log x axis.

    Args:
        curve: Output of `aggregate.threshold_curve`.
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Figure.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=style.BAR_MIN_SIZE, layout="constrained")
    else:
        fig = ax.figure
    x = curve["threshold"].to_numpy(dtype=float)
    ax.fill_between(x, curve["ci_low"], curve["ci_high"], color=style.BAR_COLOR, alpha=0.2,
                    linewidth=0)
    ax.plot(x, curve["rate"], marker="o", color=style.BAR_COLOR)
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("collapse threshold (output spread / target spread)")
    ax.set_ylabel("collapse rate")
    ax.grid(color="#e5e5e5")
    sns.despine(ax=ax)
    return fig
