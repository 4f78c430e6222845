"""AUTOTRAINER's detection rules, as the baseline the doctor is benchmarked against.

AUTOTRAINER (Zhang, Zhai, Ma, Shen: "AUTOTRAINER: An Automatic DNN Training Problem Detection
and Repair System", ICSE 2021) watches training and detects five problems: vanishing gradient,
exploding gradient, dying ReLU, oscillating loss, slow convergence. This module re-implements
its detection, rule for rule, from the authors' code (github.com/shiningrain/AUTOTRAINER,
AutoTrainer/utils/monitor.py, utils.py and modules.py at commit 04f4033, the version with the
paper's five problems), with its default parameters:

  * every `CHECK_EVERY` = 3 epochs (epoch index % 3 == 0), on the gradients of the loss
    (penalties included, inference mode) for the first `batch_size` training rows:
      - vanish   if ||g(first kernel)|| / ||g(last kernel)|| < beta_1 = 1e-3
                 and ||g(first kernel)|| < beta_2 = 1e-4
      - explode  if that ratio > beta_3 = 70
      - relu     if >= gamma = 70% of all gradient entries (kernels and biases) are exactly 0
      - NaN in gradients or weights;
  * from 30% of the epochs on, on the per-epoch history (train loss and accuracy as Keras logs
    them, validation loss and accuracy):
      - NaN loss, or validation loss >= 1e5
      - unstable: accuracy alternates between local maxima and minima >= zeta = 0.03 apart at
        least eta = 20% of the epochs (`ol_judge`)
      - not converged: best validation or training accuracy < Theta = 0.7
      - slow convergence: no epoch raised validation and training accuracy by delta = 0.01;
  * a problem is reported at the first check where: NaN -> explode; otherwise, if not
    converged or slowly converging: relu, else explode, else vanish, else (slow convergence)
    not_converge; otherwise unstable -> unstable. Counters accumulate over checks (a rule
    counts once it fired at any check). Of several problems the highest priority is kept
    (vanish/explode/relu over not_converge/unstable; the authors' `filtered_issue`).

Where the original is ambiguous this module says so: the authors' issue list goes through
`set()`, whose order varies between processes; here problems keep the order they were found in.
AUTOTRAINER names problems, not causes: `PROBLEM_CAUSE` maps each problem to the cause of the
doctor's vocabulary that the repair AUTOTRAINER applies for it addresses.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from experiments import metrics

PARAMS = {"beta_1": 1e-3, "beta_2": 1e-4, "beta_3": 70, "gamma": 0.7, "zeta": 0.03,
          "eta": 0.2, "delta": 0.01, "Theta": 0.7}
CHECK_EVERY = 3
JUDGMENT_POINT = 0.3
LARGE_LOSS = 1e5
PRIORITY = {"vanish": 2, "explode": 2, "relu": 2, "not_converge": 1, "unstable": 1}
# AUTOTRAINER's repairs: vanish -> ReLU/BN/He init; explode -> lower lr, clipping; relu ->
# LeakyReLU/lower lr; unstable -> lower lr / Adam; not_converge -> higher lr / Adam.
PROBLEM_CAUSE = {"vanish": "vanishing_gradients", "explode": "learning_rate_too_high",
                 "relu": "dead_relu", "unstable": "learning_rate_too_high",
                 "not_converge": "learning_rate_too_low"}


def _has_nan(values):
    values = np.asarray(values, dtype=np.float64)
    return bool(np.isnan(values).any() or np.isinf(values).any())


def max_delta_acc(acc):
    """Largest rise of accuracy from one epoch to the next (0 if it never rose)."""
    return max([0.0] + [acc[i + 1] - acc[i] for i in range(len(acc) - 1)])


def ol_judge(acc, threshold, rate):
    """The authors' oscillating-loss rule on an accuracy history."""
    maximum, minimum = [], []
    for i in range(1, len(acc) - 1):
        if acc[i] - acc[i - 1] >= 0 and acc[i] - acc[i + 1] >= 0:
            maximum.append(acc[i])
        if acc[i] - acc[i - 1] <= 0 and acc[i] - acc[i + 1] <= 0:
            minimum.append(acc[i])
    count = sum(maximum[i] - minimum[i] >= threshold
                for i in range(min(len(maximum), len(minimum))))
    return count >= rate * len(acc)


class Features:
    """AUTOTRAINER's feature dict, updated at every check."""

    def __init__(self):
        self.nan_loss = self.nan_gradient = self.nan_weight = False
        self.unstable_loss = self.not_converge = self.sc_accuracy = False
        self.died_relu = self.vanish_gradient = self.explode_gradient = 0

    def gradients(self, grads, params=PARAMS):
        """grads: Keras trainable-weight order (kernel, bias, kernel, bias, ...)."""
        if any(_has_nan(g) for g in grads):
            self.nan_gradient = True
            return
        total = sum(g.size for g in grads)
        zero_share = sum(int(np.sum(g == 0)) for g in grads) / total
        kernels = [np.linalg.norm(np.asarray(g, np.float64)) for g in grads[0::2]]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.float64(kernels[0]) / np.float64(kernels[-1])
        if ratio < params["beta_1"] and kernels[0] < params["beta_2"]:
            self.vanish_gradient += 1
        if ratio > params["beta_3"]:
            self.explode_gradient += 1
        if zero_share >= params["gamma"]:
            self.died_relu += 1

    def weights(self, weights):
        if any(_has_nan(w) for w in weights):
            self.nan_weight = True

    def history(self, history, total_epochs, params=PARAMS):
        loss, acc = history["loss"], history["acc"]
        val_loss, val_acc = history["val_loss"], history["val_acc"]
        if not loss:
            return
        if _has_nan(val_loss) or _has_nan(loss) or val_loss[-1] >= LARGE_LOSS:
            self.nan_loss = True
            return
        if len(loss) >= JUDGMENT_POINT * total_epochs:
            if ol_judge(acc, params["zeta"], params["eta"]):
                self.unstable_loss = True
            if max(val_acc) < params["Theta"] or max(acc) < params["Theta"]:
                self.not_converge = True
            if max_delta_acc(val_acc) < params["delta"] and max_delta_acc(acc) < params["delta"]:
                self.sc_accuracy = True

    def problems(self):
        """The problems AUTOTRAINER's `determine` reports now, highest priority kept."""
        found = []
        if self.nan_loss or self.nan_weight or self.nan_gradient:
            found.append("explode")
        if self.not_converge or self.sc_accuracy:
            if self.died_relu >= 1:
                found.append("relu")
            elif self.explode_gradient >= 1:
                found.append("explode")
            elif self.vanish_gradient >= 1:
                found.append("vanish")
            elif self.sc_accuracy:
                found.append("not_converge")
        elif self.unstable_loss:
            found.append("unstable")
        kept = []
        for problem in dict.fromkeys(found):  # the authors' filtered_issue
            if not kept or PRIORITY[problem] > PRIORITY[kept[0]]:
                kept = [problem]
        return kept


class AutoTrainerRules(keras.callbacks.Callback):
    """AUTOTRAINER's monitor as a Keras callback (detection only: training is not stopped).

    The model must be compiled with metrics=["accuracy"] (AUTOTRAINER reads the training
    accuracy Keras logs).

    Attributes:
        problems: the problems of the first check that found any ([] if none).
        epoch_found: epoch index of that check, or None.
        history: loss, acc, val_loss, val_acc per epoch.
    """

    def __init__(self, x_train, y_fit, x_val, y_val_fit, val_labels, task, batch_size,
                 total_epochs, params=PARAMS, check_every=CHECK_EVERY):
        """Args:
            x_train, y_fit: training rows and their targets as the loss takes them.
            x_val, y_val_fit, val_labels: validation rows, targets for the loss, labels.
            task: 'binary' or 'multiclass' (AUTOTRAINER needs accuracy).
        """
        super().__init__()
        self.x_first = tf.constant(np.asarray(x_train[:batch_size], np.float32))
        self.y_first = tf.constant(np.asarray(y_fit[:batch_size], np.float32))
        self.x_val = tf.constant(np.asarray(x_val, np.float32))
        self.y_val_fit, self.val_labels, self.task = y_val_fit, val_labels, task
        self.total_epochs, self.thresholds, self.check_every = total_epochs, params, check_every
        self.history = {"loss": [], "acc": [], "val_loss": [], "val_acc": []}
        self.features = Features()
        self.problems, self.epoch_found = [], None

    def _validation(self):
        probs = np.asarray(self.model(self.x_val, training=False), np.float64)
        if self.task == "binary":
            loss = metrics.binary_crossentropy(probs, self.y_val_fit)
        else:
            loss = metrics.categorical_crossentropy(probs, self.y_val_fit)
        acc = metrics.accuracy(metrics.predicted_classes(probs), self.val_labels)
        return loss, acc

    def _gradients(self):
        weights = self.model.trainable_weights
        with tf.GradientTape() as tape:
            pred = self.model(self.x_first, training=False)
            loss = tf.reduce_mean(self.model.loss(self.y_first, pred)) if callable(
                self.model.loss) else tf.reduce_mean(
                keras.losses.get(self.model.loss)(self.y_first, pred))
            if self.model.losses:
                loss = loss + tf.add_n(self.model.losses)
        return [np.asarray(g) for g in tape.gradient(loss, weights)]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val_loss, val_acc = self._validation()
        self.history["loss"].append(float(logs.get("loss", math.nan)))
        self.history["acc"].append(float(logs.get("accuracy", math.nan)))
        self.history["val_loss"].append(val_loss)
        self.history["val_acc"].append(val_acc)
        if epoch % self.check_every or self.problems:
            return
        self.features.gradients(self._gradients(), self.thresholds)
        self.features.weights([np.asarray(w) for w in self.model.weights])
        self.features.history(self.history, self.total_epochs, self.thresholds)
        problems = self.features.problems()
        if problems:
            self.problems, self.epoch_found = problems, epoch
