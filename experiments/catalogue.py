"""The metric catalogue: every measured quantity written once, with what it means.

The results schema (experiments.storage.schema), the history (experiments.training.common),
the report's display names and training-curve panels (analysis.style, analysis.plots) and the
docs/columns.md all read this list, so a new metric is one entry here plus its function in
experiments.metrics.

`collapse_when` says which way the metric points towards collapse: 'high' (more dead units is
worse), 'low' (less output spread is worse), 'true' (a flag), or None (no direction, e.g. a
score or the loss).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One measured quantity of a trained network (also measured at initialization)."""

    name: str
    dtype: str  # pandas dtype of the results column
    display: str  # readable name in the report
    description: str  # what the number is, for the README and tooltips
    collapse_when: str | None = None  # 'high', 'low', 'true' or None
    history: bool = False  # also recorded every epoch in history/
    symlog: bool = False  # drawn on a symmetric-log axis (matters near 0, can grow large)


METRICS = (
    Metric("diverged", "boolean", "diverged",
           "training produced a non-finite loss or non-finite outputs", "true"),
    Metric("output_std", "float64", "output spread",
           "std over evaluation inputs of the output (after the output activation), mean over "
           "output units", "low"),
    Metric("rel_output_std", "float64", "output spread / target spread",
           "output_std / std of the targets (one-hot for classes); 0 = the same output for "
           "every input", "low", history=True, symlog=True),
    Metric("collapsed", "boolean", "collapsed",
           "finite, and rel_output_std below collapse_threshold: the output does not depend on "
           "the input (a diverged network is not collapsed)", "true"),
    Metric("majority_fraction", "float64", "majority-class share of predictions",
           "share of evaluation inputs given the most common predicted class (empty for "
           "regression)", "high"),
    Metric("decision_collapsed", "boolean", "decision collapsed",
           "finite, and one predicted class for at least 99% of evaluation inputs while the "
           "labels are less one-sided (empty for regression)", "true"),
    Metric("balanced_accuracy", "float64", "balanced accuracy",
           "mean recall over the classes present in the evaluation set: 1/classes for any "
           "input-independent prediction, whatever the class shares (empty for regression)",
           "low"),
    Metric("auroc", "float64", "AUROC",
           "area under the ROC curve of the output scores on the evaluation set (macro one-vs-"
           "rest for classes): 0.5 for an input-independent output, whatever the threshold or "
           "the class shares (empty for regression)", "low"),
    Metric("saturated_fraction", "float64", "saturated output share",
           "share of evaluation outputs pinned at the output activation's limits (a "
           "probability within 1e-6 of 0 or 1; empty for regression)", "high"),
    Metric("dead_fraction", "float64", "dead unit share",
           "share of hidden units (all layers) whose activation does not vary over the "
           "evaluation inputs (std <= 1e-6)", "high", history=True),
    Metric("dead_layer", "boolean", "dead layer",
           "some hidden layer has every unit exactly constant in float32 over the evaluation "
           "inputs, so the output is the same for every input: a dead ReLU layer, or a signal "
           "too small for float32 to resolve (the born_dead preset tells them apart)",
           "true"),
    Metric("dead_relu_fraction", "float64", "units off on all training inputs",
           "share of hidden units whose pre-activation is <= 0 for every training input (the "
           "dying-ReLU definition)", "high"),
    Metric("zero_grad_fraction", "float64", "zero-gradient share",
           "share of the loss gradient's kernel entries that are exactly 0 on the evaluation "
           "set (AUTOTRAINER flags dying ReLU at >= 0.7)", "high"),
    Metric("neuron_similarity", "float64", "neuron similarity",
           "mean absolute correlation between live units of the last hidden layer (1 = "
           "unbroken symmetry; NaN with fewer than 2 live units)", "high", history=True),
    Metric("channel_similarity", "float64", "channel similarity",
           "neuron_similarity of the last convolutional layer's channels over evaluation "
           "inputs and positions (NaN without a Conv2D layer)", "high"),
    Metric("saturated_gates", "float64", "saturated gate share",
           "share of the sigmoid gate activations of LSTM / GRU layers below 0.1 or above "
           "0.9 over evaluation inputs and steps (NaN without a gated recurrent layer)",
           "high"),
    Metric("identical_units", "float64", "identical unit share",
           "share of hidden units whose incoming weights equal another unit's of the same "
           "layer (within 1e-6 of the layer's largest weight): unbroken symmetry, as after "
           "constant initialization", "high"),
    Metric("weight_spread", "float64", "weight spread",
           "smallest std of a kernel's entries over layers (0 = all weights of a layer equal)",
           "low", history=True, symlog=True),
    Metric("grad_norm_ratio", "float64", "gradient norm ratio (first / last layer)",
           "norm of the loss gradient of the first kernel / of the last kernel, on the "
           "evaluation set (AUTOTRAINER: vanishing below 1e-3)", "low"),
    Metric("input_correlation", "float64", "correlation between inputs (last layer)",
           "mean over pairs of evaluation inputs of the cosine between their last hidden "
           "pre-activations (mean-field c; 1 = every input maps to the same point)", "high"),
    Metric("jacobian_gain", "float64", "layer Jacobian gain",
           "mean squared singular value of the last hidden-to-hidden Jacobian on the "
           "evaluation inputs (mean-field chi1: < 1 ordered, > 1 chaotic; NaN for depth 1)"),
    Metric("loss", "float64", "evaluation loss", "loss on the evaluation set"),
    Metric("score", "float64", "score", "accuracy (classes) or R^2 (regression) on the "
           "evaluation set"),
)

BY_NAME = {metric.name: metric for metric in METRICS}
HISTORY_METRICS = tuple(metric.name for metric in METRICS if metric.history)


def display(name):
    """Display name of a metric column; '_init' columns read '... at init'."""
    if name.endswith("_init") and name[: -len("_init")] in BY_NAME:
        return f"{BY_NAME[name[: -len('_init')]].display} at init"
    return BY_NAME[name].display if name in BY_NAME else None

# What a metric needs of a network to be defined; without it the metric is NaN (None for the
# classification metrics on regression). Every other metric is defined for every model.
#   classes: a classification task; dense_or_conv: a hidden Dense or Conv2D layer (recurrent
#   units have no single pre-activation); last_dense_or_conv: the last hidden layer is one;
#   two_dense: the last two hidden layers are Dense (a square hidden-to-hidden Jacobian);
#   conv2d: a Conv2D layer; gated: an LSTM or GRU layer.
NEEDS = {
    "majority_fraction": "classes", "decision_collapsed": "classes",
    "balanced_accuracy": "classes", "auroc": "classes", "saturated_fraction": "classes",
    "dead_relu_fraction": "dense_or_conv", "input_correlation": "last_dense_or_conv",
    "jacobian_gain": "two_dense", "channel_similarity": "conv2d", "saturated_gates": "gated",
}


def defined(name, layers, task):
    """Whether metric `name` is defined for a network of architecture record `layers`
    (experiments.variants.architecture) on `task`."""
    hidden = [layer.kind for layer in layers if layer.hidden]
    gated = any(layer.kind == "recurrent" and layer.cell != "simple" for layer in layers)
    need = NEEDS.get(name)
    return {
        None: True,
        "classes": task != "regression",
        "dense_or_conv": any(kind in ("dense", "conv2d") for kind in hidden),
        "last_dense_or_conv": bool(hidden) and hidden[-1] in ("dense", "conv2d"),
        "two_dense": hidden[-2:] == ["dense", "dense"],
        "conv2d": "conv2d" in hidden,
        "gated": gated,
    }[need]
