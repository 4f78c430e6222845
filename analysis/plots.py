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

from analysis import style  # noqa: E402
from analysis.aggregate import sorted_levels  # noqa: E402

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
    annotations = np.empty(values.shape, dtype=object)
    for i, j in np.ndindex(values.shape):
        annotations[i, j] = formatter(values[i, j]) + (style.DIVERGED_MARK if marked[i, j] else "")
    ax.set_facecolor(style.MISSING_COLOR)
    sns.heatmap(
        pd.DataFrame(values),
        mask=np.isnan(values),
        annot=annotations,
        fmt="",
        cmap=cmap,
        norm=norm,
        linewidths=0.8,
        linecolor="white",
        cbar_kws={"label": style.display_name(value)},
        ax=ax,
    )
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


def _positions(values, levels):
    """Index of each value in `levels` (a missing value matches a missing level)."""
    lookup = {_key(level): i for i, level in enumerate(levels)}
    return [lookup[_key(v)] for v in values]


def _key(value):
    return None if pd.isna(value) else value


def factor_bars(marginal, factor, ax=None):
    """Bar chart of the collapse rate per level of one factor, with bootstrap error bars.

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
    ax.set_title("collapse rate per level (error bars: 95% bootstrap interval)", fontsize=10)
    sns.despine(ax=ax)
    return fig
