"""The claims section of a sweep's report, and claims.csv beside it.

The section opens with one forest plot (every claim's pooled paired effect with its interval,
coloured by verdict, the exploration and the confirmation run side by side), then one folded
block per claim: its verdict in both runs, which levels hold what, and the per-level table
(rates, the paired effect with the interval the verdict used, the Holm-adjusted p, the
secondary outcome, collapse rates at several thresholds, the mechanism). Every number comes
from `analysis.claims.claims_table` (and `claims.with_confirmation`).
"""

import html
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis import claims, outcomes, style

CSV_NAME = "claims.csv"

CSS = """
details.claim { border-top: 2px solid #bbb; padding: 0.3rem 0; }
details.claim > summary { cursor: pointer; font-size: 0.9rem; }
table.claims { width: 100%; font-size: 0.8rem; margin: 0.4rem 0 0.8rem; }
table.claims td { vertical-align: top; }
.sub, .reason { color: #555; font-size: 0.76rem; font-weight: normal; }
span.verdict, span.level-verdict { font-weight: 600; white-space: nowrap; padding: 0 0.3rem; }
span.ci { white-space: nowrap; font-size: 0.78rem; }
p.rule { font-size: 0.86rem; color: #333; background: #f6f6f6; padding: 0.6rem 0.8rem; }
""" + "".join(
    f".v-{word.replace(' ', '-')} {{ background: {color}; }}\n"
    for word, color in style.VERDICT_COLORS.items()
)

HEADERS = ["level", "cause: rate", "control: rate", "paired effect (cause - control)",
           "verdict: exploration", "confirmation", "secondary outcome",
           "collapse rate at spread < 0.001 / 0.01 / 0.05 / 0.1", "mechanism"]


def _finite(value):
    try:
        return value is not None and not pd.isna(value) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _interval(low, high, signed=False, digits=0):
    if not (_finite(low) and _finite(high)):
        return "[n/a]"
    fmt = f"{{:+.{digits}%}}" if signed else f"{{:.{digits}%}}"
    return f"[{fmt.format(low)}, {fmt.format(high)}]"


def _word(word, tag="span", cls="verdict"):
    word = str(word)
    return f'<{tag} class="{cls} v-{word.replace(" ", "-")}">{html.escape(word)}</{tag}>'


def _rate_cell(r, arm):
    n = r[f"n_{arm}"]
    if not _finite(n) or not n:
        return "no rows"
    lines = [
        f"<strong>{style.format_rate(r[f'rate_{arm}'])}</strong>",
        f'<span class="ci">{_interval(r[f"rate_{arm}_low"], r[f"rate_{arm}_high"])}</span>',
        f'<span class="sub">{int(n)} network{"s" if n != 1 else ""}</span>',
    ]
    diverged = r[f"diverged_{arm}"]
    if r["outcome"] != "diverged" and _finite(diverged) and diverged > 0:
        lines.append(f'<span class="sub">{style.format_rate(diverged)} diverged</span>')
    return "<br>".join(lines)


def _effect_cell(r):
    if not _finite(r["effect"]):
        return "no pairs"
    lines = [f"<strong>{r['effect']:+.0%}</strong>"]
    if _finite(r["effect_low"]):
        level = (f"{r['interval_confidence']:.4%} (Holm)" if _finite(r["interval_confidence"])
                 else "")
        lines.append(f'<span class="ci">{_interval(r["effect_low"], r["effect_high"], True)}'
                     f"</span> <span class=\"sub\">{level}</span>")
    sub = f"{int(r['n_pairs'])} pairs"
    if _finite(r["p_holm"]):
        sub += f"; p = {r['p_holm']:.2g} (Holm)"
    lines.append(f'<span class="sub">{html.escape(sub)}</span>')
    return "<br>".join(lines)


def _level_cell(r):
    word = r["level_verdict"]
    text = _word(word, cls="level-verdict")
    if word == claims.INCONCLUSIVE and _finite(r["pairs_needed"]):
        text += f'<br><span class="sub">~{int(r["pairs_needed"])} pairs would resolve it</span>'
    if r["level_reason"]:
        text += f'<br><span class="sub">{html.escape(r["level_reason"])}</span>'
    return text


def _confirm_cell(r):
    word = r.get("confirm_level_verdict", claims.NOT_RUN)
    text = _word(word, cls="level-verdict")
    if _finite(r.get("confirm_effect")):
        text += (f"<br>{r['confirm_effect']:+.0%} "
                 f'<span class="ci">{_interval(r["confirm_low"], r["confirm_high"], True)}</span>')
    return text


def _secondary_cell(r):
    name = r["secondary"]
    if not isinstance(name, str) or not _finite(r["secondary_cause"]):
        return "\u2014"
    label = style.display_name(name)
    text = f"{html.escape(label)}: {r['secondary_cause']:.3g} vs {r['secondary_control']:.3g}"
    if _finite(r["secondary_difference"]):
        text += (f'<br><span class="sub">paired mean difference '
                 f"{r['secondary_difference']:+.3f} "
                 f"[{r['secondary_low']:+.3f}, {r['secondary_high']:+.3f}]</span>")
    return text


def _thresholds_cell(r):
    parts = []
    for arm in ("cause", "control"):
        values = [r.get(f"collapse_{arm}_{t:g}") for t in outcomes.THRESHOLDS]
        shown = " / ".join(f"{v:.0%}" if _finite(v) else "n/a" for v in values)
        parts.append(f"{arm}: {shown}")
    return "<br>".join(f'<span class="sub">{p}</span>' for p in parts)


def _distinct(a, b):
    """Both numbers with the fewest significant digits (3 to 6) that tell them apart."""
    for digits in range(3, 7):
        left, right = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if left != right:
            break
    return left, right


def _mechanism_cell(r):
    if not isinstance(r["mechanism"], str) or not r["mechanism"]:
        return "\u2014"
    parts = []
    if _finite(r["mechanism_cause"]) and _finite(r["mechanism_control"]):
        cause, control = _distinct(r["mechanism_cause"], r["mechanism_control"])
        parts.append(f"{cause} vs {control}")
    parts.append(f'<span class="sub">{html.escape(r["mechanism_verdict"] or "no data")}</span>')
    if _finite(r["mechanism_nonfinite"]) and r["mechanism_nonfinite"] > 0:
        parts.append(f'<span class="sub">{int(r["mechanism_nonfinite"])} non-finite values '
                     "(e.g. every unit dead)</span>")
    return "<br>".join(parts)


def _level_rows(block):
    rows = []
    for _, r in block.iterrows():
        cells = [html.escape(r["level_text"] or "all"), _rate_cell(r, "cause"),
                 _rate_cell(r, "control"), _effect_cell(r), _level_cell(r), _confirm_cell(r),
                 _secondary_cell(r), _thresholds_cell(r), _mechanism_cell(r)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    return (f'<table class="claims"><thead><tr>{head}</tr></thead><tbody>\n'
            + "\n".join(rows) + "\n</tbody></table>")


def _claim_block(block, tuned):
    r = block.iloc[0]
    e = html.escape
    summary = (f"<summary><strong>{e(r['text'])}</strong> {_word(r['verdict'])} "
               f"{_word(r.get('confirm_verdict', claims.NOT_RUN))}"
               + (" <em>settled</em>" if bool(r.get("settled")) else "") + "</summary>")
    if r["verdict"] == claims.DROPPED:
        return f'<details class="claim">{summary}<p>{e(r["reason"])}</p></details>'
    lines = [f'<p class="sub">claim id <code>{e(r["claim"])}</code>; exploration, then '
             "confirmation verdict"]
    if r["kind"] == claims.DIAGNOSTIC:
        lines.append(f"; flagged: {e(r['cause_text'])}. Scored against collapsed on "
                     f"{int(r['n_cause'] + r['n_control'])} distinct networks: "
                     f"{e(r['reason'])}</p>")
        return f'<details class="claim">{summary}{"".join(lines)}</details>'
    lines.append(f". Cause: {e(r['cause_text'])}; control: {e(r['control_text'])}; outcome: "
                 f"{e(style.display_name(r['outcome']))}")
    if isinstance(r["mechanism"], str) and r["mechanism"]:
        lines.append(f"; mechanism: {e(style.display_name(r['mechanism']))} "
                     f"({e(r['mechanism_direction'])} with the cause)")
    if _finite(r["n_excluded"]) and r["n_excluded"]:
        lines.append(f"; {int(r['n_excluded'])} networks set apart (born dead)")
    lines.append(f".<br>Levels: {e(str(r['verdict_counts']))}. {e(str(r['reason']))}</p>")
    if tuned:
        lines.append(f'<p class="sub">tuned control: {e(tuned)}</p>')
    return (f'<details class="claim">{summary}{"".join(lines)}{_level_rows(block)}'
            "</details>")


def forest_figure(table):
    """One row per tested claim: pooled paired effect with its 95% interval, exploration
    (circle) and confirmation (square), coloured by each run's claim verdict."""
    first = table[(table["kind"] == claims.CONTRAST) & (table["verdict"] != claims.DROPPED)]
    first = first.drop_duplicates("claim")
    n = max(len(first), 1)
    fig, ax = plt.subplots(figsize=(9, 0.34 * n + 1.4), layout="constrained")
    margin = table.attrs.get("rule", {}).get("margin", claims.verdicts.MARGIN)
    ax.axvspan(-margin, margin, color="#edf2f7", zorder=0, label=f"\u00b1{margin:.0%} margin")
    ax.axvline(0, color="#718096", linewidth=0.8)
    y = np.arange(len(first))[::-1]
    for offset, prefix, verdict_col, marker in ((0.17, "pooled", "verdict", "o"),
                                                (-0.17, "confirm_pooled", "confirm_verdict", "s")):
        effect = pd.to_numeric(first.get(f"{prefix}_effect"), errors="coerce")
        if effect is None or effect.isna().all():
            continue
        low = pd.to_numeric(first[f"{prefix}_low"], errors="coerce").to_numpy()
        high = pd.to_numeric(first[f"{prefix}_high"], errors="coerce").to_numpy()
        colors = [style.VERDICT_MARKERS.get(v, "#a0aec0") for v in first[verdict_col]]
        values = effect.to_numpy()
        ax.hlines(y + offset, low, high, colors=colors, linewidth=1.6)
        ax.scatter(values, y + offset, c=colors, marker=marker, s=28, zorder=3)
    ax.set_yticks(y, [f"{cid}" for cid in first["claim"]], fontsize=8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("pooled paired effect: cause rate - control rate (95% interval)")
    shown = set(first["verdict"]) | set(first.get("confirm_verdict", []))
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=w)
               for w, c in style.VERDICT_MARKERS.items() if w in shown]
    handles += [plt.Line2D([], [], marker=m, linestyle="", color="#a0aec0", label=label)
                for m, label in (("o", "exploration"), ("s", "confirmation"))]
    ax.legend(handles=handles, fontsize=7, loc="lower right", ncol=2)
    return fig


def _counts(words):
    words = list(words)
    return ", ".join(f"{words.count(w)} {w}" for w in (*claims.VERDICTS, claims.NOT_RUN)
                     if w in words)


def claims_section(table, figures=None):
    """The report's first section: verdict counts, the forest plot, one block per claim and
    the rule.

    Args:
        table: `claims.with_confirmation(claims.claims_table(...), confirm)` (a plain
            claims_table is shown as an exploration without confirmation).
        figures: A FigureWriter for the forest plot (None: no plot).
    """
    if "confirm_verdict" not in table:
        table = claims.with_confirmation(table, None)
    first = table.drop_duplicates("claim")
    rule = table.attrs.get("rule", {})
    tuned = table.attrs.get("tuned", {})
    tested = table[~table["verdict"].isin([claims.DROPPED, claims.DIAGNOSTIC_WORD])]
    settled = int(first["settled"].sum())
    parts = [
        '<section id="claims">',
        "<h2>Claims: what the measurements say</h2>",
        f"<p>{len(first)} claims. Exploration: {html.escape(_counts(first['verdict']))}. "
        f"Confirmation: {html.escape(_counts(first['confirm_verdict']))}. {settled} settled "
        "(the same verdict in both runs, level by level for a mixed one). "
        f"{int(tested['n_cause'].sum() + tested['n_control'].sum())} network results over "
        f"{len(tested)} levels (a control arm shared by several levels is counted at each). "
        "Every number and verdict is computed from the rows and is also in "
        f"<code>{CSV_NAME}</code>.</p>",
    ]
    if figures is not None and len(tested):
        fig = forest_figure(table)
        parts.append('<div class="figures">' + figures.add(
            fig, "claims_forest", "forest plot of every claim's paired effect",
            "Each claim's levels pooled (descriptive: the verdict comes from the levels). "
            "Circle: exploration; square: confirmation; colour: that run's verdict; grey band: "
            "the equivalence margin.", wide=True) + "</div>")
    confirm_tuned = table.attrs.get("confirm_tuned", {})
    parts.append('<div id="claims-table">')
    for cid, block in table.groupby("claim", sort=False):
        text = tuned.get(cid, "")
        if confirm_tuned.get(cid) and confirm_tuned[cid] != text:
            text += f"; in the confirmation: {confirm_tuned[cid]}"
        parts.append(_claim_block(block, text))
    parts.append("</div>")
    parts.append(f'<p class="rule" id="verdict-rule">'
                 f"{html.escape(claims.rule_description(**rule))}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def write_claims_csv(table, folder):
    """Write `<folder>/claims.csv`: one row per claim and level (claims.CSV_COLUMNS), whole
    or not at all (experiments.storage.atomic)."""
    from experiments.storage import atomic

    if "confirm_verdict" not in table:
        table = claims.with_confirmation(table, None)
    return atomic.write_atomic(Path(folder) / CSV_NAME,
                               lambda tmp: table[claims.CSV_COLUMNS].to_csv(tmp, index=False))


def _md_rate(r, arm):
    return (f"{style.format_rate(r[f'rate_{arm}'])} "
            f"{_interval(r[f'rate_{arm}_low'], r[f'rate_{arm}_high'])}")


def markdown_levels(table):
    """The claims table as Markdown, one row per claim and level (for docs)."""
    if "confirm_verdict" not in table:
        table = claims.with_confirmation(table, None)
    lines = ["| claim | level | outcome | pairs | cause | control | effect [interval] | "
             "p (Holm) | exploration | confirmation | secondary (paired difference) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for _, block in table.groupby("claim", sort=False):
        for i, (_, r) in enumerate(block.iterrows()):
            first = i == 0
            if r["verdict"] in (claims.DROPPED, claims.DIAGNOSTIC_WORD):
                lines.append(f"| {r['claim']} | | | | | | | | {r['verdict']} | | {r['reason']} |")
                continue
            effect = (f"{r['effect']:+.0%} {_interval(r['effect_low'], r['effect_high'], True)}"
                      if _finite(r["effect"]) else "n/a")
            p = f"{r['p_holm']:.2g}" if _finite(r["p_holm"]) else ""
            level = r["level_verdict"]
            if level == claims.INCONCLUSIVE and _finite(r["pairs_needed"]):
                level += f" (~{int(r['pairs_needed'])} pairs)"
            if r["level_reason"]:
                level += f" ({r['level_reason']})"
            second = ""
            if _finite(r["secondary_difference"]):
                second = (f"{r['secondary']}: {r['secondary_difference']:+.3f} "
                          f"[{r['secondary_low']:+.3f}, {r['secondary_high']:+.3f}]")
            pairs = int(r["n_pairs"]) if _finite(r["n_pairs"]) else 0
            lines.append(
                f"| {r['claim'] if first else ''} | {r['level_text'] or 'all'} | "
                f"{r['outcome'] if first else ''} | {pairs} | {_md_rate(r, 'cause')} | "
                f"{_md_rate(r, 'control')} | {effect} | {p} | {level} | "
                f"{r['confirm_level_verdict']} | {second} |")
    return "\n".join(lines) + "\n"


def markdown_summary(table):
    """One Markdown row per claim: outcome, level verdict counts, pooled effect, verdicts."""
    if "confirm_verdict" not in table:
        table = claims.with_confirmation(table, None)
    lines = ["| claim | outcome | levels | pooled effect [95%] | exploration | confirmation | "
             "settled |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for _, block in table.groupby("claim", sort=False):
        r = block.iloc[0]
        if r["verdict"] in (claims.DROPPED, claims.DIAGNOSTIC_WORD):
            lines.append(f"| {r['text']} | | | | {r['verdict']}: {r['reason']} | | |")
            continue
        effect = (f"{r['pooled_effect']:+.0%} "
                  f"{_interval(r['pooled_low'], r['pooled_high'], True)}"
                  if _finite(r["pooled_effect"]) else "n/a")
        lines.append(f"| {r['text']} | {r['outcome']} | {r['verdict_counts']} | {effect} | "
                     f"**{r['verdict']}** | **{r['confirm_verdict']}** | "
                     f"{'yes' if r['settled'] else 'no'} |")
    return "\n".join(lines) + "\n"


def sweep_table(sweep):
    """The claims table of a sweep folder as its report shows it: a confirmation sweep's
    (preset key `confirms`) beside the exploration it confirms."""
    from analysis.load import load_claims, load_confirms, load_rule, load_runs

    table = claims.claims_table(load_runs(sweep), load_claims(sweep), **load_rule(sweep))
    explore = load_confirms(sweep)
    if explore is None:
        return claims.with_confirmation(table, None)
    explored = claims.claims_table(load_runs(explore), load_claims(explore),
                                   **load_rule(explore))
    return claims.with_confirmation(explored, table)


def main(argv=None):
    """Command line: write a sweep's claims tables as Markdown (for docs/claims.md)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m analysis.claims_report",
                                     description=main.__doc__)
    parser.add_argument("sweep_dir", help="a claims sweep (a confirmation sweep shows both runs)")
    parser.add_argument("--levels", type=Path, help="write the per-level table here")
    parser.add_argument("--csv", type=Path, help="write claims.csv here")
    args = parser.parse_args(argv)
    table = sweep_table(args.sweep_dir)
    if args.levels:
        args.levels.write_text(markdown_levels(table), encoding="utf-8")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        table[claims.CSV_COLUMNS].to_csv(args.csv, index=False)
    sys.stdout.write(markdown_summary(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
