"""Weight initializers: the `init` config group.

Every Dense kernel of the network (output layer included) uses the chosen initializer; biases
follow the `bias_init` group (experiments.variants.bias_init), except under `rai`, which draws each
layer's kernel and bias together.

Each layer draws from its own seed, `layer_seed(seed, layer)`: independent across replicates
and layers (with `seed + layer`, replicate r's layer l + 1 would be replicate r + 1's layer l).

Example:
    python run.py init=variance_scaling init.sigma_w=1.5 activation=tanh
"""

import numpy as np

from experiments.variants.registry import Registry

INIT = Registry("init")

# Random streams of one layer: its kernel, its bias, its dropout masks, a cell's recurrent kernel.
STREAMS = {"kernel": 0, "bias": 1, "dropout": 2, "recurrent": 3}
SEED_RANGE = 2**31 - 2  # Keras's TensorFlow backend takes seeds modulo int32 max - 1


def _mix64(x):
    """SplitMix64's finalizer: a bijection of 64-bit integers that scrambles every bit."""
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB % 2**64
    return x ^ (x >> 31)


def layer_seed(seed, layer, stream="kernel"):
    """The seed of one random draw of one layer of the network of `seed`.

    Args:
        seed: the network's seed (seed + replicate).
        layer: 0 for the first hidden layer, depth for the output layer.
        stream: 'kernel', 'bias', 'dropout' or 'recurrent'.

    Returns:
        int in [0, 2^31 - 2): (seed, layer, stream) hashed (SplitMix64, three rounds), so
        nearby seeds and layers give unrelated numbers.
    """
    x = _mix64((int(seed) + 0x9E3779B97F4A7C15) % 2**64)
    x = _mix64((x + int(layer) * 0x9E3779B97F4A7C15) % 2**64)
    x = _mix64((x + STREAMS[stream] + 1) % 2**64)
    return int(x % SEED_RANGE)


class NumpyInitializer:
    """An initializer whose numbers come from numpy (`draw`), seeded per layer.

    Both training paths get the very same float32 array: Keras through __call__, the batched
    engine through `draw` directly, skipping TensorFlow's per-call overhead (~0.3 ms), which
    would dominate evaluating thousands of small networks at initialization.

    Keras takes any callable with get_config/from_config as an initializer (and serializes it
    by module and class name), so this module need not import Keras: validating a sweep's
    configurations does not load TensorFlow.
    """

    def draw(self, shape):
        """float32 numpy array of `shape`."""
        raise NotImplementedError

    def __call__(self, shape, dtype=None):
        import keras

        return keras.ops.convert_to_tensor(self.draw(tuple(shape)), dtype)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ScaledNormal(NumpyInitializer):
    """Weights N(0, sigma_w^2 / fan_in), untruncated; fan_in = shape[0] of a kernel."""

    def __init__(self, sigma_w, seed):
        self.sigma_w, self.seed = float(sigma_w), int(seed)

    def draw(self, shape):
        stddev = self.sigma_w / np.sqrt(max(1, shape[0]))
        return np.random.default_rng(self.seed).normal(0.0, stddev, size=shape).astype(
            np.float32)

    def get_config(self):
        return {"sigma_w": self.sigma_w, "seed": self.seed}


def _keras_initializers():
    import keras  # TensorFlow loads only when a network is built

    return keras.initializers


@INIT.register("zeros")
def zeros(params, seed):
    return _keras_initializers().Zeros()


@INIT.register("constant")
def constant(params, seed):
    return _keras_initializers().Constant(params["value"])


@INIT.register("random_normal")
@INIT.register("random_normal_large")
def random_normal(params, seed):
    return _keras_initializers().RandomNormal(mean=0.0, stddev=params["stddev"], seed=seed)


@INIT.register("variance_scaling")
def variance_scaling(params, seed):
    """Weights N(0, sigma_w^2 / fan_in), untruncated: the mean-field papers' initialization
    (Keras's VarianceScaling(sigma_w^2, 'fan_in', 'untruncated_normal') in distribution;
    numbers from numpy, see NumpyInitializer)."""
    return ScaledNormal(params["sigma_w"], seed)


# Randomized asymmetric initialization (Lu, Shin, Su & Karniadakis 2020, "Dying ReLU and
# initialization: theory and numerical examples"): a layer's weights and biases form V = [W; b],
# one column per unit (fan_in + 1 entries: the bias is part of the unit's row in the paper's
# notation). In every column one entry, at a position drawn uniformly, comes from an
# asymmetric distribution with positive support, Beta(2, 1); the others from N(0, sigma^2),
# sigma = RAI_SIGMA / sqrt(fan_in + 1). RAI_SIGMA = 0.6007 is the paper's constant for
# Beta(2, 1): the root of the second-moment condition (experiments.theory.rai_scale, which
# gives 0.600747), so the scale is an upper bound's: the signal may shrink, it cannot grow.
RAI_ALPHA, RAI_BETA = 2.0, 1.0
RAI_SIGMA = 0.6007


def rai_draw(fan_in, units, seed):
    """One layer's RAI draw V = [W; b]: float32 (fan_in + 1, units), the last row the bias."""
    rng = np.random.default_rng(seed)
    v = rng.normal(0.0, RAI_SIGMA / np.sqrt(fan_in + 1), size=(fan_in + 1, units))
    positive = rng.integers(0, fan_in + 1, size=units)
    v[positive, np.arange(units)] = rng.beta(RAI_ALPHA, RAI_BETA, size=units)
    return v.astype(np.float32)


class RandomizedAsymmetric(NumpyInitializer):
    """The kernel (part='kernel') or bias (part='bias') of one layer's RAI draw.

    Both parts of a layer are built with the same seed and fan_in, so together they are one
    draw of V. The bias's shape (units,) does not say fan_in, hence the argument.
    """

    def __init__(self, seed, part="kernel", fan_in=None):
        self.seed, self.part, self.fan_in = int(seed), part, fan_in

    def draw(self, shape):
        if self.part == "kernel":
            fan_in, units = shape
            return rai_draw(fan_in, units, self.seed)[:-1]
        (units,) = shape
        return rai_draw(self.fan_in, units, self.seed)[-1]

    def get_config(self):
        return {"seed": self.seed, "part": self.part, "fan_in": self.fan_in}


@INIT.register("rai")
def rai(params, seed):
    return RandomizedAsymmetric(seed, "kernel")


def _keras_builtin(name, class_name):
    @INIT.register(name)
    def make(params, seed):
        return getattr(_keras_initializers(), class_name)(seed=seed)

    return make


for _name, _class_name in {
    "glorot": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_normal": "HeNormal",
    "he_uniform": "HeUniform",
    "lecun_normal": "LecunNormal",
    "orthogonal": "Orthogonal",
}.items():
    _keras_builtin(_name, _class_name)


def make_initializer(cfg_init, seed):
    """Keras initializer for the `init` config node, seeded for one layer (layer_seed)."""
    return INIT.get(cfg_init["name"])(cfg_init, seed)


def draw(initializer, shape):
    """What a Dense layer gets from `initializer(shape, dtype='float32')`, as numpy
    (a NumpyInitializer draws directly, without a TensorFlow call)."""
    if isinstance(initializer, NumpyInitializer):
        return initializer.draw(shape)
    return np.asarray(initializer(shape, dtype="float32"))


def layer_kernel(cfg_init, seed, layer, shape):
    """The float32 kernel, shape (fan_in, units), of layer `layer` of the network of `seed`:
    what both training paths start from."""
    return draw(make_initializer(cfg_init, layer_seed(seed, layer)), shape)
