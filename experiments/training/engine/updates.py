"""Optimizer updates as Keras 3's update_step computes them (same operations, same order,
float32), for every member at once: (param, gradient, first slot, second slot, constants,
step) -> new (p, m, v).
"""

import numpy as np
import tensorflow as tf

# Keras's defaults for the optimizers built by experiments.variants.optimizer.
ADAM_BETA_1, ADAM_BETA_2, RMSPROP_RHO, EPSILON = 0.9, 0.999, 0.9, 1e-7


def _sgd(p, g, m, v, c, step):
    return p - g * c["lr"], m, v


def _momentum(p, g, m, v, c, step):
    # SGD(momentum=mu): m <- mu * m - lr * g, then p <- p + m (not Nesterov).
    m = m * c["momentum"] - g * c["lr"]
    return p + m, m, v


def _adam(p, g, m, v, c, step):
    # Keras's Adam: the bias correction folded into the step size alpha, epsilon outside the
    # square root; `step` is optimizer.iterations before the update.
    local_step = tf.cast(step + 1, tf.float32)
    beta_1_power = tf.pow(tf.constant(ADAM_BETA_1, tf.float32), local_step)
    beta_2_power = tf.pow(tf.constant(ADAM_BETA_2, tf.float32), local_step)
    alpha = c["lr"] * tf.sqrt(1.0 - beta_2_power) / (1.0 - beta_1_power)
    m = m + (g - m) * np.float32(1 - ADAM_BETA_1)
    v = v + (tf.square(g) - v) * np.float32(1 - ADAM_BETA_2)
    return p - (m * alpha) / (tf.sqrt(v) + np.float32(EPSILON)), m, v


def _rmsprop(p, g, m, v, c, step):
    # Keras's RMSprop, not centered, no momentum: epsilon inside the square root.
    v = np.float32(RMSPROP_RHO) * v + np.float32(1 - RMSPROP_RHO) * tf.square(g)
    return p - (c["lr"] * g) / tf.sqrt(v + np.float32(EPSILON)), m, v


UPDATES = {"sgd": _sgd, "momentum": _momentum, "adam": _adam, "rmsprop": _rmsprop}
OPTIMIZERS = tuple(UPDATES)  # a member's index in it selects its rule
