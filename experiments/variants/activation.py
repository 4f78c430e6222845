"""Hidden-layer activations: the `activation` config group (names are Keras's)."""

from experiments.variants.registry import Registry

ACTIVATION = Registry("activation")

for _name in ["relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "linear"]:
    ACTIVATION.register(_name)(_name)


def keras_activation(name):
    """The Keras activation identifier for option `name`."""
    return ACTIVATION.get(name)
