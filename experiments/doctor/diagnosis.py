"""Diagnose one Keras model on its data: is it collapsed, how, and why (causes ranked).

Example:
    from experiments.doctor import diagnose
    report = diagnose(model, x, y)
    report["collapsed"], report["kind"], report["causes"][0]["cause"]
"""

import math

import numpy as np

from experiments import metrics
from experiments.doctor import evidence as ev
from experiments.doctor.causes import CAUSES, EXPLAINED_BY

SCHEMA_VERSION = 1
NOT_COLLAPSED_WEIGHT = 0.5  # a network that is not collapsed: scores are risks, at most 0.5
DISCOUNT = 0.6  # a symptom loses this share of the strongest root cause explaining it
KINDS = ("output", "decision", "diverged", "none")


def rank_causes(model, data, net, history=None):
    """Score every cause of the vocabulary and rank them, best first.

    Args:
        model, data, net: evidence.model_facts, data_facts and network_facts results.
        history: the callback's per-epoch measurements, or None.

    Returns:
        list of {"cause", "score", "title", "evidence", "fix"}, score descending (ties by
        vocabulary order), causes with score 0 left out.
    """
    strengths = {}
    for name, cause in CAUSES.items():
        strengths[name] = cause.rule(model, data, net, history)
    for symptom, roots in EXPLAINED_BY.items():
        explained = max(strengths[name][0] for name in roots)
        strength, notes = strengths[symptom]
        if strength and explained:
            strengths[symptom] = (strength * (1 - DISCOUNT * explained), notes)
    weight = 1.0 if net["kind"] != "none" else NOT_COLLAPSED_WEIGHT
    order = list(CAUSES)
    ranked = []
    for name, (strength, notes) in strengths.items():
        score = round(float(weight * strength), 4)
        if score > 0:
            cause = CAUSES[name]
            ranked.append({"cause": name, "score": score, "title": cause.title,
                           "evidence": notes, "fix": cause.fix_text()})
    ranked.sort(key=lambda c: (-c["score"], order.index(c["cause"])))
    return ranked


def summary_line(report):
    """One line: what is wrong and the best guess why."""
    kind = report["kind"]
    net = report["measurements"]
    what = {
        "output": f"output collapse: rel_output_std {_short(net['rel_output_std'])} < "
                  f"{report['threshold']}",
        "decision": f"decision collapse: {_short(net['majority_fraction'])} of the inputs get "
                    f"one class (balanced accuracy {_short(net.get('balanced_accuracy'))}, "
                    f"chance {_short(net.get('chance'))})",
        "diverged": "training diverged: NaN/inf in the weights or outputs",
        "none": f"not collapsed (rel_output_std {_short(net['rel_output_std'])})",
    }[kind]
    causes = report["causes"]
    if kind != "none" and causes:
        best = ", ".join(f"{c['cause']} {c['score']:.2f}" for c in causes[:3])
        return f"{what}; likely causes: {best}"
    risky = [c for c in causes if c["score"] > 0.25]
    if risky:
        return f"{what}; risks: " + ", ".join(f"{c['cause']} {c['score']:.2f}" for c in risky[:3])
    return what


def _short(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3g}"


def diagnose(model, x, y, threshold=metrics.COLLAPSE_THRESHOLD, max_rows=ev.MAX_ROWS,
             facts=None, history=None):
    """The doctor's diagnosis of `model` on data (x, y) as the user has it.

    Args:
        model: a Keras 3 model with one output (and one input or several).
        x: inputs, shape (n, *model input shape), or a list of such arrays, one per input;
            rows with NaN/inf are counted (cause
            non_finite_data) and left out of the measurements.
        y: targets as the model was trained on them: 0/1, integer labels, one-hot rows,
            -1/1, or floats for regression.
        threshold: rel_output_std below this is output collapse (the project's default).
        max_rows: the network is measured on a seeded sample of at most this many rows; the
            data checks use every row.
        facts: evidence.model_facts(model) if already computed.
        history: per-epoch measurements from CollapseMonitor, if any.

    Returns:
        Diagnosis, a JSON-able dict shown as HTML in a notebook: collapsed, kind, causes
        (ranked), summary, threshold, model, data, measurements, rows_measured, version.

    Raises:
        evidence.DoctorInputError: data the model cannot be measured on.
    """
    facts = facts or ev.model_facts(model)
    x, y = ev.as_arrays(x), np.asarray(y)
    ev.check_data(x, y, facts, input_shapes(model))
    data = ev.data_facts(x, y, facts["task"], facts["output_units"])
    finite = np.flatnonzero(ev.finite_rows(x, y))
    rows = finite[ev.sample_rows(len(finite), max_rows)]
    net = ev.network_facts(model, ev.take(x, rows), y[rows], facts, threshold=threshold)
    causes = rank_causes(facts, data, net, history)
    report = {
        "collapsed": net["kind"] != "none",
        "kind": net["kind"],
        "causes": causes,
        "threshold": threshold,
        "model": facts,
        "data": data,
        "measurements": net,
        "rows_measured": int(len(rows)),
        "version": SCHEMA_VERSION,
    }
    report["summary"] = summary_line(report)
    return Diagnosis(jsonable(report))


def input_shapes(model):
    """The model's input shape, or a list of them for a model with several inputs."""
    shapes = [tuple(t.shape) for t in model.inputs]
    return shapes[0] if len(shapes) == 1 else shapes


class Diagnosis(dict):
    """The diagnosis as a plain dict (JSON-able); a notebook shows it as the HTML page."""

    def _repr_html_(self):
        from experiments.doctor.report import render_html

        return render_html(dict(self), title="collapse-doctor")


def jsonable(value):
    """Numpy scalars to Python, NaN and inf to None (strict JSON)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
