"""Weight initializers: the `init` config group.

Every Dense kernel of the network (output layer included) uses the chosen initializer; biases
start at zero, as Keras does by default.
"""

import keras

from experiments.registry import Registry

INIT = Registry("init")


@INIT.register("zeros")
def zeros(params, seed):
    return keras.initializers.Zeros()


@INIT.register("constant")
def constant(params, seed):
    return keras.initializers.Constant(params["value"])


@INIT.register("random_normal")
@INIT.register("random_normal_large")
def random_normal(params, seed):
    return keras.initializers.RandomNormal(mean=0.0, stddev=params["stddev"], seed=seed)


def _keras_builtin(name, keras_cls):
    @INIT.register(name)
    def make(params, seed):
        return keras_cls(seed=seed)

    return make


for _name, _cls in {
    "glorot": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "he_normal": keras.initializers.HeNormal,
    "he_uniform": keras.initializers.HeUniform,
    "lecun_normal": keras.initializers.LecunNormal,
    "orthogonal": keras.initializers.Orthogonal,
}.items():
    _keras_builtin(_name, _cls)


def make_initializer(cfg_init, seed):
    """Keras initializer for the `init` config node, seeded for one layer."""
    return INIT.get(cfg_init["name"])(cfg_init, seed)
