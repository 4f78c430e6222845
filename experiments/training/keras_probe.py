"""The Keras path's probe: a trained Keras network's activations, kernels and gradients read
on fixed inputs, in the form the metrics take (experiments.metrics), for every model of the
architecture record (experiments.variants.architecture).

Unit form, the one layout the metrics read: a hidden layer's activations as (rows, units),
where a Conv2D layer's rows are inputs x positions and its units its channels (a dead channel
is constant over inputs and positions) and a recurrent layer returning sequences has rows
inputs x steps; a kernel as (fan_in, units): a Conv2D kernel (k, k, in, filters) as
(k * k * in, filters), a recurrent layer's input and recurrent kernels stacked per unit
(experiments.recurrent.unit_kernel). Metrics not defined for a model are NaN by these rules:
dead_relu_fraction counts Dense and Conv2D units only; input_correlation needs a Dense or
Conv2D last hidden layer; jacobian_gain needs the last two hidden layers Dense;
channel_similarity needs a Conv2D layer; saturated_gates an LSTM or GRU layer.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from experiments import metrics, recurrent
from experiments.training.common import fit_targets
from experiments.variants.architecture import GATES, HEADS, hidden_layers, weighted_layers
from experiments.variants.dataset import Data


def unit_form(values):
    """(n, ..., units) activations -> (rows, units) float64."""
    values = np.asarray(values, np.float64)
    return values.reshape(-1, values.shape[-1])


def layer_kernel(layer, spec):
    """A Keras layer's kernel in unit form (fan_in, units)."""
    if spec.kind == "recurrent":
        return recurrent.unit_kernel(np.asarray(layer.cell.kernel),
                                     np.asarray(layer.cell.recurrent_kernel), GATES[spec.cell])
    kernel = np.asarray(layer.kernel)
    return kernel.reshape(-1, kernel.shape[-1])


def _kernel_variable(layer, spec):
    return layer.cell.kernel if spec.kind == "recurrent" else layer.kernel


class Probe:
    """Reads a network built by build_model (its layers named hidden_i / output, with
    batchnorm_i / activation_i after hidden layer i) on the evaluation inputs."""

    def __init__(self, model, data: Data, threshold, specs):
        self.model, self.data, self.threshold = model, data, threshold
        self.hidden_specs = hidden_layers(specs)
        self.kernel_specs = [s for s in weighted_layers(specs) if s.kind != "embedding"]
        self.layers = {s.index: model.get_layer("output" if s.head else f"hidden_{s.index}")
                       for s in self.kernel_specs}
        names = {layer.name for layer in model.layers}
        tensors = []
        for spec in self.hidden_specs:
            layer = self.layers[spec.index]
            post = (model.get_layer(f"activation_{spec.index}").output
                    if f"activation_{spec.index}" in names else layer.output)
            pre = (model.get_layer(f"batchnorm_{spec.index}").output
                   if f"batchnorm_{spec.index}" in names else None)
            tensors += [layer.input, post] + ([pre] if pre is not None else [])
        self.probe_model = keras.Model(model.inputs[0], tensors + [model.outputs[0]])
        # Recurrent models are read as a graph: eagerly, their step loop runs in Python (~0.2 s
        # a read, against 0.01 s). Others eagerly, as the engine's probes compute them (a graph
        # may fuse the products differently: ~1e-7 apart, enough to flip a tied AUROC).
        self._call = lambda x: self.probe_model(x, training=False)
        if any(s.kind == "recurrent" for s in specs):
            self._call = tf.function(self._call, autograph=False)
        self.loss_fn = keras.losses.get(HEADS[data.task][1])
        self.y_eval_fit = fit_targets(data, data.y_eval)

    def read(self, x):
        """[(input, activation, pre-activation or None)] of every hidden layer and the
        outputs on inputs x (training=False)."""
        values = self._call(tf.convert_to_tensor(x))
        values = [values] if not isinstance(values, (list, tuple)) else list(values)
        out, i = [], 0
        for spec in self.hidden_specs:
            has_pre = not spec.fused
            out.append((values[i], values[i + 1], values[i + 2] if has_pre else None))
            i += 3 if has_pre else 2
        return out, np.asarray(values[-1], np.float64)

    def _pre(self, spec, layer_input, pre):
        """A Dense / Conv2D layer's pre-activation (BatchNormalization's output with
        batchnorm) and its activation's slope phi' there, float32 numpy; None for recurrent
        layers."""
        if spec.kind == "recurrent":
            return None, None
        layer = self.layers[spec.index]
        if pre is None:
            x = tf.convert_to_tensor(layer_input)
            z = (tf.matmul(x, layer.kernel) if spec.kind == "dense"
                 else layer.convolution_op(x, layer.kernel))
            if layer.use_bias:
                z = z + layer.bias
        else:
            z = tf.convert_to_tensor(pre)
        activation = (layer.activation if spec.fused
                      else self.model.get_layer(f"activation_{spec.index}").activation)
        with tf.GradientTape() as tape:  # an elementwise activation: d sum / dz = phi'(z)
            tape.watch(z)
            h = activation(z)
        return np.asarray(z), np.asarray(tape.gradient(h, z))

    def measure(self, full=True):
        """Collapse metrics on the evaluation inputs, as network_metrics returns them.

        Args:
            full: also the gradient metrics (grad_norm_ratio, zero_grad_fraction), the
                pre-activation metrics and the gates; the history needs none of them.
        """
        read, outputs = self.read(self.data.x_eval)
        hidden = [unit_form(post) for _, post, _ in read]
        kernels = [layer_kernel(self.layers[s.index], s) for s in self.kernel_specs]
        out = metrics.network_metrics(outputs, self.data.y_eval, hidden, kernels,
                                      self.data.task, train_targets=self.data.y_train,
                                      threshold=self.threshold)
        convs = [h for h, s in zip(hidden, self.hidden_specs, strict=True) if s.kind == "conv2d"]
        out["channel_similarity"] = (metrics.neuron_similarity(convs[-1]) if convs
                                     else math.nan)
        out["saturated_gates"] = self._saturated_gates(read) if full else math.nan
        if full:
            grads = self.kernel_grads()
            out["grad_norm_ratio"] = metrics.grad_norm_ratio(grads[0], grads[-1])
            out["zero_grad_fraction"] = metrics.zero_grad_fraction(grads)
            train_read, _ = self.read(self.data.x_train)
            train_pre = [self._pre(s, inp, pre)[0]
                         for s, (inp, _, pre) in zip(self.hidden_specs, train_read, strict=True)]
            out["dead_relu_fraction"] = metrics.dead_relu_fraction(
                [unit_form(z) for z in train_pre if z is not None])
            pres = [self._pre(s, inp, pre)
                    for s, (inp, _, pre) in zip(self.hidden_specs, read, strict=True)]
            last = pres[-1][0] if pres else None
            out["input_correlation"] = (metrics.input_correlation(last.reshape(len(last), -1))
                                        if last is not None else math.nan)
            dense_tail = (len(self.hidden_specs) >= 2
                          and all(s.kind == "dense" for s in self.hidden_specs[-2:]))
            out["jacobian_gain"] = (metrics.jacobian_gain(pres[-2][1], kernels[-2])
                                    if dense_tail else math.nan)
        return out

    def _saturated_gates(self, read):
        values = []
        for spec, (layer_input, _, _) in zip(self.hidden_specs, read, strict=True):
            if spec.kind == "recurrent" and spec.cell != "simple":
                cell = self.layers[spec.index].cell
                bias = np.asarray(cell.bias) if cell.use_bias else None
                values.append(recurrent.gates(spec.cell, np.asarray(layer_input),
                                              np.asarray(cell.kernel),
                                              np.asarray(cell.recurrent_kernel), bias))
        return metrics.saturated_gates(values)

    def kernel_grads(self):
        """Gradients of the mean evaluation loss (training=False) wrt every kernel, numpy."""
        kernels = [_kernel_variable(self.layers[s.index], s) for s in self.kernel_specs]
        with tf.GradientTape() as tape:
            outputs = self.model(self.data.x_eval, training=False)
            loss = tf.reduce_mean(self.loss_fn(self.y_eval_fit, outputs))
        return [np.asarray(g) for g in tape.gradient(loss, kernels)]
