"""Write a self-contained HTML report of one sweep: which factors make networks collapse.

Output: `<sweep>/report.html` (figures embedded as base64 PNG, opens from disk) and the same
figures as PNG files in `<sweep>/figures/`. The runs files are only read.

Example:
    python -m analysis.report results/2024-05-01/12-00-00
"""

import argparse
import html
import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import (
    aggregate,
    baselines,
    claims,
    claims_report,
    html_table,
    plots,
    reproduction,
    style,
)
from analysis.figures import FigureWriter
from analysis.load import load_claims, load_confirms, load_history, load_rule, load_runs

FIGURE_DIR = "figures"
REPORT_NAME = "report.html"
HEATMAP_VALUES = ["collapse_rate", "median_rel_output_std"]
CURVE_COLOR_NAMES = {"cause": "red", "control": "blue"}  # as plots.training_curves draws them
MAX_PAIRS = 8  # pairs of factors drawn as heatmaps, strongest interaction first

# Runs when the page has loaded: counts the images the browser could decode (a check that every
# embedded figure is intact; the browser test reads these attributes from the DOM).
IMAGE_CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  document.body.dataset.imagesTotal = images.length;
  document.body.dataset.imagesLoaded = images.filter(function (img) {
    return img.complete && img.naturalWidth > 0;
  }).length;
});
"""

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       background: #fafafa; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
p.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f0f0f0; }
td.text, th.text { text-align: left; }
.scroll { max-height: 32rem; overflow: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #555; max-width: 32rem; }
figure.wide figcaption { max-width: none; }
""" + claims_report.CSS


_table = html_table.table


def _percent(share):
    return style.format_rate(share)


def summary_text(stats):
    """One sentence of headline counts, e.g. '12 networks in 4 configurations; 6 collapsed (50%),
    2 diverged, 0 failed.'

    Args:
        stats: Output of `aggregate.summary`.
    """
    text = (
        f"{stats['networks']} networks in {stats['configurations']} configurations; "
        f"{stats['collapsed']} collapsed ({_percent(stats['collapse_rate'])}), "
        f"{stats['diverged']} diverged, {stats['errors']} failed."
    )
    if stats["errors"]:
        finished = stats["networks"] - stats["errors"]
        text += f" The collapse rate is over the {finished} networks that did not fail."
    return text


def _level(value):
    return style.format_level(value)


def _interval(low, high, signed=False):
    """'[40%, 90%]' (or '[-10%, +30%]' when signed); 'n/a' when missing."""
    if pd.isna(low) or pd.isna(high):
        return "n/a"
    if signed:
        return f"[{low:+.0%}, {high:+.0%}]"
    return f"[{_percent(low)}, {_percent(high)}]"


def _ranking_section(df, ranking, figures):
    """'Which factors cause collapse': main effects with intervals and permutation importance."""
    importance = aggregate.factor_importance(df, list(ranking["factor"]))
    by_factor = importance.set_index("factor")
    rows = [
        [
            style.display_name(r.factor),
            _percent(r.effect),
            _interval(r.effect_low, r.effect_high),
            f"{_level(r.highest_level)} ({_percent(r.highest_rate)})",
            f"{_level(r.lowest_level)} ({_percent(r.lowest_rate)})",
            r.n_levels,
            _importance_text(by_factor.loc[r.factor]),
        ]
        for r in ranking.itertuples()
    ]
    headers = [
        "factor",
        "main effect (max - min collapse rate)",
        "95% simultaneous interval",
        "worst level (rate)",
        "best level (rate)",
        "levels",
        "permutation importance \u00b1 sd",
    ]
    score = importance.attrs["score"]
    if np.isnan(score):
        model_text = (
            "The permutation importance is not available: there is nothing to predict "
            "(every network collapsed, or none did)."
        )
    else:
        model_text = (
            f"Its balanced accuracy on these networks is {score:.2f} (1 = the factors "
            "separate collapsed from healthy networks completely, 0.5 = not at all)."
        )
    parts = [
        "<h2>Which factors cause collapse</h2>",
        "<p>Main effect: the largest minus the smallest collapse rate over a factor's levels, "
        "each level pooled over all other factors. Its interval holds with 95% confidence "
        "or more: every level's rate gets an exact (Clopper-Pearson) interval at 95% "
        "Bonferroni-corrected over the factor's levels, and the range lies between the "
        "largest lower bound minus the smallest upper bound (at least 0) and the largest "
        "upper bound minus the smallest lower bound; an interval from 0 means the levels "
        "cannot be told apart. "
        "Permutation importance: a random forest "
        f"({aggregate.IMPORTANCE_TREES} trees, seed {aggregate.IMPORTANCE_SEED}) predicts "
        "whether a network collapsed from the varied factors (on a random sample of "
        f"{aggregate.IMPORTANCE_MAX_ROWS:,} networks when the sweep has more); a factor's "
        "importance is the drop of its balanced accuracy when that factor's values are "
        f"shuffled (mean and standard deviation over {aggregate.IMPORTANCE_REPEATS} shuffles). "
        f"{model_text} Factors that always change together (such as a regularizer and its "
        "strength) can stand in for each other in the forest, so one of them may get a low "
        "importance although the pair matters.</p>",
        _table(headers, rows, text_columns=(0, 3, 4)),
    ]
    if len(ranking) >= 2:
        n = len(ranking)
        fig, axes = plots.plt.subplots(
            1,
            2,
            figsize=(style.IMPORTANCE_WIDTH, 1.3 + style.IMPORTANCE_ROW_HEIGHT * n),
            layout="constrained",
            sharey=True,
        )
        plots.effect_intervals(ranking, ax=axes[0])
        plots.importance_bars(importance, order=list(ranking["factor"]), ax=axes[1])
        caption = (
            "Left: main effect of each factor with its 95% simultaneous interval. Right: "
            "permutation importance (error bars: one standard deviation over shuffles). "
            "Factors in the order of the table."
        )
        parts.append(
            '<div class="figures">'
            + figures.add(fig, "importance", "factor importance", caption, wide=True)
            + "</div>"
        )
    return "\n".join(parts)


def _importance_text(row):
    if pd.isna(row["importance"]):
        return "n/a"
    return f"{row['importance']:.3f} \u00b1 {row['importance_std']:.3f}"


def _pair_order(df, ranking):
    """Pairs of varied factors (row factor, column factor, cells, interaction, spread).

    Strongest interaction first (`aggregate.pair_interaction`); ties go to the pair with the
    larger spread of the collapse rate over its cells, then to the pair of higher-ranked
    factors. The factor with longer level labels goes on the rows.
    """
    factors = list(ranking["factor"])
    effects = dict(zip(ranking["factor"], ranking["effect"].fillna(0.0), strict=True))
    pairs = []
    for a, b in itertools.combinations(factors, 2):
        width_a = max(len(_level(v)) for v in df[a].drop_duplicates())
        width_b = max(len(_level(v)) for v in df[b].drop_duplicates())
        row, col = (b, a) if width_b > width_a else (a, b)
        cells = aggregate.cell_table(df, row, col)
        interaction = aggregate.pair_interaction(cells, row, col)
        spread = aggregate.pair_effect(cells)
        key = (
            -(interaction if interaction == interaction else -1.0),  # NaN last
            -(spread if spread == spread else -1.0),
            -(effects[a] + effects[b]),
        )
        pairs.append((key, row, col, cells, interaction, spread))
    pairs.sort(key=lambda p: p[0])
    return [pair[1:] for pair in pairs]


def _pairs_section(df, ranking, figures):
    pairs = _pair_order(df, ranking)
    drawn, rest = pairs[:MAX_PAIRS], pairs[MAX_PAIRS:]
    parts = [
        "<h2>Factor pairs</h2>",
        "<p>For each pair of varied factors, networks pooled over all other factors. First: share "
        "of collapsed networks; second: median output spread / target spread (0 means the same "
        f"output for every input). {style.DIVERGED_MARK} marks cells where some networks "
        "diverged; grey cells have no value (no runs, all failed, or all diverged). Pairs are "
        "ordered by the strength of their interaction, largest first: how far the cells' "
        "collapse rates are from the best additive fit (row effect + column effect, weighted "
        "by the networks per cell; root mean square of the differences). Ties are ordered by "
        "the spread (max - min) of the collapse rate across the cells.</p>",
    ]
    if rest:
        parts.append(
            f"<p>The {len(drawn)} pairs with the strongest interaction are drawn; "
            f"{len(rest)} more pair{'s were' if len(rest) != 1 else ' was'} not drawn.</p>"
        )
    for row, col, cells, interaction, spread in drawn:
        title = f"{style.display_name(row)} \u00d7 {style.display_name(col)}"
        strength = (
            f"interaction {_percent(interaction)}, spread of the collapse rate {_percent(spread)}"
        )
        parts.append(
            f'<h3>{html.escape(title)} <span class="sub">({html.escape(strength)})</span></h3>'
            '\n<div class="figures">'
        )
        fig = plots.pair_heatmaps(cells, row, col, HEATMAP_VALUES)
        names = " and ".join(style.display_name(value) for value in HEATMAP_VALUES)
        parts.append(figures.add(fig, f"heatmap_{row}__{col}", f"{names}: {title}",
                                 f"{names} by {title}.", wide=True))
        parts.append("</div>")
    return "\n".join(parts)


def _marginal_rows(marginal, factor):
    return [
        [
            _level(r[factor]),
            r["n"],
            _percent(r["collapse_rate"]),
            f"{_percent(r['ci_low'])} \u2013 {_percent(r['ci_high'])}",
            style.format_number(r["median_rel_output_std"]),
            _percent(r["diverged_share"]),
            r["errors"],
        ]
        for _, r in marginal.iterrows()
    ]


MARGINAL_HEADERS = [
    "networks",
    "collapse rate",
    "exact 95% interval",
    "median output spread / target spread",
    "diverged",
    "failed",
]


def _single_factor_section(df, factor, figures):
    marginal = aggregate.marginal_table(df, factor)
    name = style.display_name(factor)
    fig = plots.factor_bars(marginal, factor)
    caption = (
        f"Collapse rate per {name}; error bars: exact (Clopper-Pearson) 95% interval over "
        "the level's networks."
    )
    return "\n".join(
        [
            f"<h2>Collapse rate by {html.escape(name)}</h2>",
            '<div class="figures">'
            + figures.add(fig, f"bars_{factor}", f"collapse rate by {name}", caption)
            + "</div>",
            _table([name, *MARGINAL_HEADERS], _marginal_rows(marginal, factor), text_columns=(0,)),
        ]
    )


def _single_config_section(df):
    everything = df.assign(_all="all networks")
    row = _marginal_rows(aggregate.marginal_table(everything, "_all"), "_all")
    return "\n".join(
        [
            "<h2>The single configuration</h2>",
            "<p>No factor varies in this sweep: statistics over its replicates.</p>",
            _table(["", *MARGINAL_HEADERS], row, text_columns=(0,)),
        ]
    )


def _fixed_section(df, varied):
    rows = []
    for factor in aggregate.FACTOR_COLUMNS:
        if factor in varied or factor not in df.columns or df[factor].isna().all():
            continue
        if df[factor].nunique(dropna=False) > 1:  # a parameter that follows a varied option
            option = aggregate.OPTION_OF[factor]
            values = df.dropna(subset=[factor]).groupby(option, observed=True)[factor].first()
            text = ", ".join(f"{_level(v)} ({k})" for k, v in values.items())
            rows.append([style.display_name(factor), text])
            continue
        rows.append([style.display_name(factor), _level(df[factor].iloc[0])])
    if not rows:
        return ""
    return "<h2>Fixed factors</h2>\n" + _table(["factor", "value"], rows, text_columns=(0, 1))


def _config_section(df, varied):
    table = aggregate.config_table(df, varied)
    rows = [
        [
            r["config_id"],
            *[_level(r[f]) for f in varied],
            r["n"],
            _percent(r["collapse_rate"]),
            style.format_number(r["median_rel_output_std"]),
            r["ok"],
            r["diverged"],
            r["error"],
        ]
        for _, r in table.iterrows()
    ]
    headers = [
        "configuration",
        *[style.display_name(f) for f in varied],
        "networks",
        "collapse rate",
        "median output spread / target spread",
        "ok",
        "diverged",
        "failed",
    ]
    return (
        '<h2>Per-configuration results</h2>\n<div class="scroll">'
        + _table(headers, rows, text_columns=tuple(range(1 + len(varied))))
        + "</div>"
    )


def _errors_section(df):
    failed = df[(df["status"].astype("string") == "error").fillna(False)]
    if failed.empty:
        return ""
    rows = [
        [r["config_id"], r["replicate"], r["error"]]
        for _, r in failed.fillna({"error": ""}).iterrows()
    ]
    return (
        '<h2>Failed runs</h2>\n<div class="scroll">'
        + _table(["configuration", "replicate", "error"], rows, text_columns=(0, 2))
        + "</div>"
    )


def _flag_rows(rows, value):
    """Rows counted as collapsed (value 1.0) or healthy (0.0)."""
    flags = aggregate.collapse_flags(rows).to_numpy(dtype=float)
    return rows[flags == value]


def _typical_pair(claim, cause, control):
    """A typical network of the cause and one of the control, for the training curves.

    Cause: the typical collapsed cause network; the typical cause network when none collapsed.
    Control: the typical healthy control network, at the same level of the claim's `by`
    column as the cause network when there is one there; the typical control network when
    none is healthy. Typical: `aggregate.typical_run` (median final rel_output_std).

    Returns:
        List of (group, label, row): group 'cause' or 'control', label for the legend.
    """
    picks = []
    by = claim["by"]
    cause_pool = _flag_rows(cause, 1.0)
    if cause_pool.empty:
        cause_pool = _counted(cause)
    cause_row = aggregate.typical_run(cause_pool)
    control_pool = _flag_rows(control, 0.0)
    if by and cause_row is not None:
        same = control_pool[claims.select(control_pool,
                                          {name: _plain(cause_row[name]) for name in by})]
        control_pool = same if len(same) else control_pool
    if control_pool.empty:
        control_pool = _counted(control)
    control_row = aggregate.typical_run(control_pool)
    for group, row in (("cause", cause_row), ("control", control_row)):
        if row is not None:
            picks.append((group, _network_label(group, row, by), row))
    return picks


def _plain(value):
    return None if pd.isna(value) else value


def _counted(rows):
    """Rows whose collapse is known (not failed)."""
    return rows[aggregate.collapse_flags(rows).notna().to_numpy(dtype=bool)]


def _network_label(group, row, by):
    """'collapsed cause network (dataset = digits, replicate 1)'."""
    collapsed = not pd.isna(row["collapsed"]) and bool(row["collapsed"])
    where = "".join(f"{name} = {_level(row[name])}, " for name in by)
    state = "collapsed" if collapsed else "healthy"
    return f"{state} {group} network ({where}replicate {row['replicate']})"


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text))


def _threshold_section(df, figures):
    """How the sweep's collapse rate depends on the collapse threshold."""
    curve = aggregate.threshold_curve(df)
    if curve["n"].max() == 0:
        return ""
    fig = plots.threshold_curve(curve)
    rows = [[f"{t:g}", f"{int(k)}/{int(n)}", _percent(r), _interval(lo, hi)]
            for t, k, n, r, lo, hi in curve[["threshold", "collapsed", "n", "rate", "ci_low",
                                             "ci_high"]].itertuples(index=False)]
    return (
        "<h2>How the collapse rate depends on the threshold</h2>\n"
        "<p>A network counts as collapsed when its outputs are finite and its output spread / "
        "target spread is below the threshold (collapse_threshold, 0.01 unless the sweep set "
        "another). Recomputed here "
        "from the stored spreads for other thresholds, over the networks that did not fail "
        "(diverged ones count as not collapsed); intervals are exact 95% intervals.</p>\n"
        + '<div class="figures">' + figures.add(
            fig, "threshold", "collapse rate against the collapse threshold",
            "Collapse rate of the whole sweep when the threshold changes (log scale).")
        + "</div>\n" + _table(["threshold", "collapsed", "rate", "95% CI"], rows)
    )


def _onset_row(name, rows):
    onset = aggregate.collapse_onset(rows)
    if not onset["collapsed"]:
        return [name, 0, "\u2014", "\u2014", "\u2014"]
    return [
        name,
        onset["collapsed"],
        f"{onset['at_init']} ({_percent(onset['share_at_init'])})",
        f"{onset['during_training']} ({_percent(onset['share_during_training'])})",
        onset["unknown"],
    ]


def onset_sentence(onset):
    """'Of 49 collapsed networks, 25 (51%) were already collapsed at initialization and 24
    (49%) became collapsed during training.' from `aggregate.collapse_onset`."""
    if not onset["collapsed"]:
        return "No network collapsed."
    text = (
        f"Of {onset['collapsed']} collapsed network{'s' if onset['collapsed'] != 1 else ''}, "
        f"{onset['at_init']} ({_percent(onset['share_at_init'])}) "
        f"{'was' if onset['at_init'] == 1 else 'were'} already collapsed at initialization and "
        f"{onset['during_training']} ({_percent(onset['share_during_training'])}) became "
        "collapsed during training."
    )
    if onset["unknown"]:
        text += f" For {onset['unknown']} it is not known (no value at initialization)."
    return text


def _onset_section(df, checked, groups):
    """Where collapse happens: at initialization or during training, per claim's cause."""
    rows = [_onset_row(claim["text"], groups[claim["id"]][0]) for claim in checked]
    rows.append(_onset_row("all networks of the sweep", df))
    headers = [
        "cause rows of the claim" if checked else "networks",
        "collapsed",
        "already collapsed at initialization",
        "became collapsed during training",
        "unknown",
    ]
    return (
        "<h2>Where collapse happens</h2>\n"
        f'<p id="onset">{html.escape(onset_sentence(aggregate.collapse_onset(df)))} '
        "Already collapsed at initialization: the network's output spread / target spread "
        "was below the threshold before any training (collapsed_init); diverged networks "
        "are not counted as collapsed.</p>\n" + _table(headers, rows, text_columns=(0,))
    )


def _curves_section(checked, groups, history, figures):
    parts = [
        "<h2>Training curves</h2>",
        "<p>For each claim, the per-epoch history (epoch 0 = at initialization) of a typical "
        "collapsed network of the cause (red) and a typical healthy network of the control "
        "(blue), at the same level of the claim's 'by' column: the network whose final output "
        "spread / target spread is the median of its group (the lower middle one for an even "
        "count). When no cause network collapsed (or no control network stayed healthy), the "
        "typical network of that group is drawn instead, and its label says so.</p>",
    ]
    for claim in checked:
        cause, control = groups[claim["id"]]
        picks = _typical_pair(claim, cause, control)
        parts.append(f"<h3>{html.escape(claim['text'])}</h3>")
        frames = [
            aggregate.run_history(history, row["config_id"], row["replicate"]).assign(
                network=label, role=group
            )
            for group, label, row in picks
        ]
        curves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if not picks:
            parts.append("<p>No network of this claim finished training.</p>")
            continue
        if curves.empty:
            parts.append("<p>No history was recorded for these networks.</p>")
            continue
        absent = [label for _, label, _ in picks if not (curves["network"] == label).any()]
        if absent:
            parts.append(f"<p>No history was recorded for: {html.escape('; '.join(absent))}.</p>")
        fig = plots.training_curves(curves)
        drawn = curves.drop_duplicates("network")
        caption = (
            "; ".join(
                f"{CURVE_COLOR_NAMES[role]}: {label}"
                for label, role in zip(drawn["network"], drawn["role"], strict=True)
            )
            + ". Epoch 0 is the network at initialization; a missing point is a non-finite value."
        )
        parts.append(
            '<div class="figures">'
            + figures.add(
                fig,
                f"curves_{_safe_name(claim['id'])}",
                f"training curves: {claim['text']}",
                caption,
                wide=True,
            )
            + "</div>"
        )
    return "\n".join(parts)


def _evaluate_claims(df, raw_claims, rule=None, explore=None):
    """(claims table, checked claims, id -> (cause, control)), or an error text.

    `explore`: (runs, claims, rule) of the exploration sweep this one confirms: the table is
    then the exploration's with this sweep's verdicts as the confirmation.
    """
    try:
        checked = [claims.check_claim(c, df.columns) for c in raw_claims]
        table = claims.claims_table(df, raw_claims, **(rule or {}))
        if explore is not None:
            explored = claims.claims_table(explore[0], explore[1], **explore[2])
            table = claims.with_confirmation(explored, table)
        else:
            table = claims.with_confirmation(table, None)
    except ValueError as exc:
        return None, [], {}, str(exc)
    checked = [c for c in checked if c["kind"] != claims.TUNING]
    groups = {c["id"]: claims.claim_groups(df, c) for c in checked}
    return table, checked, groups, ""


def _exploration(sweep):
    """(runs, claims, rule) of the exploration a confirmation sweep names, or None (with a
    line on stderr when it names one that cannot be read)."""
    folder = load_confirms(sweep)
    if folder is None:
        return None
    try:
        return load_runs(folder), load_claims(folder), load_rule(folder)
    except (FileNotFoundError, ValueError) as exc:
        print(f"collapse-lab: the exploration {folder} this sweep confirms cannot be read "
              f"({exc}); this sweep's verdicts are shown alone. Run python run.py -m "
              "experiment=seed_claims first, or python -m analysis.report "
              f"{sweep} once it exists", file=sys.stderr)
        return None


def build_html(df, sweep_name, figures, claim_list=(), history=None, evaluated=None):
    """The report's HTML for a runs frame; figures are saved through `figures`.

    Args:
        df: Runs frame.
        sweep_name: Shown in the title.
        figures: A `FigureWriter` that saves and embeds each figure.
        claim_list: Claim dicts (from `load.load_claims`); a claims section comes first when
            there are any.
        history: Long-form history frame (from `load.load_history`) for the training curves.
        evaluated: `_evaluate_claims(df, claim_list)` when the caller has it already.
    """
    varied = aggregate.varied_factors(df)
    ranking = aggregate.factor_ranking(df, varied)
    stats = aggregate.summary(df)
    title = f"Collapse report: {sweep_name}"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{len(varied)} varied factor{"s" if len(varied) != 1 else ""}: '
        f"{html.escape(', '.join(style.display_name(f) for f in varied) or 'none')}.</p>",
    ]
    if evaluated is None:
        evaluated = _evaluate_claims(df, list(claim_list))
    table, checked, groups, problem = evaluated
    if problem:
        parts.append(
            '<section id="claims"><h2>Claims: what the measurements say</h2>'
            f"<p>The claims of this sweep could not be evaluated: {html.escape(problem)}</p>"
            "</section>"
        )
    elif checked:
        parts.append(claims_report.claims_section(table, figures))
    parts.append(reproduction.section(df, figures))  # theory presets; "" for other sweeps
    parts += [
        "<h2>Summary</h2>",
        f'<p id="summary">{html.escape(summary_text(stats))}</p>',
        "<p>A network is <em>collapsed</em> when it gives (nearly) the same output for every "
        "input: its output spread / target spread (rel_output_std, the standard deviation of "
        "its outputs across inputs relative to that of the targets) is below the configured "
        "threshold while its outputs are finite. A diverged network (non-finite loss or outputs) "
        "is an outcome of its own and is not counted as collapsed. Failed runs (status "
        "'error') are left out of every rate.</p>",
    ]
    if varied:
        parts.append(_ranking_section(df, ranking, figures))
    if len(varied) >= 2:
        parts.append(_pairs_section(df, ranking, figures))
    elif len(varied) == 1:
        parts.append(_single_factor_section(df, varied[0], figures))
    else:
        parts.append(_single_config_section(df))
    parts.append(baselines.section(df))
    parts.append(_threshold_section(df, figures))
    parts.append(_onset_section(df, checked, groups))
    if checked and history is not None and not history.empty:
        parts.append(_curves_section(checked, groups, history, figures))
    parts += [_fixed_section(df, varied), _config_section(df, varied), _errors_section(df)]
    body = "\n".join(p for p in parts if p)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n"
        f"<script>{IMAGE_CHECK_SCRIPT}</script>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_report(sweep_dir, runs=None):
    """Write `<sweep_dir>/report.html` and its figures as PNG files in `<sweep_dir>/figures/`.

    The claims of `<sweep_dir>/multirun.yaml` (if any) are tested first and also written as
    `<sweep_dir>/claims.csv`; the history folder (if any) gives the training curves.

    Args:
        sweep_dir: The sweep folder (holding runs/*.parquet).
        runs: Its runs frame, when the caller has already loaded it.

    Returns:
        Path of report.html.

    Raises:
        FileNotFoundError: The folder has no runs folder or no readable runs file.
    """
    sweep = Path(sweep_dir)
    df = load_runs(sweep) if runs is None else runs
    history = load_history(sweep)
    claim_list = load_claims(sweep)
    figures = FigureWriter(sweep / FIGURE_DIR)
    rule = load_rule(sweep) if claim_list else {}
    explore = _exploration(sweep) if claim_list else None
    evaluated = _evaluate_claims(df, claim_list, rule, explore)
    if evaluated[0] is not None and len(evaluated[0]):
        claims_report.write_claims_csv(evaluated[0], sweep)
    text = figures.fill(build_html(df, sweep.resolve().name, figures, claim_list, history,
                                   evaluated))
    from experiments.storage import atomic

    path = atomic.write_text(sweep / REPORT_NAME, text)  # never half written
    figures.remove_stale()
    return path


def main(argv=None):
    """Command line: write the report of one sweep folder and print its path."""
    parser = argparse.ArgumentParser(prog="python -m analysis.report", description=__doc__)
    parser.add_argument("sweep_dir", help="sweep folder holding runs/*.parquet")
    args = parser.parse_args(argv)
    sweep = Path(args.sweep_dir)
    if not sweep.is_dir():
        print(f"error: sweep folder not found: {sweep}", file=sys.stderr)
        return 2
    try:
        path = write_report(sweep)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk: one line, the rows are only ever read
        print(f"error: {exc}; the rows in {sweep / 'runs'} are untouched: free space and "
              "run this command again", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
