"""Regularization: the `regularization` config group.

`strength` is the L1/L2 factor (Keras's `l1`/`l2` argument) or, for dropout, the rate of the
Dropout layer placed after every hidden layer.
"""

from experiments.variants.registry import Registry

REGULARIZATION = Registry("regularization")


@REGULARIZATION.register("none")
def none(strength):
    return None, 0.0


@REGULARIZATION.register("l1")
def l1(strength):
    import keras  # TensorFlow loads only when a network is built

    return keras.regularizers.L1(strength), 0.0


@REGULARIZATION.register("l2")
def l2(strength):
    import keras  # TensorFlow loads only when a network is built

    return keras.regularizers.L2(strength), 0.0


@REGULARIZATION.register("l1_l2")
def l1_l2(strength):
    import keras  # TensorFlow loads only when a network is built

    return keras.regularizers.L1L2(l1=strength, l2=strength), 0.0


@REGULARIZATION.register("dropout")
def dropout(strength):
    return None, float(strength)


def make_regularization(cfg_reg):
    """(kernel regularizer or None, dropout rate) for the `regularization` config node."""
    return REGULARIZATION.get(cfg_reg["name"])(float(cfg_reg["strength"]))
