"""Bias initializers: the `bias_init` config group.

Applies to every Dense bias, hidden and output layers (none with `model.use_bias=false`).
Under `init=rai` the biases are part of RAI's draw (experiments.init), not of this group.

Example:
    python run.py -m init=variance_scaling bias_init=normal bias_init.stddev=0.2236
"""

import keras

from experiments.init import RandomizedAsymmetric, layer_seed
from experiments.registry import Registry

BIAS_INIT = Registry("bias_init")


@BIAS_INIT.register("zeros")
def zeros(params, seed):
    return keras.initializers.Zeros()


@BIAS_INIT.register("constant")
def constant(params, seed):
    return keras.initializers.Constant(params["value"])


@BIAS_INIT.register("normal")
def normal(params, seed):
    return keras.initializers.RandomNormal(mean=0.0, stddev=params["stddev"], seed=seed)


def bias_option(cfg_init, cfg_bias):
    """The name the `bias_init` column records: 'rai' under init=rai, else the option."""
    return "rai" if cfg_init["name"] == "rai" else (cfg_bias or {"name": "zeros"})["name"]


def make_bias_initializer(cfg_init, cfg_bias, seed, layer, fan_in):
    """Keras initializer of one layer's bias.

    Args:
        cfg_init: the `init` node; cfg_bias: the `bias_init` node (None: zeros).
        seed: the network's seed; layer: 0 for the first hidden layer, depth for the output.
        fan_in: the layer's inputs (RAI draws kernel and bias as one matrix).
    """
    if cfg_init["name"] == "rai":
        return RandomizedAsymmetric(layer_seed(seed, layer), "bias", fan_in)
    cfg_bias = cfg_bias or {"name": "zeros"}
    return BIAS_INIT.get(cfg_bias["name"])(cfg_bias, layer_seed(seed, layer, "bias"))
