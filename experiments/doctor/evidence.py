"""What the doctor looks at: the model's configuration, the data, and the network on the data.

Three plain-dict records, JSON-able, each from one function:
  * `model_facts(model)`: layers, activations, initializers, regularizers, dropout,
    optimizer, learning rate and loss, as the saved model says (nothing is guessed where the
    file is silent);
  * `data_facts(x, y, task)` (experiments.doctor.data_facts): size, scale, non-finite values,
    class shares, row order, duplicates, and how well the labels follow the inputs;
  * `network_facts(model, x, y, facts)`: the project's collapse metrics (experiments.metrics,
    the same functions the sweeps score with) plus, per unit layer (Dense, Conv, recurrent),
    dead and identical units, and per trainable kernel gradient and weight norms,
    BatchNormalization statistics, recurrent gate saturation.

Example:
    facts = model_facts(model)
    data = data_facts(x, y, facts["task"])
    net = network_facts(model, x, y, facts)
"""

import math

import keras
import numpy as np

from experiments import metrics
from experiments.doctor.data_facts import (  # noqa: F401
    as_arrays,
    check_data,
    data_facts,
    finite_rows,
    is_multi,
    label_predictability,
    labels_of,
    take,
)
from experiments.doctor.probe import Prober
from experiments.doctor.structure import (  # noqa: F401
    ACTIVATION_LAYERS,
    RELU_FAMILY,
    SATURATING,
    activation_name,
    dense_units,
    leaf_layers,
    unit_kind,
)
from experiments.doctor.targets import (  # noqa: F401
    DoctorInputError,
    interpret,
    labels_collapsed,
    loss_function,
    loss_targets,
)

MAX_ROWS = 2048  # rows the network is measured on (a seeded sample of larger data)
SAME_VALUE_INITIALIZERS = ("Zeros", "Ones", "Constant")
ADAPTIVE_OPTIMIZERS = ("adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad", "adadelta",
                       "adafactor", "ftrl", "lion", "lamb", "muon")
DROPOUT_LAYERS = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                  "AlphaDropout", "GaussianDropout")
# output activation, loss task and from_logits that go together (the numpy chain's pairs)
_STANDARD_HEADS = {("sigmoid", "binary", False), ("softmax", "multiclass", False),
                   ("linear", "regression", False), ("linear", "binary", True),
                   ("linear", "multiclass", True)}
DECISION_CHANCE_MARGIN = 0.1  # balanced accuracy below chance + this, with one class predicted


# -----------------------------------------------------------------------------
# the model's configuration

def _initializer(init):
    if init is None:
        return None
    config = {k: v for k, v in init.get_config().items() if k != "seed"}
    return {"name": type(init).__name__, **config}


def _regularizer(reg):
    if reg is None:
        return None
    config = reg.get_config()
    return {"name": type(reg).__name__, "l1": float(config.get("l1", 0.0) or 0.0),
            "l2": float(config.get("l2", 0.0) or 0.0)}


def _loss_config(model):
    """(loss name in snake case or None, from_logits)."""
    config = model.get_compile_config() if getattr(model, "compiled", False) else None
    loss = (config or {}).get("loss")
    if loss is None:
        loss = getattr(model, "loss", None)
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, dict) and "class_name" in loss:
        cls, config = loss["class_name"], loss.get("config")
        if not isinstance(config, dict):  # a serialized function: {"config": "its_name"}
            return (config if isinstance(config, str) else None), False
        name = "".join("_" + c.lower() if c.isupper() else c for c in cls).lstrip("_")
        return name, bool(loss.get("config", {}).get("from_logits", False))
    if isinstance(loss, str):
        return loss, False
    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        return config.get("name") or type(loss).__name__.lower(), bool(
            config.get("from_logits", False))
    if callable(loss):
        return getattr(loss, "__name__", None), False
    return None, False


def _task(loss, output_activation, output_units):
    """'binary', 'multiclass' or 'regression' from the loss, else from the output layer."""
    if loss:
        name = loss.lower()
        if "binary" in name or "hinge" in name and "categorical" not in name:
            return "binary"
        if "categorical" in name or name in ("kl_divergence", "kld"):
            return "multiclass"
        if any(part in name for part in ("squared", "absolute", "mse", "mae", "huber",
                                         "log_cosh", "logcosh", "poisson", "cosine")):
            return "regression"
    if output_activation == "softmax" or output_units > 1 and output_activation == "sigmoid":
        return "multiclass" if output_units > 1 else "binary"
    if output_activation == "sigmoid":
        return "binary"
    return "regression"


def learning_rate(optimizer):
    """The optimizer's current learning rate as a float (a schedule's at step 0), or None."""
    if optimizer is None:
        return None
    lr = optimizer.learning_rate
    try:
        if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
            lr = lr(0)
        return float(np.asarray(lr))
    except (TypeError, ValueError):
        return None


def _layer_row(layer):
    kind = type(layer).__name__
    row = {"name": layer.name, "kind": kind, "activation": activation_name(layer)}
    if kind == "Bidirectional":
        row["activation"] = activation_name(layer.forward_layer)
        inner = layer.forward_layer
    else:
        inner = layer
    for attr, key in (("units", "units"), ("filters", "filters"), ("rate", "rate"),
                      ("momentum", "momentum"), ("output_dim", "output_dim")):
        value = getattr(inner, attr, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            row[key] = float(value) if attr in ("rate", "momentum") else int(value)
    cell = getattr(inner, "cell", None)
    source = cell if cell is not None and hasattr(cell, "kernel_initializer") else inner
    if hasattr(source, "kernel_initializer"):
        row["kernel_initializer"] = _initializer(source.kernel_initializer)
        use_bias = getattr(source, "use_bias", False)
        row["bias_initializer"] = (_initializer(getattr(source, "bias_initializer", None))
                                   if use_bias else None)
        row["regularizer"] = _regularizer(getattr(source, "kernel_regularizer", None))
    return row


def _output_activation(layers):
    """The activation of the model's output: the last layer that has one."""
    for layer in reversed(layers):
        name = activation_name(layer)
        if type(layer).__name__ == "Bidirectional":
            name = activation_name(layer.forward_layer)
        if name is not None:
            if name == "linear" and unit_kind(layer) is None:
                continue
            return name
    return None


def model_facts(model):
    """The model's configuration as the file holds it.

    Returns:
        dict with layers (name, kind, activation, units/filters, kernel_initializer,
        regularizer, rate, ...), layer_kinds, hidden_activations and widths (hidden unit
        layers: Dense, Conv, recurrent), depth, output_units, output_activation, task, loss,
        from_logits, consistent (output activation, loss and from_logits are a standard
        pair), optimizer, learning_rate, momentum, max_l1, max_l2, max_dropout,
        batchnorm_layers, same_value_init, notes.
    """
    if len(model.outputs) != 1:
        raise DoctorInputError(
            f"the model has {len(model.outputs)} outputs; the doctor reads models with one "
            "output")
    notes = []
    leaves = leaf_layers(model)
    layers = [_layer_row(layer) for layer in leaves]
    unit = [(layer, row) for layer, row in zip(leaves, layers) if unit_kind(layer)]
    for layer, row in zip(leaves, layers):
        known = (unit_kind(layer) or row["kind"] in ACTIVATION_LAYERS + DROPOUT_LAYERS
                 or row["kind"] in ("BatchNormalization", "LayerNormalization", "Embedding"))
        if getattr(layer, "weights", None) and not known:
            notes.append(f"layer {layer.name} ({row['kind']}): its weights are checked for "
                         "NaN/inf and their gradients measured; its units are not")
    hidden = unit[:-1]
    output_units = int(model.outputs[0].shape[-1] or 1)
    output_activation = _output_activation(leaves)
    loss, from_logits = _loss_config(model)
    optimizer = getattr(model, "optimizer", None)
    opt_name = type(optimizer).__name__.lower() if optimizer is not None else None
    momentum = float(getattr(optimizer, "momentum", 0.0) or 0.0) if optimizer else 0.0
    if opt_name == "sgd" and momentum > 0:
        opt_name = "momentum"
    regs = [row["regularizer"] for row in layers if row.get("regularizer")]
    if optimizer is None:
        notes.append("the model was saved without compile(): optimizer, learning rate and "
                     "loss are unknown")
    task = _task(loss, output_activation, output_units)
    head = "linear" if from_logits and output_activation in (None, "linear") else (
        output_activation or "linear")
    return {
        "layers": layers,
        "layer_kinds": sorted({row["kind"] for row in layers}),
        "hidden_activations": [row["activation"] or "linear" for _, row in hidden],
        "depth": len(hidden),
        "widths": [int(row.get("units") or row.get("filters") or 0) for _, row in hidden],
        "output_units": output_units,
        "output_activation": output_activation,
        "task": task,
        "loss": loss,
        "from_logits": from_logits,
        "consistent": (head, task, bool(from_logits)) in _STANDARD_HEADS,
        "optimizer": opt_name,
        "learning_rate": learning_rate(optimizer),
        "momentum": momentum,
        "max_l1": max((r["l1"] for r in regs), default=0.0),
        "max_l2": max((r["l2"] for r in regs), default=0.0),
        "max_dropout": max((row.get("rate", 0.0) for row in layers
                            if row["kind"] in DROPOUT_LAYERS), default=0.0),
        "batchnorm_layers": sum(row["kind"] == "BatchNormalization" for row in layers),
        "same_value_init": sorted({
            f"{row['name']}: {row['kernel_initializer']['name']}" for row in layers
            if (row.get("kernel_initializer") or {}).get("name") in SAME_VALUE_INITIALIZERS}),
        "notes": notes,
    }


# -----------------------------------------------------------------------------
# the network on the data


def sample_rows(n, max_rows=MAX_ROWS, seed=0):
    """Sorted indices of at most max_rows rows (all rows if n <= max_rows)."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def identical_units(kernel, bias=None, tol=1e-7):
    """Whether every unit of a layer has the same incoming weights (and bias).

    Args:
        kernel: (fan_in, units) kernel (a conv kernel reshaped so); bias: (units,) or None.

    Returns:
        True for >= 2 units whose kernel columns (and biases) are all equal within tol
        relative to the largest weight; such units compute the same function forever.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[1] < 2 or not np.all(np.isfinite(kernel)):
        return False
    scale = tol * (1.0 + np.abs(kernel).max())
    same = np.abs(kernel - kernel[:, :1]).max() <= scale
    if bias is not None:
        bias = np.asarray(bias, dtype=np.float64)
        same = same and np.abs(bias - bias[0]).max() <= scale
    return bool(same)


def _per_layer(values):
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v
            for v in values]


def _kernels(model, values):
    """Every unit layer's kernel as (fan_in, units), output layer included."""
    out = []
    for layer in leaf_layers(model):
        if not unit_kind(layer):
            continue
        variable = getattr(layer, "kernel", None)
        if variable is None and getattr(layer, "cell", None) is not None:
            variable = getattr(layer.cell, "kernel", None)
        if variable is None:
            continue
        kernel = values.get(id(variable))
        kernel = np.asarray(variable if kernel is None else kernel)
        out.append(kernel.reshape(-1, kernel.shape[-1]))
    return out


def network_facts(model, x, y, facts, prober=None, threshold=metrics.COLLAPSE_THRESHOLD,
                  gradients=True):
    """The project's collapse metrics and per-layer measurements of the model on (x, y).

    Args:
        model: a Keras model; facts: model_facts(model); x, y: the rows to measure on, all
            finite (callers sample large data with sample_rows and drop non-finite rows).
        prober: a Prober to reuse (the callback keeps one); None builds one.
        threshold: rel_output_std below this is output collapse.
        gradients: also compute gradient norms (one backward pass).

    Returns:
        dict: the metrics of experiments.metrics.network_metrics (output_std, rel_output_std,
        collapsed, majority_fraction, decision_collapsed, balanced_accuracy, dead_fraction,
        neuron_similarity, weight_spread, loss, score), measured_task, baseline_loss (loss of
        always predicting the class shares or the mean), chance, one_class (one class for
        >= 99% of rows with balanced accuracy near chance), diverged, kind; per hidden unit
        layer: layers, layer_kinds, layer_activations, dead_share, similarity, identical,
        unit_std; per trainable kernel: grad_names, grad_norms, weight_norms; grad_norm_ratio
        (first kernel over last), max_abs_weight, batchnorm (statistics per layer),
        batch_stats (outputs with BatchNormalization on these rows' statistics), gates
        (saturation per recurrent layer), notes.
    """
    with np.errstate(all="ignore"):  # a diverged network overflows norms on purpose
        return _network_facts(model, x, y, facts, prober or Prober(model, facts), threshold,
                              gradients)


def _network_facts(model, x, y, facts, prober, threshold, gradients):
    x = take(x, slice(None), np.float32)
    measured = interpret(y, facts)
    variables = model.weights
    weights = [np.asarray(w) for w in variables]  # each variable read once
    values = {id(v): w for v, w in zip(variables, weights)}
    reading = prober.read(x, y, gradients=gradients, values=values)
    outputs, task, targets = reading.outputs, measured.task, measured.targets
    hidden = [u.values for u in reading.units]
    kernels = _kernels(model, values)
    result = metrics.network_metrics(outputs, targets, hidden, kernels, task,
                                     train_targets=targets, threshold=threshold)
    finite_weights = all(np.all(np.isfinite(w)) for w in weights)
    diverged = not (np.all(np.isfinite(outputs)) and finite_weights)
    result["measured_task"] = task
    result["mismatches"] = [code for code, _ in measured.mismatches]
    result["mismatch_notes"] = [text for _, text in measured.mismatches]
    result["diverged"] = bool(diverged)
    result["baseline_loss"] = _baseline_loss(targets, task, outputs.shape[1])
    result.update(_one_class(outputs, measured, diverged, labels_collapsed(y, measured)))
    result["layers"] = [u.name for u in reading.units]
    result["layer_kinds"] = [u.kind for u in reading.units]
    result["layer_activations"] = [u.activation for u in reading.units]
    result["dead_share"] = [float(np.mean(metrics.unit_is_dead(h))) for h in hidden]
    result["similarity"] = _per_layer([metrics.neuron_similarity(h) for h in hidden])
    result["unit_std"] = [float(np.nanmean(np.std(h, axis=0))) if np.all(np.isfinite(h))
                          else math.nan for h in hidden]
    result["identical"] = [identical_units(u.kernel, u.bias) if u.kernel is not None
                           else False for u in reading.units]
    result["weight_norms"] = [float(np.linalg.norm(k)) for k in kernels]
    result["max_abs_weight"] = float(max((np.abs(w).max() for w in weights if w.size),
                                         default=0.0)) if finite_weights else math.inf
    result["grad_names"], result["grad_norms"], result["grad_norm_ratio"] = [], [], math.nan
    if reading.grads:
        result["grad_names"] = [name for name, _ in reading.grads]
        result["grad_norms"] = [math.nan if g is None else float(np.linalg.norm(g))
                                for _, g in reading.grads]
        first, last = reading.grads[0][1], reading.grads[-1][1]
        if first is not None and last is not None:
            result["grad_norm_ratio"] = metrics.grad_norm_ratio(first, last)
    result["batchnorm"] = reading.batchnorm
    result["batch_stats"] = None
    if reading.batch_stats_outputs is not None:
        batch = metrics.network_metrics(reading.batch_stats_outputs, targets, [], [], task,
                                        threshold=threshold)
        batch.update(_one_class(reading.batch_stats_outputs, measured, False))
        result["batch_stats"] = {key: batch.get(key) for key in (
            "rel_output_std", "collapsed", "majority_fraction", "one_class",
            "balanced_accuracy")}
    result["gates"] = reading.gates
    result["notes"] = reading.notes
    result["kind"] = collapse_kind(result)
    return result


def _one_class(outputs, measured, diverged, labels_one_class=False):
    """Whether the network gives one class to >= 99% of rows whatever the class shares, with
    a balanced accuracy near chance (the decision collapse a 1% minority hides); also where y
    varies but the labels the loss reads are one class (`labels_one_class`)."""
    labels = measured.labels
    if labels is None or diverged or not np.all(np.isfinite(outputs)):
        return {"one_class": False, "chance": None}
    k = outputs.shape[1]
    classes = (outputs.argmax(axis=1) if k > 1 else (outputs[:, 0] >= 0.5).astype(int))
    present = len(np.unique(labels))
    chance = 1.0 / present if present else math.nan
    majority = float(np.bincount(classes).max() / len(classes))
    if present < 2:
        return {"one_class": bool(labels_one_class and majority >= metrics.DECISION_THRESHOLD),
                "chance": chance}
    balanced = metrics.balanced_accuracy(classes, labels)
    return {"one_class": bool(majority >= metrics.DECISION_THRESHOLD
                              and balanced < chance + DECISION_CHANCE_MARGIN),
            "chance": chance, "balanced_accuracy_all": balanced}


def _baseline_loss(targets, task, n_out):
    """Loss of the best constant prediction (class shares, or the mean), as a yardstick."""
    n = len(targets)
    if task == "regression":
        t = np.asarray(targets, dtype=np.float64).reshape(n, -1)
        return metrics.mean_squared_error(np.broadcast_to(t.mean(axis=0), t.shape), t)
    if task == "binary":
        p = float(np.mean(targets))
        return metrics.binary_crossentropy(np.full(n, p), targets)
    shares = np.bincount(targets, minlength=n_out) / n
    return metrics.categorical_crossentropy(np.broadcast_to(shares, (n, n_out)),
                                            np.eye(n_out)[targets])


def collapse_kind(measured):
    """'diverged', 'output', 'decision' or 'none' for a network_facts result."""
    if measured["diverged"]:
        return "diverged"
    if measured["collapsed"]:
        return "output"
    if measured.get("decision_collapsed") or measured.get("one_class"):
        return "decision"
    return "none"
