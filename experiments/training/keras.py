"""The reference path: one Keras network at a time with `model.fit`.

Example:
    python run.py init=constant lr=10
"""

import math

import keras
import numpy as np
import tensorflow as tf

from experiments import metrics
from experiments.training.common import epoch_orders, fit_targets, history_rows, network_result
from experiments.variants.dataset import Data, make_dataset
from experiments.variants.model import HEADS, build_model
from experiments.variants.optimizer import make_optimizer


def epoch_batches(x, y, orders, batch_size):
    """A tf.data stream of every epoch's batches in `orders`, epoch after epoch."""
    stream = None
    for order in orders:
        part = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch_size)
        stream = part if stream is None else stream.concatenate(part)
    return stream


class Probe:
    """Reads a Sequential network's hidden activations, outputs and kernels on fixed inputs."""

    def __init__(self, model, data: Data, threshold):
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        self.hidden_model = keras.Model(model.inputs[0], [layer.output for layer in dense])
        self.dense, self.model, self.data, self.threshold = dense, model, data, threshold
        self.loss_fn = keras.losses.get(HEADS[data.task][1])
        self.y_eval_fit = fit_targets(data, data.y_eval)

    def measure(self, full=True):
        """Collapse metrics on the evaluation inputs, as network_metrics returns them.

        Args:
            full: also the gradient metrics (grad_norm_ratio, zero_grad_fraction) and
                dead_relu_fraction (a pass over the training inputs); the history needs none.
        """
        *hidden, outputs = [np.asarray(a, np.float64) for a in self.hidden_model(
            self.data.x_eval, training=False)]
        kernels = [np.asarray(layer.kernel) for layer in self.dense]
        out = metrics.network_metrics(outputs, self.data.y_eval, hidden, kernels, self.data.task,
                                      train_targets=self.data.y_train, threshold=self.threshold)
        if full:
            grads = self.kernel_grads()
            out["grad_norm_ratio"] = metrics.grad_norm_ratio(grads[0], grads[-1])
            out["zero_grad_fraction"] = metrics.zero_grad_fraction(grads)
            out["dead_relu_fraction"] = metrics.dead_relu_fraction(
                self.pre_activations(self.data.x_train)[0])
            pre, slopes = self.pre_activations(self.data.x_eval)
            out["input_correlation"] = metrics.input_correlation(pre[-1]) if pre else math.nan
            out["jacobian_gain"] = (metrics.jacobian_gain(slopes[-2], kernels[-2])
                                    if len(pre) >= 2 else math.nan)
        return out

    def pre_activations(self, x):
        """Every hidden layer's pre-activation (inputs @ kernel + bias) on x and the slope
        phi' of its activation there: two lists of float32 (n, units) arrays."""
        h, pre, slopes = tf.convert_to_tensor(x), [], []
        for layer in self.dense[:-1]:
            z = tf.matmul(h, layer.kernel)
            if layer.use_bias:
                z = z + layer.bias
            with tf.GradientTape() as tape:  # an elementwise activation: d sum / dz = phi'(z)
                tape.watch(z)
                h = layer.activation(z)
            pre.append(z.numpy())
            slopes.append(tape.gradient(h, z).numpy())
        return pre, slopes

    def kernel_grads(self):
        """Gradients of the mean evaluation loss (training=False) wrt every kernel, numpy."""
        kernels = [layer.kernel for layer in self.dense]
        with tf.GradientTape() as tape:
            outputs = self.model(self.data.x_eval, training=False)
            loss = tf.reduce_mean(self.loss_fn(self.y_eval_fit, outputs))
        return [np.asarray(g) for g in tape.gradient(loss, kernels)]


class _History(keras.callbacks.Callback):
    def __init__(self, probe: Probe):
        super().__init__()
        self.probe, self.rows = probe, []

    def record(self, epoch, train_loss, measured):
        self.rows += history_rows(epoch, train_loss, measured)

    def on_epoch_end(self, epoch, logs=None):
        self.record(epoch + 1, float((logs or {}).get("loss", math.nan)),
                    self.probe.measure(full=False))


def train_keras(cfg, seed):
    """Train one network of config `cfg` with `seed` (epochs=0: measure it untrained).

    Returns:
        (result, history): result as network_result builds it; history is a list of
        (epoch, metric, value), epoch 0 at initialization.
    """
    keras.utils.set_random_seed(seed)
    data = make_dataset(cfg.dataset, seed, cfg.eval_fraction)
    model = build_model(cfg, data.n_features, data.task, data.n_classes, seed)
    model.compile(optimizer=make_optimizer(cfg.optimizer, cfg.lr), loss=HEADS[data.task][1])
    probe = Probe(model, data, cfg.collapse_threshold)
    history = _History(probe)
    at_init = probe.measure()
    history.record(0, math.nan, at_init)
    if cfg.epochs == 0:
        return network_result(at_init, at_init, [], data), history.rows
    n_train = len(data.x_train)
    orders = epoch_orders(n_train, cfg.epochs, seed)
    fit = model.fit(
        epoch_batches(data.x_train, fit_targets(data, data.y_train), orders, cfg.batch_size),
        epochs=cfg.epochs, steps_per_epoch=-(-n_train // cfg.batch_size), shuffle=False, verbose=0,
        callbacks=[history, keras.callbacks.TerminateOnNaN()],
    )
    losses = fit.history.get("loss", [math.nan])
    return network_result(probe.measure(), at_init, losses, data), history.rows
