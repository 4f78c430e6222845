"""The reference path: one Keras network at a time with `model.fit`.

Example:
    python run.py init=constant lr=10
"""

import math

import keras
import numpy as np
import tensorflow as tf

from experiments import metrics
from experiments.dataset import Data, make_dataset
from experiments.model import HEADS, build_model
from experiments.optimizer import make_optimizer

HISTORY_METRICS = ("rel_output_std", "dead_fraction", "neuron_similarity", "weight_spread")


def epoch_orders(n_train, epochs, seed):
    """The order in which each epoch visits the training rows; both engines use it."""
    rng = np.random.default_rng([seed, 1])
    return [rng.permutation(n_train) for _ in range(epochs)]


def epoch_batches(x, y, orders, batch_size):
    """A tf.data stream of every epoch's batches in `orders`, epoch after epoch."""
    stream = None
    for order in orders:
        part = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch_size)
        stream = part if stream is None else stream.concatenate(part)
    return stream


def fit_targets(data: Data, y):
    """Targets in the shape the Keras loss wants: one-hot for classes, a column otherwise."""
    if data.task == "multiclass":
        return np.eye(data.n_classes, dtype=np.float32)[y]
    return np.asarray(y, dtype=np.float32).reshape(-1, 1)


class Probe:
    """Reads a Sequential network's hidden activations, outputs and kernels on fixed inputs."""

    def __init__(self, model, data: Data, threshold):
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        self.hidden_model = keras.Model(model.inputs[0], [layer.output for layer in dense])
        self.dense, self.model, self.data, self.threshold = dense, model, data, threshold
        self.loss_fn = keras.losses.get(HEADS[data.task][1])
        self.y_eval_fit = fit_targets(data, data.y_eval)

    def measure(self):
        """All collapse metrics on the evaluation inputs, as network_metrics returns them."""
        *hidden, outputs = [np.asarray(a, np.float64) for a in self.hidden_model(
            self.data.x_eval, training=False)]
        kernels = [np.asarray(layer.kernel) for layer in self.dense]
        out = metrics.network_metrics(outputs, self.data.y_eval, hidden, kernels, self.data.task,
                                      train_targets=self.data.y_train, threshold=self.threshold)
        out["grad_norm_ratio"] = self.grad_norm_ratio()
        return out

    def grad_norm_ratio(self):
        first, last = self.dense[0].kernel, self.dense[-1].kernel
        with tf.GradientTape() as tape:
            outputs = self.model(self.data.x_eval, training=False)
            loss = tf.reduce_mean(self.loss_fn(self.y_eval_fit, outputs))
        g_first, g_last = tape.gradient(loss, [first, last])
        return metrics.grad_norm_ratio(np.asarray(g_first), np.asarray(g_last))


class _History(keras.callbacks.Callback):
    def __init__(self, probe: Probe):
        super().__init__()
        self.probe, self.rows = probe, []

    def record(self, epoch, train_loss, measured):
        self.rows.append((epoch, "loss", train_loss))
        self.rows.append((epoch, "eval_loss", measured["loss"]))
        self.rows += [(epoch, name, measured[name]) for name in HISTORY_METRICS]

    def on_epoch_end(self, epoch, logs=None):
        self.record(epoch + 1, float((logs or {}).get("loss", math.nan)), self.probe.measure())


def train_keras(cfg, seed):
    """Train one network of config `cfg` with `seed`.

    Returns:
        (result, history): result has every metric after training and with suffix `_init`,
        plus status, train_loss and n_samples; history is a list of (epoch, metric, value).
    """
    keras.utils.set_random_seed(seed)
    data = make_dataset(cfg.dataset, seed, cfg.eval_fraction)
    model = build_model(cfg, data.n_features, data.task, data.n_classes, seed)
    model.compile(optimizer=make_optimizer(cfg.optimizer, cfg.lr), loss=HEADS[data.task][1])
    probe = Probe(model, data, cfg.collapse_threshold)
    history = _History(probe)
    at_init = probe.measure()
    history.record(0, math.nan, at_init)
    n_train = len(data.x_train)
    orders = epoch_orders(n_train, cfg.epochs, seed)
    fit = model.fit(
        epoch_batches(data.x_train, fit_targets(data, data.y_train), orders, cfg.batch_size),
        epochs=cfg.epochs, steps_per_epoch=-(-n_train // cfg.batch_size), shuffle=False, verbose=0,
        callbacks=[history, keras.callbacks.TerminateOnNaN()],
    )
    final = probe.measure()
    losses = fit.history.get("loss", [math.nan])
    diverged = not all(math.isfinite(v) for v in losses) or not math.isfinite(final["output_std"])
    result = {**final, **{f"{k}_init": v for k, v in at_init.items() if k != "baseline_score"}}
    result.update(status="diverged" if diverged else "ok", train_loss=float(losses[-1]),
                  task=data.task, n_samples=data.n_samples)
    if diverged:
        result["collapsed"] = True
    return result, history.rows
