"""Reading a model on given rows: outputs, every unit layer's activations, gradients of every
trainable weight, BatchNormalization statistics and recurrent gates.

Any Keras 3 model is read the same way: each leaf layer's `call` (nested models opened up) is
wrapped for one forward pass, so the input and output of every layer are seen as the model
computes them: Sequential, functional with branches, a model nested in another, subclassed.
A chain of Dense layers is read by the float64 numpy pass of experiments.doctor.numpy_chain
instead (faster, no tracing).

Example:
    reading = Prober(model, facts).read(x, y)
    reading.outputs, [u.name for u in reading.units], reading.grads
"""

import contextlib
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from experiments.doctor import numpy_chain, targets
from experiments.doctor.structure import (
    ACTIVATION_LAYERS,
    NORMALIZATION_LAYERS,
    activation_name,
    leaf_layers,
    unit_kind,
)

MAX_POSITION_ROWS = 65_536  # rows x positions kept per conv/sequence layer for unit metrics
GATE_ROWS = 256  # rows whose recurrent gates are recomputed
SATURATED = 0.01  # a sigmoid gate below this or above 1 - this, a tanh beyond 1 - this


@dataclass
class UnitLayer:
    """One layer of units: its activations as (rows, units), rows = inputs x positions."""

    name: str
    kind: str  # dense, conv or recurrent
    activation: str
    values: np.ndarray
    kernel: np.ndarray = None  # (fan_in, units) for the identical-units check, or None
    bias: np.ndarray = None


@dataclass
class Reading:
    outputs: np.ndarray  # (n, k) after the output activation
    units: list = field(default_factory=list)  # UnitLayer, hidden layers in call order
    grads: list = None  # [(weight name, gradient array)] of kernel-like weights, or None
    batchnorm: list = field(default_factory=list)  # per BatchNormalization layer
    gates: list = field(default_factory=list)  # per recurrent layer
    batch_stats_outputs: np.ndarray = None  # outputs with BatchNorm on batch statistics
    notes: list = field(default_factory=list)


@contextlib.contextmanager
def recording(model, record, edit=None):
    """Every leaf layer's call appends (layer, first input, output) to `record`; `edit`
    (layer, call, args, kwargs) -> output may replace a call."""
    layers = list(dict.fromkeys(_all_layers(model)))
    patched = []
    try:
        for layer in layers:
            original = layer.call

            def wrapper(*args, _call=original, _layer=layer, **kwargs):
                if edit is not None:
                    out = edit(_layer, _call, args, kwargs)
                else:
                    out = _call(*args, **kwargs)
                record.append((_layer, args[0] if args else None, out))
                return out

            layer.call = wrapper
            patched.append(layer)
        yield record
    finally:
        for layer in patched:
            with contextlib.suppress(AttributeError):
                del layer.call


def _all_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        yield layer


def _array(value):
    if isinstance(value, (list, tuple)):
        value = value[0]
    return np.asarray(value)


def _kind(layer):
    return type(layer).__name__


def unit_layers(record, final):
    """[(layer, activation source tensor, activation name)] of the hidden unit layers.

    A unit layer with a linear activation followed by normalization, dropout or an
    activation layer fed by it (Conv2D -> BatchNormalization -> ReLU) has its units'
    activations at the first activation layer of that chain. The layer whose units are the
    model's output (the head) is left out.
    """
    first = {}
    for i, (layer, _, _) in enumerate(record):
        first.setdefault(id(layer), i)
    chosen = []
    for i, (layer, _, out) in enumerate(record):
        if first[id(layer)] != i or unit_kind(layer) is None:
            continue
        name = _unit_activation(layer)
        source, tensor = out, out
        if name == "linear":
            for later, given, out2 in record[i + 1:]:
                if given is not tensor:
                    continue
                kind = _kind(later)
                if kind in ACTIVATION_LAYERS:
                    source, name = out2, activation_name(later)
                    break
                if kind in NORMALIZATION_LAYERS or kind in ("Dropout", "SpatialDropout1D",
                                                            "SpatialDropout2D"):
                    tensor = out2
                    continue
                break
        if source is final or tensor is final:
            continue
        chosen.append((layer, source, name))
    return chosen


def _unit_activation(layer):
    if _kind(layer) == "Bidirectional":
        return activation_name(layer.forward_layer) or "tanh"
    return activation_name(layer) or "linear"


def _rows_and_units(values, rows_cap=MAX_POSITION_ROWS):
    """(n, ..., units) -> (rows, units), keeping whole inputs up to rows_cap rows."""
    values = np.asarray(values, np.float64)
    if values.ndim <= 2:
        return values.reshape(len(values), -1)
    per_input = int(np.prod(values.shape[1:-1]))
    keep = max(1, min(len(values), rows_cap // max(per_input, 1)))
    return values[:keep].reshape(-1, values.shape[-1])


def _kernel_of(layer):
    """(fan_in, units) kernel and bias for the identical-units check, or (None, None)."""
    kind = unit_kind(layer)
    if kind in ("dense", "conv") and hasattr(layer, "kernel") and _kind(layer) in (
            "Dense", "Conv1D", "Conv2D", "Conv3D"):
        kernel = np.asarray(layer.kernel)
        bias = np.asarray(layer.bias) if getattr(layer, "use_bias", False) else None
        return kernel.reshape(-1, kernel.shape[-1]), bias
    cell = getattr(layer, "cell", None)
    if kind == "recurrent" and cell is not None and hasattr(cell, "kernel"):
        units = int(cell.units)
        kernel = np.asarray(cell.kernel)
        recurrent = np.asarray(cell.recurrent_kernel)
        stacked = np.concatenate([kernel.reshape(-1, units), recurrent.reshape(-1, units)])
        return stacked, None
    return None, None


# -----------------------------------------------------------------------------
# BatchNormalization and recurrent gates


def batchnorm_statistics(layer, given):
    """The data's statistics at a BatchNormalization layer against its moving statistics.

    Returns:
        dict: layer, mean_shift (largest |data mean - moving mean| / moving std over
        channels), var_ratio_median / _min / _max (data variance over moving variance).
    """
    x = np.asarray(given, np.float64)
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    axis = axis % x.ndim
    reduce = tuple(a for a in range(x.ndim) if a != axis)
    mean, var = x.mean(axis=reduce), x.var(axis=reduce)
    moving_mean = np.asarray(layer.moving_mean, np.float64).reshape(-1)
    moving_var = np.asarray(layer.moving_variance, np.float64).reshape(-1)
    eps = float(layer.epsilon)
    ratio = var / (moving_var + eps)
    return {"layer": layer.name,
            "mean_shift": float(np.max(np.abs(mean - moving_mean) / np.sqrt(moving_var + eps))),
            "var_ratio_median": float(np.median(ratio)), "var_ratio_min": float(ratio.min()),
            "var_ratio_max": float(ratio.max())}


def _sigmoid_named(name):
    if name in ("hard_sigmoid",):
        return lambda z: np.clip(z / 6.0 + 0.5, 0.0, 1.0)
    return numpy_chain.sigmoid


def _cell_gates(cell, sequence):
    """Recompute a cell's gates over a (n, T, features) sequence in float64 numpy.

    Returns:
        dict gate name -> (n, T, units) values (sigmoid gates, and 'candidate' for tanh).
    """
    kind = type(cell).__name__.replace("Cell", "")
    units = int(cell.units)
    w = np.asarray(cell.kernel, np.float64)
    u = np.asarray(cell.recurrent_kernel, np.float64)
    b = np.asarray(cell.bias, np.float64) if cell.use_bias else None
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}.get(
        activation_name(cell) or "tanh", np.tanh)
    rec = _sigmoid_named(getattr(getattr(cell, "recurrent_activation", None), "__name__", ""))
    n, steps, _ = sequence.shape
    h = np.zeros((n, units))
    c = np.zeros((n, units))
    out = {}

    def keep(name, value, t):
        out.setdefault(name, np.empty((n, steps, units)))[:, t] = value

    for t in range(steps):
        xt = sequence[:, t]
        if kind == "LSTM":
            z = xt @ w + h @ u + (0 if b is None else b)
            i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
            i, f, o, g = rec(i), rec(f), rec(o), act(g)
            c = f * c + i * g
            h = o * act(c)
            for name, value in (("input", i), ("forget", f), ("output", o), ("candidate", g)):
                keep(name, value, t)
        elif kind == "GRU":
            bx, bh = (b[0], b[1]) if b is not None and b.ndim == 2 else (b, None)
            zx = xt @ w + (0 if bx is None else bx)
            zh = h @ u + (0 if bh is None else bh)
            update = rec(zx[:, :units] + zh[:, :units])
            reset = rec(zx[:, units:2 * units] + zh[:, units:2 * units])
            if getattr(cell, "reset_after", True):
                cand = act(zx[:, 2 * units:] + reset * zh[:, 2 * units:])
            else:
                cand = act(zx[:, 2 * units:] + (reset * h) @ u[:, 2 * units:]
                           + (0 if bh is None else bh[2 * units:]))
            h = update * h + (1 - update) * cand
            for name, value in (("update", update), ("reset", reset), ("candidate", cand)):
                keep(name, value, t)
        else:  # SimpleRNN
            h = act(xt @ w + h @ u + (0 if b is None else b))
            keep("candidate", h, t)
    return out


def recurrent_gates(layer, given):
    """Share of saturated gate values of a recurrent layer on its input sequence.

    Returns:
        dict: layer, cell, and per gate the share of values < SATURATED or > 1 - SATURATED
        (sigmoid gates) or beyond +-(1 - SATURATED) (tanh candidate); None if the layer's
        input is not a (n, T, features) sequence.
    """
    sequence = np.asarray(given, np.float64)
    if sequence.ndim != 3:
        return None
    sequence = sequence[:GATE_ROWS]
    cells = []
    if _kind(layer) == "Bidirectional":
        cells = [(layer.forward_layer.cell, sequence),
                 (layer.backward_layer.cell, sequence[:, ::-1])]
    elif hasattr(layer, "cell"):
        cells = [(layer.cell, sequence)]
    shares = {}
    for cell, seq in cells:
        if not hasattr(cell, "kernel"):
            return None
        for name, values in _cell_gates(cell, seq).items():
            if name == "candidate":
                saturated = np.abs(values) > 1 - SATURATED
            else:
                saturated = (values < SATURATED) | (values > 1 - SATURATED)
            shares.setdefault(name, []).append(float(np.mean(saturated)))
    return {"layer": layer.name, "cell": type(cells[0][0]).__name__ if cells else None,
            **{name: float(np.mean(v)) for name, v in shares.items()}}


# -----------------------------------------------------------------------------
# the prober


class Prober:
    """Reads a model's outputs, unit activations, gradients and statistics on given rows.

    The TensorFlow pass runs eagerly: the wrapped calls are what makes every layer visible.
    """

    def __init__(self, model, facts):
        self.model, self.facts = model, facts
        self.has_batchnorm = any(_kind(layer) == "BatchNormalization"
                                 for layer in leaf_layers(model))
        self.chain = None
        if facts.get("consistent", True) and not self.has_batchnorm:
            self.chain = numpy_chain.NumpyChain.build(model, facts)
        self._loss = None

    # the loss the model trains with, on y as the user gives it

    def _loss_value(self, y, pred):
        """Mean loss of `pred` for y: the compiled loss on y as the user trained with it,
        else (uncompiled, or y it does not take) the task's usual loss on formatted y."""
        if self._loss is None:
            self._loss = targets.loss_callable(self.model, self.facts)
        fn, form = self._loss
        if form == "as_given":
            try:
                return tf.reduce_mean(fn(tf.constant(targets.loss_form(y, self.facts, form)),
                                         pred))
            except Exception:  # noqa: BLE001 - y the compiled loss does not take
                pass
        fn = targets.loss_function(self.facts, y)
        return tf.reduce_mean(fn(tf.constant(targets.loss_targets(y, self.facts, fn)), pred))

    def _forward(self, x, y, gradients):
        record = []
        weights = [w for w in self.model.trainable_weights if len(w.shape) >= 2]
        with tf.GradientTape() as tape:
            with recording(self.model, record):
                out = self.model(x, training=False)
            loss = self._loss_value(y, out) if gradients else None
        grads = tape.gradient(loss, weights) if gradients else None
        if grads is not None:
            grads = [None if g is None else tf.convert_to_tensor(g) for g in grads]
        return out, record, grads, [w.path if hasattr(w, "path") else w.name for w in weights]

    def read(self, x, y, gradients=True, values=None):
        """A Reading of the model on rows x (targets y as the user gives them)."""
        multi = isinstance(x, (list, tuple))
        n = len(x[0]) if multi else len(x)
        if self.chain is not None and not multi and self._fits_chain(y):
            return self._read_chain(x, y, gradients, values)
        notes = []
        x_in = [tf.constant(a) for a in x] if multi else tf.constant(x)
        try:
            out, record, grads, names = self._forward(x_in, y, gradients)
        except Exception as exc:  # a loss that does not accept these targets
            if not gradients:
                raise
            notes.append(f"gradients not measured: the loss does not take y as given "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
            out, record, grads, names = self._forward(x_in, y, False)
        outputs = _array(out).astype(np.float64).reshape(n, -1)
        outputs = targets.as_probabilities(outputs, self.facts)
        reading = Reading(outputs=outputs, notes=notes)
        for layer, source, name in unit_layers(record, out if not isinstance(
                out, (list, tuple)) else out[0]):
            kernel, bias = _kernel_of(layer)
            reading.units.append(UnitLayer(layer.name, unit_kind(layer), name,
                                           _rows_and_units(_array(source)), kernel, bias))
        if grads is not None:
            reading.grads = [(name, None if g is None else np.asarray(g))
                             for name, g in zip(names, grads)
                             if not _is_embedding_weight(name)]
        seen = set()
        for layer, given, _ in record:
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            kind = _kind(layer)
            try:
                if kind == "BatchNormalization":
                    reading.batchnorm.append(batchnorm_statistics(layer, _array(given)))
                elif kind in ("LSTM", "GRU", "SimpleRNN", "Bidirectional"):
                    gates = recurrent_gates(layer, _array(given))
                    if gates:
                        reading.gates.append(gates)
            except Exception as exc:  # an unusual configuration of the layer
                reading.notes.append(f"{layer.name} ({kind}) not measured: "
                                     f"{type(exc).__name__}")
        if self.has_batchnorm:
            reading.batch_stats_outputs = self._batch_statistics_pass(x_in, n)
        return reading

    def _batch_statistics_pass(self, x, n):
        """Outputs with every BatchNormalization layer normalizing by the statistics of these
        rows (as in training) and dropout off; the moving statistics are left as they were."""
        bns = [layer for layer in leaf_layers(self.model)
               if _kind(layer) == "BatchNormalization"]
        saved = [(v, np.asarray(v)) for layer in bns for v in layer.non_trainable_weights]

        def edit(layer, call, args, kwargs):
            kind = _kind(layer)
            if kind == "BatchNormalization":
                return call(*args, **{**kwargs, "training": True})
            if kind.startswith("Dropout") or kind.startswith("SpatialDropout") or kind in (
                    "GaussianNoise", "GaussianDropout", "AlphaDropout"):
                return args[0]
            return call(*args, **kwargs)

        try:
            with recording(self.model, [], edit=edit):
                out = self.model(x, training=False)
            return targets.as_probabilities(
                _array(out).astype(np.float64).reshape(n, -1), self.facts)
        except Exception:  # noqa: BLE001 - the comparison is evidence, never required
            return None
        finally:
            for variable, value in saved:
                variable.assign(value)

    def _fits_chain(self, y):
        """Whether y is in a form the numpy chain's loss takes (else TensorFlow reads)."""
        columns = int(np.prod(np.shape(y)[1:])) if np.ndim(y) > 1 else 1
        if columns not in (1, self.facts["output_units"]):
            return False
        try:
            return not targets.interpret(y, self.facts).mismatches
        except targets.DoctorInputError:
            return False

    def _read_chain(self, x, y, gradients, values):
        fn = self.chain
        y_loss = None
        if gradients:
            y_loss = targets.loss_form(y, self.facts, "chain")
        out, post, grads = fn.read(x, y_loss, gradients, values)
        reading = Reading(outputs=out)
        for (layer, name, _, _), h in zip(fn.steps[:-1], post):
            value = (values or {}).get(id(layer.kernel))
            kernel = np.asarray(layer.kernel if value is None else value)
            bias = None
            if layer.use_bias:
                found = (values or {}).get(id(layer.bias))
                bias = np.asarray(layer.bias if found is None else found)
            reading.units.append(UnitLayer(layer.name, "dense", name, h, kernel, bias))
        if grads is not None:
            reading.grads = [(layer.kernel.path if hasattr(layer.kernel, "path")
                              else layer.name, g) for (layer, _, _, _), g in zip(fn.steps, grads)]
        return reading


def _is_embedding_weight(name):
    return "embedding" in name.lower()
