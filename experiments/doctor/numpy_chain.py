"""A float64 numpy forward and backward pass for chains of Dense layers.

The doctor reads a plain Dense network (the fault benchmark's, and most tabular models) with
this pass: no TensorFlow call and no tracing, ~10x faster than a TensorFlow pass for one read.
`NumpyChain.build` returns None for any other model; `experiments.doctor.probe` then uses
TensorFlow.
"""

import math

import keras
import numpy as np

from experiments.doctor.structure import ACTIVATION_LAYERS, dense_units, leaf_layers
from experiments.variants.model import HEADS

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def sigmoid(z):
    """Overflow-free logistic."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def softmax(z):
    """Row-wise softmax of a 2-D array."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


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
        "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
        "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
        "softplus": (lambda z: np.logaddexp(0.0, z), lambda z, a: sigmoid(z)),
        "silu": (lambda z: z * sigmoid(z),
                 lambda z, a: sigmoid(z) * (1.0 + z * (1.0 - sigmoid(z)))),
        "gelu": (_gelu, _gelu_slope),
    }


# Output activation + loss pairs whose gradient wrt the output pre-activation is
# scale * (p - y): cross-entropy on sigmoid/softmax, squared error on a linear output.
_OUTPUT_LOSSES = {("sigmoid", "binary"), ("softmax", "multiclass"), ("linear", "regression")}


class NumpyChain:
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
            out = sigmoid(z)
        elif self.task == "multiclass":
            out = softmax(z)
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
