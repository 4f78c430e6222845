"""Bias initializers: the `bias_init` config group.

Applies to every Dense bias, hidden and output layers (none with `model.use_bias=false`).
Under `init=rai` the biases are part of RAI's draw (experiments.variants.init), not of this group.

Example:
    python run.py -m init=variance_scaling bias_init=normal bias_init.stddev=0.2236
"""

import numpy as np

from experiments.variants.init import NumpyInitializer, RandomizedAsymmetric, draw, layer_seed
from experiments.variants.registry import Registry

BIAS_INIT = Registry("bias_init")


class ConstantBias(NumpyInitializer):
    """Every bias `value` (Keras's Zeros and Constant give the same float32 numbers)."""

    def __init__(self, value):
        self.value = float(value)

    def draw(self, shape):
        return np.full(shape, self.value, np.float32)

    def get_config(self):
        return {"value": self.value}


class NormalBias(NumpyInitializer):
    """Biases N(0, stddev^2), from numpy's generator seeded with the layer's bias seed."""

    def __init__(self, stddev, seed):
        self.stddev, self.seed = float(stddev), int(seed)

    def draw(self, shape):
        return np.random.default_rng(self.seed).normal(0.0, self.stddev, size=shape).astype(
            np.float32)

    def get_config(self):
        return {"stddev": self.stddev, "seed": self.seed}


@BIAS_INIT.register("zeros")
def zeros(params, seed):
    return ConstantBias(0.0)


@BIAS_INIT.register("constant")
def constant(params, seed):
    return ConstantBias(params["value"])


@BIAS_INIT.register("normal")
def normal(params, seed):
    return NormalBias(params["stddev"], seed)


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


def layer_bias(cfg_init, cfg_bias, seed, layer, fan_in, units):
    """The float32 bias, shape (units,), of layer `layer` of the network of `seed`: what both
    training paths start from."""
    return draw(make_bias_initializer(cfg_init, cfg_bias, seed, layer, fan_in), (units,))
