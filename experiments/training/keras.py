"""The reference path: one Keras network at a time with `model.fit`.

Example:
    python run.py init=constant lr=10
"""

import math

import keras
import tensorflow as tf

from experiments.training.common import epoch_orders, fit_targets, history_rows, network_result
from experiments.training.keras_probe import Probe
from experiments.variants.dataset import make_dataset
from experiments.variants.model import HEADS, build_model, model_layers
from experiments.variants.optimizer import make_optimizer


def epoch_batches(x, y, orders, batch_size):
    """A tf.data stream of every epoch's batches in `orders`, epoch after epoch."""
    stream = None
    for order in orders:
        part = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch_size)
        stream = part if stream is None else stream.concatenate(part)
    return stream


class _History(keras.callbacks.Callback):
    def __init__(self, probe):
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
    vocab = getattr(data, "vocab_size", 0)
    model = build_model(cfg, data.x_train.shape[1:], data.task, data.n_classes, seed, vocab)
    model.compile(optimizer=make_optimizer(cfg.optimizer, cfg.lr), loss=HEADS[data.task][1])
    probe = Probe(model, data, cfg.collapse_threshold,
                  model_layers(cfg, data.task, data.n_classes, vocab))
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
