"""The claims section of a sweep's report, and claims.csv beside it.

One block of rows per claim, one row per level: the outcome the claim predicts, networks per
arm and pairs, exact rate intervals, the paired effect with its interval and Holm-corrected p,
the level's verdict (with the pairs that would resolve an inconclusive one), the mechanism and
the claim's verdict. Every number comes from `analysis.claims.claims_table`.
"""

import html
import math

import pandas as pd

from analysis import claims, stats, style

CSV_NAME = "claims.csv"

CSS = """
table.claims { width: 100%; font-size: 0.82rem; }
table.claims td { vertical-align: top; }
table.claims td.claim { min-width: 14rem; }
.sub, .reason { color: #555; font-size: 0.76rem; font-weight: normal; }
table.claims tbody.claim { border-top: 2px solid #bbb; }
span.verdict, span.level-verdict { font-weight: 600; white-space: nowrap; }
span.ci { white-space: nowrap; font-size: 0.78rem; }
td.level { min-width: 7rem; }
td.verdict-cell { text-align: left; min-width: 9rem; }
p.rule { font-size: 0.86rem; color: #333; background: #f6f6f6; padding: 0.6rem 0.8rem; }
""" + "".join(
    f"td.v-{word.replace(' ', '-')} {{ background: {color}; }}\n"
    for word, color in style.VERDICT_COLORS.items()
)

HEADERS = [
    "claim (cause vs control)",
    "level",
    "cause: rate",
    "control: rate",
    "paired effect (cause - control)",
    "level verdict",
    "mechanism: median, cause vs control",
    "claim verdict",
]
TEXT_COLUMNS = (0, 1, 5, 6, 7)


def _finite(value):
    return value is not None and not pd.isna(value) and math.isfinite(float(value))


def _interval(low, high, signed=False):
    if not (_finite(low) and _finite(high)):
        return "[n/a]"
    fmt = "{:+.0%}" if signed else "{:.0%}"
    return f"[{fmt.format(low)}, {fmt.format(high)}]"


def _rate_cell(r, arm):
    n = r[f"n_{arm}"]
    if not n:
        return "no rows"
    lines = [
        f"<strong>{style.format_rate(r[f'rate_{arm}'])}</strong>",
        f'<span class="ci">{_interval(r[f"rate_{arm}_low"], r[f"rate_{arm}_high"])}</span>',
        f'<span class="sub">{int(n)} network{"s" if n != 1 else ""}</span>',
    ]
    diverged = r[f"diverged_{arm}"]
    if r["outcome"] != "diverged" and _finite(diverged) and diverged > 0:
        lines.append(f'<span class="sub">{style.format_rate(diverged)} diverged</span>')
    if r["outcome"] == "decision_collapsed" and _finite(r[f"score_{arm}"]):
        lines.append(f'<span class="sub">balanced accuracy {r[f"score_{arm}"]:.2f}</span>')
    return "<br>".join(lines)


def _effect_cell(r):
    if not _finite(r["effect"]):
        return "no pairs"
    p = f"p = {r['p_holm']:.2g} (Holm)" if _finite(r["p_holm"]) else ""
    pairs = f"{int(r['n_pairs'])} pairs" if r["n_pairs"] else r["test"]
    return (f'<strong>{r["effect"]:+.0%}</strong><br>'
            f'<span class="ci">{_interval(r["effect_low"], r["effect_high"], signed=True)}</span>'
            f'<br><span class="sub">{html.escape(pairs)}; {p}</span>')


def _level_cell(r):
    word = r["level_verdict"]
    text = f'<span class="level-verdict">{html.escape(word)}</span>'
    if word == claims.INCONCLUSIVE and _finite(r["pairs_needed"]):
        text += f'<br><span class="sub">~{int(r["pairs_needed"])} pairs would resolve it</span>'
    return text


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
    word = r["mechanism_verdict"] or stats.NO_DATA
    parts = []
    if _finite(r["mechanism_cause"]) and _finite(r["mechanism_control"]):
        cause, control = _distinct(r["mechanism_cause"], r["mechanism_control"])
        parts.append(f"{cause} vs {control}")
    parts.append(f'<span class="sub">{html.escape(word)}</span>')
    if _finite(r["mechanism_nonfinite"]) and r["mechanism_nonfinite"] > 0:
        parts.append(f'<span class="sub">{int(r["mechanism_nonfinite"])} non-finite values '
                     "(e.g. every unit dead)</span>")
    return "<br>".join(parts)


def _claim_cell(r):
    e = html.escape
    lines = [f"<strong>{e(r['text'])}</strong>"]
    if r["verdict"] == claims.DROPPED:
        return "<br>".join(lines)
    lines.append(f'<span class="sub">cause: {e(r["cause_text"])}</span>')
    lines.append(f'<span class="sub">control: {e(r["control_text"])}</span>')
    lines.append(f'<span class="sub">outcome: {e(style.display_name(r["outcome"]))}</span>')
    if isinstance(r["mechanism"], str) and r["mechanism"]:
        lines.append(
            f'<span class="sub">mechanism: {e(style.display_name(r["mechanism"]))} '
            f"({e(r['mechanism_direction'])} with the cause)</span>"
        )
    return "<br>".join(lines)


def _verdict_cell(r, span):
    word = r["verdict"]
    extra = ""
    if span > 1 and _finite(r["combined_effect"]):
        extra = (f'<br><span class="sub">all levels pooled: {r["combined_effect"]:+.0%} '
                 f"{_interval(r['combined_low'], r['combined_high'], signed=True)}</span>")
    return (f'<td class="verdict-cell v-{word.replace(" ", "-")}" rowspan="{span}">'
            f'<span class="verdict">{html.escape(word)}</span><br>'
            f'<span class="reason">{html.escape(str(r["reason"]))}</span>{extra}</td>')


def claims_table_html(table):
    """The claims table: one block of rows per claim, one row per level.

    Args:
        table: Output of `claims.claims_table`.
    """
    text_css = ' class="text"'
    head = "".join(
        f"<th{text_css if i in TEXT_COLUMNS else ''}>{html.escape(h)}</th>"
        for i, h in enumerate(HEADERS)
    )
    bodies = []
    for cid, block in table.groupby("claim", sort=False):
        rows = []
        span = len(block)
        for i, (_, r) in enumerate(block.iterrows()):
            cells = []
            if i == 0:
                cells.append(f'<td class="text claim" rowspan="{span}">{_claim_cell(r)}</td>')
            if r["verdict"] == claims.DROPPED:
                cells.append('<td class="text level" colspan="6">not tested</td>')
            else:
                cells += [
                    f'<td class="text level">{html.escape(r["level_text"] or "all")}</td>',
                    f"<td>{_rate_cell(r, 'cause')}</td>",
                    f"<td>{_rate_cell(r, 'control')}</td>",
                    f"<td>{_effect_cell(r)}</td>",
                    f'<td class="text">{_level_cell(r)}</td>',
                    f'<td class="text">{_mechanism_cell(r)}</td>',
                ]
            if i == 0:
                cells.append(_verdict_cell(r, span))
            rows.append("<tr>" + "".join(cells) + "</tr>")
        bodies.append(f'<tbody class="claim" data-claim="{html.escape(cid)}">\n'
                      + "\n".join(rows) + "\n</tbody>")
    return ('<table class="claims" id="claims-table">\n'
            f"<thead><tr>{head}</tr></thead>\n" + "\n".join(bodies) + "\n</table>")


def claims_section(table):
    """The report's first section: the verdict counts, the table and the rule."""
    verdicts = claims.claim_verdicts(table)
    counts = ", ".join(
        f"{sum(v == word for v in verdicts.values())} {word}"
        for word in claims.VERDICTS
        if any(v == word for v in verdicts.values())
    )
    tested = table[table["verdict"] != claims.DROPPED]
    return "\n".join([
        '<section id="claims">',
        "<h2>Claims: what the measurements say</h2>",
        f"<p>{len(verdicts)} claim{'s' if len(verdicts) != 1 else ''}: {html.escape(counts)}. "
        f"{int(tested['n_cause'].sum() + tested['n_control'].sum())} network results over "
        f"{len(tested)} levels (a control arm shared by several levels is counted at each). "
        "Each level compares networks trained with the cause against paired controls; every "
        "number and verdict is computed from the rows of this sweep and is also in "
        f"<code>{CSV_NAME}</code>. Brackets: 95% intervals.</p>",
        claims_table_html(table),
        f'<p class="rule" id="verdict-rule">{html.escape(claims.rule_description())}</p>',
        "</section>",
    ])


def write_claims_csv(table, folder):
    """Write `<folder>/claims.csv`: one row per claim and level (claims.CSV_COLUMNS)."""
    path = folder / CSV_NAME
    partial = folder / f".{CSV_NAME}.tmp"
    table[claims.CSV_COLUMNS].to_csv(partial, index=False)
    partial.replace(path)
    return path


def _md_rate(r, arm):
    return (f"{style.format_rate(r[f'rate_{arm}'])} "
            f"{_interval(r[f'rate_{arm}_low'], r[f'rate_{arm}_high'])}")


def markdown_levels(table):
    """The claims table as Markdown, one row per claim and level (for docs and READMEs)."""
    lines = ["| claim | level | outcome | pairs | cause | control | effect [95% CI] | "
             "p (Holm) | level verdict | mechanism | claim verdict |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for _, block in table.groupby("claim", sort=False):
        for i, (_, r) in enumerate(block.iterrows()):
            first = i == 0
            if r["verdict"] == claims.DROPPED:
                lines.append(f"| {r['text']} | | | | | | | | | | dropped: {r['reason']} |")
                continue
            effect = (f"{r['effect']:+.0%} {_interval(r['effect_low'], r['effect_high'], True)}"
                      if _finite(r["effect"]) else "n/a")
            p = f"{r['p_holm']:.2g}" if _finite(r["p_holm"]) else ""
            level = r["level_verdict"]
            if level == claims.INCONCLUSIVE and _finite(r["pairs_needed"]):
                level += f" (~{int(r['pairs_needed'])} pairs)"
            mech = ""
            if isinstance(r["mechanism"], str) and r["mechanism"]:
                mech = r["mechanism_verdict"]
                if _finite(r["mechanism_cause"]) and _finite(r["mechanism_control"]):
                    a, b = _distinct(r["mechanism_cause"], r["mechanism_control"])
                    mech = f"{r['mechanism']}: {a} vs {b}, {mech}"
            lines.append(
                f"| {r['text'] if first else ''} | {r['level_text'] or 'all'} | "
                f"{r['outcome'] if first else ''} | {int(r['n_pairs']) or r['test']} | "
                f"{_md_rate(r, 'cause')} | {_md_rate(r, 'control')} | {effect} | {p} | {level} | "
                f"{mech} | {r['verdict'] if first else ''} |")
    return "\n".join(lines) + "\n"


def markdown_summary(table):
    """One Markdown row per claim: outcome, levels, networks, pooled effect and the verdict."""
    lines = ["| claim | outcome | levels supported / tested | pairs | pooled effect [95% CI] "
             "| verdict | why |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for _, block in table.groupby("claim", sort=False):
        r = block.iloc[0]
        if r["verdict"] == claims.DROPPED:
            lines.append(f"| {r['text']} | | | | | dropped | {r['reason']} |")
            continue
        supported = int((block["level_verdict"] == claims.SUPPORTED).sum())
        pooled = r if len(block) == 1 else None
        if pooled is not None:
            effect = (f"{r['effect']:+.0%} {_interval(r['effect_low'], r['effect_high'], True)}"
                      if _finite(r["effect"]) else "n/a")
        elif _finite(r["combined_effect"]):
            effect = (f"{r['combined_effect']:+.0%} "
                      f"{_interval(r['combined_low'], r['combined_high'], True)}")
        else:
            effect = "n/a"
        pairs = int(block["n_pairs"].sum())
        lines.append(f"| {r['text']} | {r['outcome']} | {supported} / {len(block)} | "
                     f"{pairs} | {effect} | **{r['verdict']}** | {r['reason']} |")
    return "\n".join(lines) + "\n"
