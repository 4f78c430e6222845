"""How the doctor reads y against the model's output layer and loss.

A user's y comes in many forms (labels (n,) or (n, 1), one-hot rows, floats, -1/1 for
hinge), and it need not fit the model: categorical cross-entropy on one output unit, labels
0..9 for one sigmoid unit. `interpret` measures whatever can be measured (the collapse metrics
need a task: binary, multiclass or regression) and says what does not fit, for the cause
`loss_output_mismatch`; it refuses only what Keras itself could not train (y columns that match
no output).

Example:
    t = interpret(y, facts)
    t.task, t.targets, t.mismatches
"""

from dataclasses import dataclass, field

import keras
import numpy as np

from experiments.doctor import numpy_chain
from experiments.variants.model import HEADS


class DoctorInputError(ValueError):
    """Input the doctor cannot work with; the message is one line saying what to change."""


@dataclass
class Targets:
    task: str  # the task the collapse metrics measure: binary, multiclass or regression
    targets: np.ndarray  # int labels (n,), or float (n, columns) for regression
    labels: np.ndarray = None  # int class labels (n,) where y holds classes, else None
    mismatches: list = field(default_factory=list)  # (code, sentence) of what does not fit


def _is_integer(values):
    return bool(np.all(values == np.rint(values)))


def labels_from(y):
    """(int labels (n,) or None, how y encodes them) from y as given."""
    y2 = np.asarray(y, np.float64).reshape(len(y), -1)
    if y2.shape[1] > 1:
        rows = y2.sum(axis=1)
        kind = "one-hot" if np.all((y2 == 0) | (y2 == 1)) and np.allclose(rows, 1) else "scores"
        return np.argmax(y2, axis=1).astype(np.int64), kind
    v = y2[:, 0]
    if _is_integer(v):
        values = np.unique(v)
        if set(values.tolist()) <= {-1.0, 1.0} and -1.0 in values:
            return (v > 0).astype(np.int64), "-1/1"
        if v.min() >= 0:
            return v.astype(np.int64), "labels"
        return None, "negative integers"
    if v.min() >= 0 and v.max() <= 1:
        return (v >= 0.5).astype(np.int64), "probabilities"
    return None, "continuous"


def interpret(y, facts):
    """The measured task and targets for y, and what in y, the loss and the output layer
    does not fit; raises DoctorInputError where y cannot be matched to the outputs."""
    n = len(y)
    y2 = np.asarray(y, np.float64).reshape(n, -1)
    columns, units, task = y2.shape[1], facts["output_units"], facts["task"]
    if columns > 1 and units > 1 and columns != units:
        raise DoctorInputError(f"y has {columns} columns but the model has {units} outputs; "
                               "give one column per output (or labels 0..k-1)")
    mismatches = []
    if task == "regression":
        if columns > 1 and units == 1:
            mismatches.append(("columns_one_unit", f"y has {columns} columns but the model has "
                               "one output unit"))
            labels, _ = labels_from(y)
            first = labels if labels is not None else y2[:, 0]
            return Targets("regression", np.asarray(first, np.float64).reshape(n, 1), labels,
                           mismatches)
        values = y2 if columns == units else np.repeat(y2, units, axis=1)
        labels, _ = labels_from(y) if _is_integer(y2) else (None, None)
        return Targets("regression", values, labels, mismatches)
    labels, encoding = labels_from(y)
    loss = (facts.get("loss") or "").lower()
    if "sparse" in loss and encoding in ("probabilities", "continuous") and columns == 1:
        labels = np.floor(y2[:, 0]).astype(np.int64)  # what the loss reads (a cast)
        if labels.min() >= 0:
            shown = ", ".join(f"{v:.3g}" for v in np.unique(y2[:, 0])[:3])
            mismatches.append(("non_integer_labels", f"y holds non-integer labels ({shown}, "
                               f"...) for {loss}, which casts them to integers: "
                               f"{len(np.unique(labels))} class(es) remain"))
            encoding = "labels"
    if labels is None:
        mismatches.append(("continuous_targets",
                           f"y holds {encoding} values but the loss ({loss or task}) is a "
                           "classification loss"))
        return Targets("regression", y2 if columns == units else np.repeat(
            y2[:, :1], units, axis=1), None, mismatches)
    high = int(labels.max()) if len(labels) else 0
    if units == 1:
        if columns > 1:
            mismatches.append(("onehot_one_unit", f"y has {columns} columns (one-hot) but the "
                               "model has one output unit"))
        if high > 1:
            mismatches.append(("labels_exceed_outputs", f"y holds labels 0..{high} but the "
                               "model has one output unit (room for 2 classes)"))
            return Targets("regression", labels.astype(np.float64).reshape(n, 1), labels,
                           mismatches)
        if "categorical" in loss:
            mismatches.append(("categorical_one_unit", f"{loss} over one output unit: the "
                               "loss is 0 for every prediction (one class only)"))
        return Targets("binary", labels, labels, mismatches)
    if high >= units:
        mismatches.append(("labels_exceed_outputs", f"y holds labels 0..{high} but the model "
                           f"has {units} output units (classes 0..{units - 1})"))
        return Targets("regression", np.repeat(labels.astype(np.float64).reshape(n, 1), units,
                                               axis=1), labels, mismatches)
    return Targets("multiclass", labels, labels, mismatches)


def labels_collapsed(y, measured):
    """Whether y varies but the labels the loss reads are all one class."""
    return (measured.labels is not None and len(np.unique(measured.labels)) < 2
            and len(np.unique(np.asarray(y, np.float64))) > 1)


def as_probabilities(outputs, facts):
    """Outputs of a from_logits model through its loss's link (sigmoid or softmax)."""
    if not facts.get("from_logits"):
        return outputs
    if outputs.shape[1] == 1:
        return numpy_chain.sigmoid(outputs)
    if facts["task"] == "binary":
        return numpy_chain.sigmoid(outputs)
    return numpy_chain.softmax(outputs)


def _one_hot_rows(y):
    y = np.asarray(y)
    return y.ndim == 2 and y.shape[1] > 1


def default_loss(facts, y):
    """The Keras loss a model of this task usually trains with (for uncompiled models)."""
    task = facts["task"]
    if facts.get("from_logits") and task in ("binary", "multiclass"):
        if task == "binary":
            return keras.losses.BinaryCrossentropy(from_logits=True)
        if _one_hot_rows(y):
            return keras.losses.CategoricalCrossentropy(from_logits=True)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if task == "multiclass" and not _one_hot_rows(y):
        return keras.losses.get("sparse_categorical_crossentropy")
    return keras.losses.get(HEADS[task][1])


def loss_function(facts, y):
    """The Keras loss the model trains with (the compiled one, else the task's usual one)."""
    name = facts.get("loss")
    if facts.get("from_logits") and facts["task"] in ("binary", "multiclass"):
        if facts["task"] == "binary":
            return keras.losses.BinaryCrossentropy(from_logits=True)
        if name and "sparse" in name:
            return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if name:
            return keras.losses.CategoricalCrossentropy(from_logits=True)
    if name:
        try:
            return keras.losses.get(name)
        except (ValueError, TypeError):
            pass
    return default_loss(facts, y)


def loss_callable(model, facts):
    """(loss function, 'as_given' or 'formatted'): the compiled loss takes y as the user
    trained with it; the task's usual loss takes y formatted by loss_targets."""
    loss = getattr(model, "loss", None) if getattr(model, "compiled", False) else None
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, str):
        try:
            return keras.losses.get(loss), "as_given"
        except (ValueError, TypeError):
            loss = None
    if loss is not None and callable(loss):
        return loss, "as_given"
    return loss_function(facts, None), "formatted"


def loss_targets(y, facts, loss_fn):
    """y in the form `loss_fn` takes: labels for sparse losses, one-hot rows for categorical
    ones, a float column for binary and regression."""
    y = np.asarray(y)
    name = (getattr(loss_fn, "name", None) or getattr(loss_fn, "__name__", "") or "").lower()
    units = facts["output_units"]
    if facts["task"] == "multiclass" and units > 1:
        labels, _ = labels_from(y)
        if labels is None:
            return y.astype(np.float32)
        labels = np.clip(labels, 0, units - 1)
        if "sparse" in name:
            return labels.astype(np.int64)
        return np.eye(units, dtype=np.float32)[labels]
    if y.ndim == 1:
        return y.astype(np.float32).reshape(-1, 1)
    return y.astype(np.float32)


def loss_form(y, facts, form):
    """y for the loss: as given ('as_given'), formatted ('formatted'), or for the numpy
    chain ('chain': float columns, labels or one-hot rows)."""
    if form == "chain":
        return np.asarray(y, np.float64).reshape(len(y), -1)
    if form == "as_given":
        y = np.asarray(y)
        return y.astype(np.float32) if y.dtype.kind in "fiub" else y
    return loss_targets(y, facts, loss_function(facts, y))
