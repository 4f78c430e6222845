"""Optimizers: the `optimizer` config group, with Keras's default hyper-parameters.

`clipnorm` (every option; null: none) clips each gradient tensor to that L2 norm before the
update, as Keras's optimizer argument of that name does.
"""

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
    optimizer = OPTIMIZER.get(cfg_opt["name"])(float(lr), cfg_opt)
    clipnorm = cfg_opt.get("clipnorm")
    if clipnorm is not None:
        optimizer.clipnorm = float(clipnorm)
    return optimizer
