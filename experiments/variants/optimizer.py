"""Optimizers: the `optimizer` config group, with Keras's default hyper-parameters."""

from experiments.variants.registry import Registry

OPTIMIZER = Registry("optimizer")


@OPTIMIZER.register("sgd")
def sgd(lr, params):
    import keras  # TensorFlow loads only when a network is built

    return keras.optimizers.SGD(learning_rate=lr)


@OPTIMIZER.register("momentum")
def momentum(lr, params):
    import keras  # TensorFlow loads only when a network is built

    return keras.optimizers.SGD(learning_rate=lr, momentum=params["momentum"])


@OPTIMIZER.register("adam")
def adam(lr, params):
    import keras  # TensorFlow loads only when a network is built

    return keras.optimizers.Adam(learning_rate=lr)


@OPTIMIZER.register("rmsprop")
def rmsprop(lr, params):
    import keras  # TensorFlow loads only when a network is built

    return keras.optimizers.RMSprop(learning_rate=lr)


def make_optimizer(cfg_opt, lr):
    """Keras optimizer for the `optimizer` config node and learning rate `lr`."""
    return OPTIMIZER.get(cfg_opt["name"])(float(lr), cfg_opt)
