"""Display names and style constants of the analysis, kept in one place."""

import numbers

import pandas as pd

from experiments import catalogue, factors

FACTOR_DISPLAY = factors.display_names()  # experiments.factors

METRIC_DISPLAY = {
    "median_rel_output_std": "median output spread / target spread",
    "collapse_rate": "collapse rate",
    "diverged_share": "diverged share",
    "n": "networks",
    "errors": "failed",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "effect": "effect (max - min rate)",
    "highest_level": "highest-rate level",
    "highest_rate": "highest rate",
    "lowest_level": "lowest-rate level",
    "lowest_rate": "lowest rate",
    "n_levels": "levels",
    "config_id": "configuration",
    "ok": "ok",
    "diverged": "diverged",
    "error": "error",
    "effect_low": "effect 95% CI low",
    "effect_high": "effect 95% CI high",
    "importance": "permutation importance",
}
for _metric in catalogue.METRICS:  # each metric, and measured at initialization ("_init")
    METRIC_DISPLAY.setdefault(_metric.name, _metric.display)
    METRIC_DISPLAY.setdefault(f"{_metric.name}_init", catalogue.display(f"{_metric.name}_init"))

# The history Parquet's metric names: there `loss` is the training loss of the epoch.
HISTORY_DISPLAY = {"loss": "training loss", "eval_loss": "evaluation loss"} | {
    name: catalogue.BY_NAME[name].display for name in catalogue.HISTORY_METRICS
}
# Metrics drawn on a symmetric-log axis (they matter near 0 and can grow large).
HISTORY_SYMLOG = {metric.name for metric in catalogue.METRICS if metric.symlog}

# Colormaps: collapse rate is a share in [0, 1] where high is bad (dark); the output spread
# runs from 0 (collapsed, dark) upwards on a symmetric-log scale that still shows exact zeros.
RATE_CMAP = "rocket_r"
SPREAD_CMAP = "mako"
SPREAD_LINTHRESH = 1e-3  # below this the spread colour scale is linear
MISSING_COLOR = "#d0d0d0"  # cells with no data (no networks, or a NaN statistic)
BAR_COLOR = "#b03a48"
COLLAPSED_COLOR = "#b03a48"  # a typical collapsed network's training curves
HEALTHY_COLOR = "#2b6cb0"  # a typical healthy network's training curves
IMPORTANCE_COLOR = "#4a5568"

# Verdict of a claim -> background colour of its cell in the claims table.
VERDICT_COLORS = {
    "supported": "#c6f6d5",
    "mixed": "#fefcbf",
    "not supported": "#e2e8f0",
    "contradicted": "#fed7d7",
    "inconclusive": "#feebc8",
    "not evaluable": "#e9d8fd",
    "diagnostic": "#bee3f8",
    "dropped": "#edf2f7",
    "not run": "#ffffff",
}
# Marker colours of the forest plot (stronger versions of the table's)
VERDICT_MARKERS = {
    "supported": "#2f855a",
    "mixed": "#b7791f",
    "not supported": "#4a5568",
    "contradicted": "#c53030",
    "inconclusive": "#dd6b20",
    "not evaluable": "#6b46c1",
}

DIVERGED_MARK = "\u2020"  # dagger after a heatmap annotation: some networks there diverged

# Figure sizes in inches.
HEATMAP_CELL_SIZE = (0.95, 0.55)  # width, height per cell
HEATMAP_MIN_SIZE = (4.2, 2.8)
HEATMAP_MARGIN = (2.4, 1.6)  # room for tick labels, axis labels, colour bar, title
BAR_SIZE_PER_LEVEL = 0.8
BAR_MIN_SIZE = (4.0, 3.2)
IMPORTANCE_ROW_HEIGHT = 0.32  # per factor, in the factor-importance figure
IMPORTANCE_WIDTH = 9.0
CURVES_SIZE = (9.0, 3.8)  # training curves: 2 x 3 panels
DPI = 110


def display_name(name):
    """Readable name of a factor or metric column (falls back to the name without underscores)."""
    return FACTOR_DISPLAY.get(name) or METRIC_DISPLAY.get(name) or name.replace("_", " ")


def format_level(value):
    """Compact text of a factor level: 1e-05, 0.001, 10, 'relu'; missing -> 'none'."""
    if _missing(value):
        return "none"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):g}"
    return str(value)


def format_rate(value):
    """Share as a whole percentage ('33%'); missing -> 'n/a'."""
    return "n/a" if _missing(value) else f"{value:.0%}"


def format_number(value):
    """Statistic with 3 significant digits (0.000312 -> '0.000312', 12.3456 -> '12.3')."""
    return "n/a" if _missing(value) else f"{value:.3g}"


def _missing(value):
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
