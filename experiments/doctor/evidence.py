"""What the doctor looks at: the model's configuration, the data, and the network on the data.

Three plain-dict records, JSON-able, each from one function:
  * `model_facts(model)`: layers, activations, initializers, regularizers, optimizer, learning
    rate and loss, as the saved model says (nothing is guessed where the file is silent);
  * `data_facts(x, y, task)`: size, input scale, class shares, duplicates, and how well the
    labels follow the inputs (leave-one-out nearest neighbours);
  * `network_facts(model, x, y, facts)`: the project's collapse metrics (experiments.metrics,
    the same functions the sweeps score with) plus per-layer dead units, identical units,
    gradient and weight norms.

Example:
    facts = model_facts(model)
    data = data_facts(x, y, facts["task"])
    net = network_facts(model, x, y, facts)
"""

import math

import keras
import numpy as np
import tensorflow as tf

from experiments import metrics
from experiments.variants.model import HEADS

MAX_ROWS = 2048  # rows the network is measured on (a seeded sample of larger data)
KNN_ROWS = 2000  # rows the label check uses
KNN_NEIGHBOURS = 5
MAX_FEATURES_LISTED = 100  # per-feature scales listed in the report
SAME_VALUE_INITIALIZERS = ("Zeros", "Ones", "Constant")
SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign", "hard_tanh")
RELU_FAMILY = ("relu", "relu6")
ACTIVATION_LAYERS = ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax")
ADAPTIVE_OPTIMIZERS = ("adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad", "adadelta",
                       "adafactor", "ftrl", "lion", "lamb", "muon")


class DoctorInputError(ValueError):
    """Input the doctor cannot work with; the message is one line saying what to change."""


# -----------------------------------------------------------------------------
# the model's configuration


def leaf_layers(model):
    """Every layer of the model in order, nested models opened up."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += leaf_layers(layer)
        else:
            out.append(layer)
    return out


def activation_name(layer):
    """Name of a layer's activation function ('linear' for none), or None if it has none."""
    kind = type(layer).__name__
    if kind in ("ReLU",):
        return "relu"
    if kind in ("LeakyReLU", "ELU", "PReLU"):
        return {"LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu"}[kind]
    if kind == "Softmax":
        return "softmax"
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    return getattr(fn, "__name__", type(fn).__name__)


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


def _feeds(layer, following):
    """Whether `following` takes exactly `layer`'s output as its input."""
    try:
        return following.input is layer.output
    except (AttributeError, ValueError):
        return False


def dense_units(model):
    """[(dense layer, layer giving its units' activations, activation name)] in order.

    A Dense layer with a linear activation followed directly by an activation layer
    (Dense(10) then ReLU()) has its units' activations at that following layer.
    """
    layers = leaf_layers(model)
    out = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Dense):
            continue
        source, name = layer, activation_name(layer)
        following = layers[i + 1] if i + 1 < len(layers) else None
        if (name == "linear" and following is not None
                and type(following).__name__ in ACTIVATION_LAYERS and _feeds(layer, following)):
            source, name = following, activation_name(following)
        out.append((layer, source, name))
    return out


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


def model_facts(model):
    """The model's configuration as the file holds it.

    Returns:
        dict with layers (name, kind, units, activation, kernel_initializer, regularizer),
        dense (indices into layers of Dense layers), hidden_activations, depth (hidden Dense
        layers), output_units, output_activation, task, loss, from_logits, optimizer,
        learning_rate, momentum, max_l1, max_l2 (largest penalty factors), notes.
    """
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise DoctorInputError(
            f"the model has {len(model.inputs)} inputs and {len(model.outputs)} outputs; the "
            "doctor reads models with one input and one output")
    notes = []
    layers = []
    for layer in leaf_layers(model):
        kind = type(layer).__name__
        row = {"name": layer.name, "kind": kind, "activation": activation_name(layer)}
        if isinstance(layer, keras.layers.Dense):
            row.update(units=int(layer.units),
                       kernel_initializer=_initializer(layer.kernel_initializer),
                       bias_initializer=_initializer(layer.bias_initializer)
                       if layer.use_bias else None,
                       regularizer=_regularizer(layer.kernel_regularizer))
        elif kind == "Dropout":
            row["rate"] = float(layer.rate)
        elif getattr(layer, "weights", None) and kind not in ACTIVATION_LAYERS:
            notes.append(f"layer {layer.name} ({kind}) is not Dense: its weights are checked "
                         "for NaN/inf, its units and gradients are not measured")
        layers.append(row)
    units = dense_units(model)
    if not units:
        notes.append("no Dense layer: only the outputs are measured")
    hidden = units[:-1]
    out_layer = units[-1] if units else None
    output_activation = activation_name(leaf_layers(model)[-1]) if leaf_layers(model) else None
    if output_activation in (None, "linear") and out_layer is not None:
        output_activation = out_layer[2]
    output_units = int(model.outputs[0].shape[-1] or 1)
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
    return {
        "layers": layers,
        "hidden_activations": [name for _, _, name in hidden],
        "depth": len(hidden),
        "widths": [int(dense.units) for dense, _, _ in hidden],
        "output_units": output_units,
        "output_activation": output_activation,
        "task": _task(loss, output_activation, output_units),
        "loss": loss,
        "from_logits": from_logits,
        "optimizer": opt_name,
        "learning_rate": learning_rate(optimizer),
        "momentum": momentum,
        "max_l1": max((r["l1"] for r in regs), default=0.0),
        "max_l2": max((r["l2"] for r in regs), default=0.0),
        "same_value_init": sorted({
            f"{row['name']}: {row['kernel_initializer']['name']}" for row in layers
            if (row.get("kernel_initializer") or {}).get("name") in SAME_VALUE_INITIALIZERS}),
        "notes": notes,
    }


# -----------------------------------------------------------------------------
# the data


def labels_of(y, task, output_units):
    """Integer class labels (n,) from 0/1, integer or one-hot targets; None for regression."""
    if task == "regression":
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1).astype(np.int64)
    flat = y.reshape(len(y), -1)[:, 0].astype(np.float64)
    if task == "binary" and output_units == 1:
        return (flat >= 0.5).astype(np.int64)
    return np.rint(flat).astype(np.int64)


def check_data(x, y, facts, input_shape):
    """Raise DoctorInputError, one line, for data the model cannot be measured on."""
    for name, arr in (("x", x), ("y", y)):
        if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
            raise DoctorInputError(f"{name} has dtype {arr.dtype}; the doctor needs numbers")
        if arr.ndim == 0:
            raise DoctorInputError(f"{name} is a scalar; it needs one row per example")
    if len(x) == 0:
        raise DoctorInputError("x has no rows")
    if len(x) != len(y):
        raise DoctorInputError(f"x has {len(x)} rows but y has {len(y)}; they must match "
                               "row for row")
    expected = tuple(input_shape[1:])
    if len(expected) != x.ndim - 1 or any(
            e is not None and e != a for e, a in zip(expected, x.shape[1:])):
        shape = ", ".join("n" if e is None else str(e) for e in (None, *expected))
        raise DoctorInputError(f"x has shape {x.shape} but the model takes ({shape})")
    for name, arr in (("x", x), ("y", y)):
        bad = int(np.size(arr) - np.isfinite(arr.astype(np.float64)).sum())
        if bad:
            raise DoctorInputError(f"{name} holds {bad} NaN or inf values; remove or impute "
                                   "them first")
    task, units = facts["task"], facts["output_units"]
    if task == "regression":
        return
    y2 = y.reshape(len(y), -1)
    if y2.shape[1] > 1:
        if y2.shape[1] != units:
            raise DoctorInputError(f"y has {y2.shape[1]} columns but the model has {units} "
                                   "outputs")
        return
    values = y2[:, 0].astype(np.float64)
    if not np.all(values == np.rint(values)):
        raise DoctorInputError(f"y holds non-integer values but the model is a {task} "
                               "classifier; give class labels 0, 1, ...")
    high = 1 if units == 1 else units - 1
    if values.min() < 0 or values.max() > high:
        raise DoctorInputError(f"y holds labels {int(values.min())}..{int(values.max())} but "
                               f"the model's {units} output unit(s) allow 0..{high}")


def _flat(x):
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


def label_predictability(x, labels=None, targets=None, seed=0):
    """How well a row's label follows from its nearest neighbours' (1 = fully, 0 = chance).

    Classification: leave-one-out agreement a of a row's label with its k nearest rows
    (standardized inputs), against chance agreement c = sum of squared class shares:
    (a - c) / (1 - c). Regression: R^2 of the neighbours' mean target. NaN for < 10 rows.
    """
    from sklearn.neighbors import NearestNeighbors

    flat = _flat(x)
    n = len(flat)
    if n < 10:
        return math.nan
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=KNN_ROWS, replace=False)) if n > KNN_ROWS else np.arange(n)
    flat = flat[rows]
    std = flat.std(axis=0)
    flat = (flat - flat.mean(axis=0)) / np.where(std > 0, std, 1.0)
    k = min(KNN_NEIGHBOURS, len(flat) - 1)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(flat).kneighbors(flat)
    neighbours = idx[:, 1:]  # the first is the row itself (or an exact copy of it)
    if labels is not None:
        lab = np.asarray(labels)[rows]
        agree = float(np.mean(lab[neighbours] == lab[:, None]))
        shares = np.bincount(lab) / len(lab)
        chance = float(np.sum(shares**2))
        return math.nan if chance >= 1 else (agree - chance) / (1 - chance)
    t = np.asarray(targets, dtype=np.float64).reshape(n, -1)[rows]
    pred = t[neighbours].mean(axis=1)
    ss_tot = float(np.sum((t - t.mean(axis=0)) ** 2))
    return math.nan if ss_tot == 0 else 1.0 - float(np.sum((t - pred) ** 2)) / ss_tot


def data_facts(x, y, task, output_units=1):
    """Size, scale, class shares, duplicates and label predictability of the data.

    Returns:
        dict with n_rows, n_features, input_rms (root-mean-square of each feature, shift
        included; the first MAX_FEATURES_LISTED), input_rms_max (the largest),
        input_std_max, input_abs_mean_max, input_scale_ratio (largest over smallest non-zero
        feature std), constant_features, duplicate_share (rows that repeat an earlier row),
        class_shares, majority_share, n_classes (classification) and label_predictability.
    """
    flat = _flat(x)
    std = flat.std(axis=0)
    live = std[std > 0]
    unique = len(np.unique(flat, axis=0)) if len(flat) <= 100_000 else len(flat)
    rms = np.sqrt((flat**2).mean(axis=0))
    out = {
        "n_rows": int(len(flat)),
        "n_features": int(flat.shape[1]),
        "input_rms": [float(f"{v:.4g}") for v in rms[:MAX_FEATURES_LISTED]],
        "input_rms_max": float(rms.max()),
        "input_std_max": float(std.max()),
        "input_abs_mean_max": float(np.abs(flat.mean(axis=0)).max()),
        "input_scale_ratio": float(live.max() / live.min()) if len(live) else math.nan,
        "constant_features": int((std == 0).sum()),
        "duplicate_share": 1.0 - unique / len(flat),
    }
    labels = labels_of(y, task, output_units)
    if labels is not None:
        counts = np.bincount(labels, minlength=max(2, output_units))
        shares = counts / counts.sum()
        out.update(class_shares=[round(float(s), 6) for s in shares],
                   majority_share=float(shares.max()), n_classes=int(len(shares)))
        out["label_predictability"] = label_predictability(x, labels=labels)
    else:
        out["label_predictability"] = label_predictability(x, targets=y)
    return out


# -----------------------------------------------------------------------------
# the network on the data


def sample_rows(n, max_rows=MAX_ROWS, seed=0):
    """Sorted indices of at most max_rows rows (all rows if n <= max_rows)."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def _one_hot_rows(y):
    y = np.asarray(y)
    return y.ndim == 2 and y.shape[1] > 1


def loss_function(facts, y):
    """The Keras loss the model trains with (the compiled one, else the task's usual one)."""
    task, name = facts["task"], facts["loss"]
    if facts["from_logits"] and task in ("binary", "multiclass"):
        if task == "binary":
            return keras.losses.BinaryCrossentropy(from_logits=True)
        if name and "sparse" in name or not _one_hot_rows(y) and not name:
            return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return keras.losses.CategoricalCrossentropy(from_logits=True)
    if name:
        try:
            return keras.losses.get(name)
        except (ValueError, TypeError):
            pass
    if task == "multiclass" and not _one_hot_rows(y):
        return keras.losses.get("sparse_categorical_crossentropy")
    return keras.losses.get(HEADS[task][1])


def loss_targets(y, facts, loss_fn):
    """y in the form `loss_fn` takes: labels for sparse losses, one-hot rows for categorical
    ones, a float column for binary and regression."""
    y = np.asarray(y)
    name = (getattr(loss_fn, "name", None) or getattr(loss_fn, "__name__", "")).lower()
    if facts["task"] == "multiclass":
        if "sparse" in name:
            return (np.argmax(y, axis=1) if _one_hot_rows(y) else y.reshape(len(y))).astype(
                np.int64)
        if not _one_hot_rows(y):
            labels = y.reshape(len(y)).astype(np.int64)
            return np.eye(facts["output_units"], dtype=np.float32)[labels]
        return y.astype(np.float32)
    if y.ndim == 1:
        return y.astype(np.float32).reshape(-1, 1)
    return y.astype(np.float32)


# -----------------------------------------------------------------------------
# a numpy pass for chains of Dense layers (no TensorFlow call, no tracing)

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def _gelu(z):
    from scipy.special import erf

    return 0.5 * z * (1.0 + erf(z / math.sqrt(2.0)))


def _gelu_slope(z, a):
    from scipy.special import erf

    return 0.5 * (1.0 + erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(
        2.0 * math.pi)


def _activation_table(slope):
    """name -> (f(z), f'(z) from z and a = f(z)), Keras's definitions; `slope` of leaky_relu."""
    return {
        "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
        "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
        "leaky_relu": (lambda z: np.where(z > 0, z, slope * z),
                       lambda z, a: np.where(z > 0, 1.0, slope)),
        "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
                lambda z, a: np.where(z > 0, 1.0, a + 1.0)),
        "selu": (lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(
            np.minimum(z, 0.0))),
                 lambda z, a: np.where(z > 0, SELU_SCALE, a + SELU_SCALE * SELU_ALPHA)),
        "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),
        "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
        "softplus": (lambda z: np.logaddexp(0.0, z), lambda z, a: _sigmoid(z)),
        "silu": (lambda z: z * _sigmoid(z),
                 lambda z, a: _sigmoid(z) * (1.0 + z * (1.0 - _sigmoid(z)))),
        "gelu": (_gelu, _gelu_slope),
    }


# Output activation + loss pairs whose gradient wrt the output pre-activation is
# scale * (p - y): cross-entropy on sigmoid/softmax, squared error on a linear output.
_OUTPUT_LOSSES = {("sigmoid", "binary"), ("softmax", "multiclass"), ("linear", "regression")}


class _NumpyChain:
    """Forward and backward pass of a chain of Dense layers in float64 numpy.

    Used when every layer is Dense, Dropout (inference: identity), InputLayer or an activation
    layer right after a linear Dense, each feeding the next, with activations of
    `_activation_table`, and the output activation and loss pair in `_OUTPUT_LOSSES`: the
    gradient of the mean loss is then (p - y) scaled, back-propagated through the layers.
    `build` returns None for any other model (the TensorFlow pass is used instead).
    """

    def __init__(self, steps, task, loss):
        self.steps, self.task, self.loss = steps, task, loss  # steps: (dense, name, f, f')

    @classmethod
    def build(cls, model, facts):
        if facts["task"] not in ("binary", "multiclass", "regression"):
            return None
        loss = (facts["loss"] or HEADS[facts["task"]][1]).lower()
        squared = loss in ("mse", "mean_squared_error")
        if not (squared or "crossentropy" in loss):
            return None
        steps = []
        for layer in leaf_layers(model):
            kind = type(layer).__name__
            if kind in ("InputLayer", "Dropout"):
                continue
            if isinstance(layer, keras.layers.Dense):
                units = [u for u in dense_units(model) if u[0] is layer]
                if not units or getattr(layer, "quantization_mode", None):
                    return None
                steps.append([layer, units[0][2], units[0][1]])
                continue
            if kind in ACTIVATION_LAYERS and steps and steps[-1][2] is layer:
                continue  # folded into the Dense before it
            return None
        out = []
        for layer, name, source in steps:
            slope = float(getattr(source, "negative_slope", 0.2)) if source is not layer else 0.2
            if name == "elu" and float(getattr(source, "alpha", 1.0)) != 1.0:
                return None
            table = _activation_table(slope)
            if layer is not steps[-1][0] and name not in table:
                return None
            out.append((layer, name, *table.get(name, (None, None))))
        last = out[-1][1] if out else None
        if facts["from_logits"] and last == "linear":
            last = {"binary": "sigmoid", "multiclass": "softmax"}.get(facts["task"], last)
        if (last, facts["task"]) not in _OUTPUT_LOSSES or (squared != (last == "linear")):
            return None
        return cls(out, facts["task"], loss)

    def read(self, x, y_loss, gradients=True, values=None):
        """(outputs, [hidden], kernel gradients or None) like Prober.read; `values` maps
        id(variable) to its value already read (reading a variable costs ~0.1 ms)."""
        values = values or {}

        def value(variable):
            found = values.get(id(variable))
            return np.asarray(variable if found is None else found, np.float64)

        h = np.asarray(x, np.float64).reshape(len(x), -1)
        inputs, pre, post, kernels = [], [], [], []
        for i, (layer, _, f, _) in enumerate(self.steps):
            kernel = value(layer.kernel)
            kernels.append(kernel)
            z = h @ kernel
            if layer.use_bias:
                z = z + value(layer.bias)
            inputs.append(h)
            pre.append(z)
            if i < len(self.steps) - 1:
                h = f(z)
                post.append(h)
        z = pre[-1]
        if self.task == "binary":
            out = _sigmoid(z)
        elif self.task == "multiclass":
            out = _softmax(z)
        else:
            out = z
        if not gradients:
            return out, post, None
        n, k = out.shape
        target = np.asarray(y_loss, np.float64).reshape(n, -1)
        if self.task == "multiclass" and target.shape[1] == 1:  # labels of a sparse loss
            target = np.eye(k)[target[:, 0].astype(np.int64)]
        if self.task == "binary":
            delta = (out - target) / (n * k)  # Keras averages over units, then rows
        elif self.task == "multiclass":
            delta = (out - target) / n
        else:
            delta = 2.0 * (out - target) / (n * k)
        grads = [None] * len(self.steps)
        for i in range(len(self.steps) - 1, -1, -1):
            grads[i] = inputs[i].T @ delta
            if i:
                _, _, _, slope = self.steps[i - 1]
                delta = (delta @ kernels[i].T) * slope(
                    pre[i - 1], post[i - 1])
        return out, post, grads


class Prober:
    """Reads a model's unit activations, outputs and kernel gradients on given rows.

    One forward pass gives both: the activations of every hidden Dense layer's units and the
    output, and (under a gradient tape) the gradient of the mean data loss, penalties left
    out, with respect to every Dense kernel. `compiled=True` runs that pass as one traced
    TensorFlow function: tracing costs ~0.1 s once, after which a pass takes well under a
    millisecond (the callback measures every epoch); eager is faster for a single pass.
    """

    def __init__(self, model, facts, compiled=False):
        self.model, self.facts = model, facts
        units = dense_units(model)
        self.dense = [dense for dense, _, _ in units]
        self.names = [dense.name for dense in self.dense[:-1]]
        self.activations = [name for _, _, name in units[:-1]]
        sources = [source.output for _, source, _ in units[:-1]]
        try:
            self.probe = keras.Model(model.inputs[0], [*sources, model.outputs[0]])
        except (ValueError, AttributeError):  # nested or subclassed models
            self.probe, self.names, self.activations = None, [], []
        self.loss_fn, self.compiled = None, compiled
        self._pass = {}
        self.chain = _NumpyChain.build(model, facts) if self.probe is not None else None

    def _forward(self, x):
        if self.probe is None:
            return [self.model(x, training=False)]
        values = self.probe(x, training=False)
        return list(values) if isinstance(values, (list, tuple)) else [values]

    def _forward_and_gradients(self, x, y):
        kernels = [dense.kernel for dense in self.dense]
        with tf.GradientTape() as tape:
            values = self._forward(x)
            loss = tf.reduce_mean(self.loss_fn(y, values[-1]))
        return values, tape.gradient(loss, kernels)

    def read(self, x, y, gradients=True, values=None):
        """(outputs after the output activation (n, k), [hidden (n, units)], kernel gradients
        or None), as float64 numpy arrays; `values`: id(variable) -> value, already read."""
        if gradients and self.loss_fn is None:
            self.loss_fn = loss_function(self.facts, y)
        if self.chain is not None:
            return self.chain.read(x, loss_targets(y, self.facts, self.loss_fn)
                                   if gradients else None, gradients, values)
        fn = self._forward_and_gradients if gradients else self._forward
        args = (tf.constant(x),) + ((tf.constant(loss_targets(y, self.facts, self.loss_fn)),)
                                    if gradients else ())
        if self.compiled:
            if gradients not in self._pass:
                self._pass[gradients] = tf.function(fn, autograph=False, reduce_retracing=True)
            fn = self._pass[gradients]
        result = fn(*args)
        values, grads = result if gradients else (result, None)
        *hidden, out = [np.asarray(v, np.float64).reshape(len(x), -1) for v in values]
        if self.facts["from_logits"]:
            out = (1 / (1 + np.exp(-out)) if self.facts["task"] == "binary"
                   else _softmax(out))
        if grads is not None:
            grads = [None if g is None else np.asarray(g) for g in grads]
        return out, hidden, grads


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _metric_targets(y, facts):
    """Targets as experiments.metrics takes them: int labels, or floats for regression."""
    if facts["task"] == "regression":
        return np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return labels_of(y, facts["task"], facts["output_units"])


def identical_units(kernel, bias=None, tol=1e-7):
    """Whether every unit of a Dense layer has the same incoming weights (and bias).

    Args:
        kernel: (fan_in, units) kernel; bias: (units,) or None.

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


def network_facts(model, x, y, facts, prober=None, threshold=metrics.COLLAPSE_THRESHOLD,
                  gradients=True):
    """The project's collapse metrics and per-layer measurements of the model on (x, y).

    Args:
        model: a Keras model; facts: model_facts(model); x, y: the rows to measure on
            (callers sample large data with sample_rows first).
        prober: a Prober to reuse (the callback keeps one); None builds one.
        threshold: rel_output_std below this is output collapse.
        gradients: also compute per-layer gradient norms (one backward pass).

    Returns:
        dict: the metrics of experiments.metrics.network_metrics (output_std, rel_output_std,
        collapsed, majority_fraction, decision_collapsed, dead_fraction, neuron_similarity,
        weight_spread, loss, score), baseline_loss (loss of always predicting the class
        shares or the mean), diverged, kind, and per hidden layer: layers, dead_share,
        similarity, identical; per Dense kernel: weight_norms, max_abs_weight, grad_norms;
        grad_norm_ratio (first kernel over last).
    """
    with np.errstate(all="ignore"):  # a diverged network overflows norms on purpose
        return _network_facts(model, x, y, facts, prober or Prober(model, facts), threshold,
                              gradients)


def _network_facts(model, x, y, facts, prober, threshold, gradients):
    x = np.asarray(x, dtype=np.float32)
    variables = model.weights
    weights = [np.asarray(w) for w in variables]  # each variable read once
    values = {id(v): w for v, w in zip(variables, weights)}
    outputs, hidden, grads = prober.read(x, y, gradients=gradients and bool(prober.dense),
                                         values=values)
    targets = _metric_targets(y, facts)
    task = facts["task"]
    def value(variable):
        return values[id(variable)] if id(variable) in values else np.asarray(variable)

    kernels = [value(d.kernel) for d in prober.dense]
    biases = [value(d.bias) if d.use_bias else None for d in prober.dense]
    result = metrics.network_metrics(outputs, targets, hidden, kernels, task,
                                     train_targets=targets, threshold=threshold)
    finite_weights = all(np.all(np.isfinite(w)) for w in weights)
    diverged = not (np.all(np.isfinite(outputs)) and finite_weights)
    result["diverged"] = bool(diverged)
    result["baseline_loss"] = _baseline_loss(targets, task, outputs.shape[1])
    result["layers"] = list(prober.names)
    result["layer_activations"] = list(prober.activations)
    result["dead_share"] = [float(np.mean(metrics.unit_is_dead(h))) for h in hidden]
    result["similarity"] = _per_layer([metrics.neuron_similarity(h) for h in hidden])
    result["unit_std"] = [float(np.nanmean(np.std(h, axis=0))) if np.all(np.isfinite(h))
                          else math.nan for h in hidden]
    result["identical"] = [identical_units(k, b) for k, b in zip(kernels[:-1], biases[:-1])]
    result["weight_norms"] = [float(np.linalg.norm(k)) for k in kernels]
    result["max_abs_weight"] = float(max((np.abs(w).max() for w in weights if w.size),
                                         default=0.0)) if finite_weights else math.inf
    result["grad_norms"], result["grad_norm_ratio"] = [], math.nan
    if grads is not None:
        result["grad_norms"] = [math.nan if g is None else float(np.linalg.norm(g))
                                for g in grads]
        if grads[0] is not None and grads[-1] is not None:
            result["grad_norm_ratio"] = metrics.grad_norm_ratio(grads[0], grads[-1])
    result["kind"] = collapse_kind(result)
    return result


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
    if measured.get("decision_collapsed"):
        return "decision"
    return "none"
