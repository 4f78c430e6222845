"""The diagnosis as text (the terminal) and as one self-contained HTML page.

Example:
    print(render_text(report))
    Path("doctor.html").write_text(render_html(report))
"""

import html
import math

from experiments.doctor.causes import CAUSES

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.verdict { padding: .8rem 1rem; border-radius: 6px; font-weight: 600; }
.bad { background: #fde8e6; border-left: 6px solid #c0392b; }
.good { background: #e8f6ec; border-left: 6px solid #27ae60; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { background: #f4f4f4; }
.bar { display: inline-block; height: .7rem; background: #c0392b; vertical-align: middle; }
.muted { color: #777; font-size: .9rem; }
code { background: #f4f4f4; padding: 0 .2rem; }
"""


def _fmt(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _e(value):
    return html.escape(_fmt(value) if not isinstance(value, str) else value)


MEASURED = [  # (key of report["measurements"], what it means)
    ("rel_output_std", "output spread / target spread (0 = same output for every input)"),
    ("majority_fraction", "share of rows given the most common class"),
    ("decision_collapsed", "one class for >= 99% of rows while labels vary"),
    ("diverged", "NaN or inf in weights or outputs"),
    ("dead_fraction", "share of hidden units constant over the rows"),
    ("neuron_similarity", "mean |correlation| of the last hidden layer's live units"),
    ("weight_spread", "smallest std of a kernel's entries"),
    ("grad_norm_ratio", "gradient norm, first kernel / last kernel"),
    ("loss", "loss on the rows"),
    ("baseline_loss", "loss of the best constant prediction"),
    ("score", "accuracy (classification) or R^2"),
]


def render_text(report):
    """A short terminal report: the verdict, the ranked causes, and the fixes if tested."""
    lines = [f"collapse-doctor: {report['summary']}"]
    for rank, cause in enumerate(report["causes"][:5], start=1):
        lines.append(f"  {rank}. {cause['cause']} ({cause['score']:.2f}): "
                     + ("; ".join(cause["evidence"]) or "no direct evidence"))
    if report["collapsed"] and report["causes"]:
        lines.append(f"  try: {report['causes'][0]['fix']}")
    for note in report["model"]["notes"]:
        lines.append(f"  note: {note}")
    fixes = report.get("fixes")
    if fixes:
        lines.append(f"fixes tested ({fixes['seeds']} seeds each, {fixes['epochs']} epochs, "
                     f"{fixes['seconds']:.0f} s):")
        for r in fixes["results"]:
            low, high = r["interval"]
            lines.append(f"  {r['change']:<19} collapsed {r['collapsed']}/{r['runs']} "
                         f"[{low:.0%}, {high:.0%}]  score {_fmt(r['median_score'])}  "
                         f"{r['verdict']}")
        for note in fixes["notes"]:
            lines.append(f"  note: {note}")
    return "\n".join(lines)


def _table(header, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _causes_section(report):
    if not report["causes"]:
        return "<p>No cause of the vocabulary has any evidence.</p>"
    rows = []
    for rank, c in enumerate(report["causes"], start=1):
        bar = f'<span class="bar" style="width:{c["score"] * 6:.2f}rem"></span>'
        evidence = "<br>".join(html.escape(s) for s in c["evidence"]) or "&mdash;"
        rows.append([str(rank), f"<code>{html.escape(c['cause'])}</code><br>"
                     f"<span class=muted>{html.escape(c['title'])}</span>",
                     f"{bar} {c['score']:.2f}", evidence, html.escape(c["fix"])])
    note = ("" if report["collapsed"] else
            "<p class=muted>The network is not collapsed: scores are risks, at most 0.5.</p>")
    return note + _table(["#", "cause", "score", "evidence", "what to try"], rows)


def _fixes_section(fixes):
    rows = []
    for r in fixes["results"]:
        low, high = r["interval"]
        rows.append([f"<code>{html.escape(r['change'])}</code>", html.escape(r["description"]),
                     f"{r['collapsed']}/{r['runs']} ({r['rate']:.0%}) "
                     f"<span class=muted>[{low:.0%}, {high:.0%}]</span>",
                     _e(r["median_score"]), html.escape(r["verdict"])])
    notes = "".join(f"<p class=muted>{html.escape(n)}</p>" for n in fixes["notes"])
    return (f"<h2>Fixes tested</h2><p>Each change retrained from fresh weights with "
            f"{fixes['seeds']} seeds ({fixes['epochs']} epochs, batch {fixes['batch_size']}), "
            f"measured on {fixes['eval_rows']} held-out rows; 95% exact (Clopper-Pearson) "
            f"intervals; {fixes['seconds']:.0f} s in all.</p>"
            + _table(["change", "what", "collapsed [95% CI]", "median score", "verdict"], rows)
            + notes)


def render_html(report, title="collapse-doctor"):
    """One HTML page, no external files: verdict, causes, measurements, data, model, fixes."""
    net, data, model = report["measurements"], report["data"], report["model"]
    css = "bad" if report["collapsed"] else "good"
    measured = _table(["metric", "value", "meaning"],
                      [[f"<code>{k}</code>", _e(net.get(k)), html.escape(v)]
                       for k, v in MEASURED if k in net])
    layer_rows = [[html.escape(name), _e(act), _e(dead), _e(sim), _e(ident)]
                  for name, act, dead, sim, ident in zip(
                      net["layers"], net["layer_activations"], net["dead_share"],
                      net["similarity"], net["identical"])]
    layers = _table(["hidden layer", "activation", "dead share", "similarity",
                     "identical units"], layer_rows) if layer_rows else ""
    kernels = _table(["Dense kernel", "weight norm", "gradient norm"],
                     [[str(i), _e(w), _e(g)] for i, (w, g) in enumerate(zip(
                         net["weight_norms"], net["grad_norms"] or [None] * len(
                             net["weight_norms"])))])
    data_rows = [[k, _e(data.get(k))] for k in (
        "n_rows", "n_features", "input_rms_max", "input_scale_ratio", "duplicate_share",
        "class_shares", "majority_share", "label_predictability") if k in data]
    model_rows = [[k, _e(model.get(k))] for k in (
        "task", "depth", "widths", "hidden_activations", "output_activation", "loss",
        "optimizer", "learning_rate", "max_l1", "max_l2", "same_value_init")]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in model["notes"])
    vocabulary = _table(["cause", "meaning"], [[f"<code>{n}</code>", html.escape(c.title)]
                                              for n, c in CAUSES.items()])
    parts = [
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="verdict {css}">{html.escape(report["summary"])}</p>',
        f"<p class=muted>kind: <code>{report['kind']}</code>; measured on "
        f"{report['rows_measured']} rows; collapse threshold {report['threshold']}.</p>",
        "<h2>Likely causes</h2>", _causes_section(report),
    ]
    if report.get("fixes"):
        parts.append(_fixes_section(report["fixes"]))
    parts += ["<h2>Measurements</h2>", measured, layers, kernels,
              "<h2>Data</h2>", _table(["fact", "value"], data_rows),
              "<h2>Model</h2>", _table(["fact", "value"], model_rows),
              f"<ul class=muted>{notes}</ul>" if notes else "",
              "<h2>Cause vocabulary</h2>", vocabulary, "</body></html>"]
    return "\n".join(parts)
