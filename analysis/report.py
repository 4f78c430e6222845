"""Write a self-contained HTML report of one sweep: which factors make networks collapse.

Output: `<sweep>/report.html` (figures embedded as base64 PNG, opens from disk) and the same
figures as PNG files in `<sweep>/figures/`. The runs files are only read.

Example:
    python -m analysis.report results/2024-05-01/12-00-00
"""

import argparse
import base64
import html
import io
import itertools
import os
import sys
from pathlib import Path

from analysis import aggregate, plots, style
from analysis.load import load_runs

FIGURE_DIR = "figures"
REPORT_NAME = "report.html"
HEATMAP_VALUES = ["collapse_rate", "median_rel_output_std"]

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
"""


def _table(headers, rows, text_columns=()):
    """HTML table; every header and cell is escaped.

    Args:
        headers: Column titles.
        rows: Lists of already formatted cell strings.
        text_columns: Indices of left-aligned (text) columns.
    """

    def cell(tag, i, value):
        css = ' class="text"' if i in text_columns else ""
        return f"<{tag}{css}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


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


class FigureWriter:
    """Saves figures as PNG files and returns their HTML, embedded as base64."""

    def __init__(self, folder):
        self.folder = folder
        self.paths = []
        folder.mkdir(parents=True, exist_ok=True)
        # Figures of an earlier report of this sweep may belong to factors no longer varied.
        for stale in [*folder.glob("heatmap_*.png"), *folder.glob("bars_*.png")]:
            stale.unlink()

    def add(self, fig, name, alt, caption):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=style.DPI, bbox_inches="tight")
        plots.plt.close(fig)
        data = buffer.getvalue()
        path = self.folder / f"{name}.png"
        path.write_bytes(data)
        self.paths.append(path)
        encoded = base64.b64encode(data).decode("ascii")
        return (
            f'<figure><img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )


def _level(value):
    return style.format_level(value)


def _ranking_section(ranking):
    rows = [
        [
            style.display_name(r.factor),
            style.format_number(r.effect),
            _level(r.highest_level),
            _percent(r.highest_rate),
            _level(r.lowest_level),
            _percent(r.lowest_rate),
            r.n_levels,
        ]
        for r in ranking.itertuples()
    ]
    headers = [
        "factor",
        "effect (max - min collapse rate)",
        "worst level",
        "its rate",
        "best level",
        "its rate",
        "levels",
    ]
    return (
        "<h2>Which factors matter</h2>\n"
        "<p>Effect: the largest minus the smallest collapse rate over a factor's levels, each "
        "level pooled over all other factors.</p>\n" + _table(headers, rows, text_columns=(0, 2, 4))
    )


def _pair_order(df, ranking):
    """Pairs of varied factors (row factor, column factor, cells), strongest effect first.

    A pair's strength is the spread (max - min) of the collapse rate over its cells; ties go to
    the pair of higher-ranked factors. The factor with longer level labels goes on the rows.
    """
    factors = list(ranking["factor"])
    effects = dict(zip(ranking["factor"], ranking["effect"].fillna(0.0), strict=True))
    pairs = []
    for a, b in itertools.combinations(factors, 2):
        width_a = max(len(_level(v)) for v in df[a].drop_duplicates())
        width_b = max(len(_level(v)) for v in df[b].drop_duplicates())
        row, col = (b, a) if width_b > width_a else (a, b)
        cells = aggregate.cell_table(df, row, col)
        strength = aggregate.pair_effect(cells)
        strength = -1.0 if strength != strength else strength  # NaN last
        pairs.append((-strength, -(effects[a] + effects[b]), row, col, cells))
    pairs.sort(key=lambda p: (p[0], p[1]))
    return [(row, col, cells) for _, _, row, col, cells in pairs]


def _pairs_section(df, ranking, figures):
    parts = [
        "<h2>Factor pairs</h2>",
        "<p>For each pair of varied factors, networks pooled over all other factors. First: share "
        "of collapsed networks; second: median output spread / target spread (0 means the same "
        f"output for every input). {style.DIVERGED_MARK} marks cells where some networks "
        "diverged; grey cells have no value (no runs, all failed, or all diverged). Pairs are "
        "ordered by the spread of the collapse rate across their cells, largest first.</p>",
    ]
    for row, col, cells in _pair_order(df, ranking):
        title = f"{style.display_name(row)} \u00d7 {style.display_name(col)}"
        parts.append(f'<h3>{html.escape(title)}</h3>\n<div class="figures">')
        for value in HEATMAP_VALUES:
            fig = plots.collapse_heatmap(cells, row, col, value=value)
            caption = f"{style.display_name(value)} by {title}."
            parts.append(
                figures.add(
                    fig,
                    f"heatmap_{row}__{col}__{value}",
                    f"{style.display_name(value)}: {title}",
                    caption,
                )
            )
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
    "95% bootstrap interval",
    "median output spread / target spread",
    "diverged",
    "failed",
]


def _single_factor_section(df, factor, figures):
    marginal = aggregate.marginal_table(df, factor)
    name = style.display_name(factor)
    fig = plots.factor_bars(marginal, factor)
    caption = (
        f"Collapse rate per {name}; error bars: 95% percentile bootstrap interval over "
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


def build_html(df, sweep_name, figures):
    """The report's HTML for a runs frame; figures are saved through `figures`.

    Args:
        df: Runs frame.
        sweep_name: Shown in the title.
        figures: A `FigureWriter` that saves and embeds each figure.
    """
    varied = aggregate.varied_factors(df)
    ranking = aggregate.factor_ranking(df, varied)
    stats = aggregate.summary(df)
    title = f"Collapse report: {sweep_name}"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{len(varied)} varied factor{"s" if len(varied) != 1 else ""}: '
        f"{html.escape(', '.join(style.display_name(f) for f in varied) or 'none')}.</p>",
        "<h2>Summary</h2>",
        f'<p id="summary">{html.escape(summary_text(stats))}</p>',
        "<p>A network is <em>collapsed</em> when it gives (nearly) the same output for every "
        "input: its output spread / target spread (rel_output_std, the standard deviation of "
        "its outputs across inputs relative to that of the targets) is below the configured "
        "threshold, or training diverged. Failed runs (status 'error') are left out of every "
        "rate.</p>",
    ]
    if len(varied) >= 2:
        parts += [_ranking_section(ranking), _pairs_section(df, ranking, figures)]
    elif len(varied) == 1:
        parts += [_ranking_section(ranking), _single_factor_section(df, varied[0], figures)]
    else:
        parts.append(_single_config_section(df))
    parts += [_fixed_section(df, varied), _config_section(df, varied), _errors_section(df)]
    body = "\n".join(p for p in parts if p)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_report(sweep_dir):
    """Write `<sweep_dir>/report.html` and its figures as PNG files in `<sweep_dir>/figures/`.

    Args:
        sweep_dir: The sweep folder (holding runs/*.parquet).

    Returns:
        Path of report.html.

    Raises:
        FileNotFoundError: The folder has no runs folder or no readable runs file.
    """
    sweep = Path(sweep_dir)
    df = load_runs(sweep)
    figures = FigureWriter(sweep / FIGURE_DIR)
    text = build_html(df, sweep.resolve().name, figures)
    target = sweep / REPORT_NAME
    partial = sweep / f".{REPORT_NAME}.tmp"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)  # a reader never sees a half-written report
    return target


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
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
