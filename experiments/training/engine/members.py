"""Jobs read and prepared for the engine: settings, data, initial weights and batch orders.

The weights are the ones build_model starts from (same seeded initializers, the layers of the
same architecture record, experiments.variants.architecture), the batch orders the ones
train_keras visits (common.epoch_orders); what many jobs share is made once.
"""

import json
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig, OmegaConf

from experiments.training.common import epoch_orders
from experiments.training.engine.support import engine_supports
from experiments.variants.architecture import architecture, kernel_shapes
from experiments.variants.bias_init import layer_bias
from experiments.variants.dataset import DATASETS
from experiments.variants.init import layer_kernel
from experiments.variants.model import layer_inits, layer_uses_bias, output_units, uses_bias
from experiments.variants.regularization import make_regularization

CACHE_MAX_WEIGHTS = 1 << 16  # initial weights of smaller layers are shared between jobs


@dataclass
class _Settings:
    """What the engine reads from a job's config, as plain Python data.

    Reading an OmegaConf node costs ~20 us per attribute; over a grid of jobs that adds up,
    so every config is read once.
    """

    model: dict
    init: dict
    bias_init: dict
    activation: str
    regularization: dict
    optimizer: dict
    dataset: dict
    lr: float
    epochs: int
    batch_size: int
    eval_fraction: float
    collapse_threshold: float

    @classmethod
    def of(cls, cfg):
        def plain(node):
            return OmegaConf.to_container(node, resolve=True) if isinstance(
                node, DictConfig) else dict(node)

        bias_init = cfg.get("bias_init")
        return cls(model=plain(cfg.model), init=plain(cfg.init),
                   bias_init=plain(bias_init) if bias_init is not None else {"name": "zeros"},
                   activation=cfg.activation.name,
                   regularization=plain(cfg.regularization), optimizer=plain(cfg.optimizer),
                   dataset=plain(cfg.dataset), lr=float(cfg.lr), epochs=int(cfg.epochs),
                   batch_size=int(cfg.batch_size), eval_fraction=float(cfg.eval_fraction),
                   collapse_threshold=float(cfg.collapse_threshold))


@dataclass
class _Member:
    """One job, prepared: its data, initial weights, batch orders and hyper-parameters."""

    index: int  # position in the jobs list
    settings: _Settings
    seed: int
    data: object  # experiments.variants.dataset.Data
    n_out: int  # output units
    orders: list  # epoch_orders(...): the training-row order of every epoch
    l1: float
    l2: float
    dropout: float
    layers: tuple  # the architecture record (experiments.variants.architecture)
    clipnorm: float  # optimizer.clipnorm, 0 for none (Keras clips only with a positive one)
    input_shape: tuple  # one input's: (features,) or an image's (height, width, channels)
    kernels: dict  # kernel_shapes(layers, input_shape): {layer: (Keras kernel shape, fan_in)}

    @property
    def n_features(self):
        """Inputs per row as the first Dense or Conv2D layer reads them (flattened)."""
        return self.data.n_features

    @property
    def convs(self):
        """((filters, kernel size, pooling), ...) of the Conv2D layers (model=cnn)."""
        return conv_layers(self.layers)


def conv_layers(layers):
    """((filters, kernel size, pooling), ...) of the Conv2D layers of an architecture record."""
    out = []
    for spec, after in zip(layers, layers[1:] + (None,), strict=True):
        if spec.kind == "conv2d":
            pool = after.pool if after is not None and after.kind == "pool" else "none"
            out.append((spec.units, spec.kernel_size, pool))
    return tuple(out)


def _key(*parts):
    """A cache key for plain (JSON-able) data."""
    return json.dumps(parts, sort_keys=True)


class _Cache(dict):
    """Memoizes what many jobs of a grid share: small initial weights, batch orders."""

    def get_or_make(self, key, make, *args):
        """self[key], made as make(*args) the first time."""
        if key not in self:
            self[key] = make(*args)
        return self[key]


PENALTIES = ("L1", "L2", "L1L2")  # the Keras regularizers the engine computes (Program._penalty)


def _penalties(cfg_reg):
    """(L1 factor, L2 factor, dropout rate) that the Keras model would use; ValueError for a
    regularizer the engine does not compute (support.REGULARIZATIONS keeps them out)."""
    regularizer, dropout = make_regularization(cfg_reg)
    if regularizer is None:
        return 0.0, 0.0, dropout
    config = regularizer.get_config()
    if type(regularizer).__name__ not in PENALTIES or set(config) - {"l1", "l2"}:
        raise ValueError(f"train_many: regularization={cfg_reg['name']}: the engine computes "
                         f"{', '.join(PENALTIES)} penalties, not {type(regularizer).__name__}")
    return float(config.get("l1", 0.0)), float(config.get("l2", 0.0)), dropout


def initial_weights(member, cache):
    """The weights build_model would start from: (kernel, bias) for every weighted layer.

    Dense and Conv2D build their kernel by calling their initializer with the Keras kernel
    shape ((fan_in, units), or (k, k, in, filters)) and their bias with shape (units,), in
    float32, so calling the same seeded initializers here gives the same numbers; a Conv2D
    kernel is then kept in unit form (k * k * in, filters). Without biases (model.use_bias=
    false) the bias stays zero: the program leaves it out. Weights are made when a chunk
    starts, not for the whole grid at once; small layers' are cached, since a grid's jobs
    often share (init, seed).
    """
    settings, seed = member.settings, member.seed
    model = settings.model
    weights = []
    for layer in sorted(member.kernels):
        shape, fan_in = member.kernels[layer]
        shape, units = tuple(int(s) for s in shape), int(shape[-1])
        small = int(np.prod(shape)) <= CACHE_MAX_WEIGHTS
        init, bias_init = layer_inits(settings, layer)
        kernel_key = _key("kernel", init, seed, layer, shape)
        kernel = (cache.get_or_make(kernel_key, layer_kernel, init, seed, layer, shape)
                  if small else layer_kernel(init, seed, layer, shape))
        if layer_uses_bias(model, layer):
            bias_key = _key("bias", init, bias_init, seed, layer, shape)
            bias_args = init, bias_init, seed, layer, fan_in, units
            bias = (cache.get_or_make(bias_key, layer_bias, *bias_args)
                    if small else layer_bias(*bias_args))
        else:
            bias = np.zeros(units, np.float32)
        weights += [kernel.reshape(-1, units), bias]
    return weights


def keras_order(weights, biases, shapes=None):
    """(kernel, bias) pairs as Keras's get_weights() lists them: a layer's bias only where
    biases[layer] is true; kernel `layer` reshaped to shapes[layer] where given (a Conv2D
    kernel's (k, k, in, filters))."""
    out = []
    for layer, has_bias in enumerate(biases):
        kernel = weights[2 * layer]
        if shapes is not None and shapes[layer] is not None:
            kernel = kernel.reshape(*shapes[layer], *kernel.shape[2:])
        out += [kernel, weights[2 * layer + 1]] if has_bias else [kernel]
    return out


def prepare(jobs):
    """Make every job's data and batch orders (shared ones made once; weights come per
    chunk, see initial_weights); returns (members, cache)."""
    cache = _Cache()
    members = []
    for index, (cfg, seed) in enumerate(jobs):
        # Replicates usually share one config object: read it once (jobs keep it alive).
        settings, seed = cache.get_or_make(("settings", id(cfg)), _Settings.of, cfg), int(seed)
        supported, reason = cache.get_or_make(("supports", id(settings)), engine_supports,
                                              settings)
        if not supported:
            raise ValueError(f"train_many: {reason} (experiments.sweep.blocks trains such "
                             "configurations with Keras)")
        data = DATASETS.get(settings.dataset, seed, settings.eval_fraction)
        n_out = output_units(data.task, data.n_classes)
        n_train = len(data.x_train)
        orders = cache.get_or_make(_key("orders", n_train, settings.epochs, seed),
                                   epoch_orders, n_train, settings.epochs, seed)
        l1, l2, dropout = _penalties(settings.regularization)
        # settings (cached above) live as long as the cache: their id is a key
        layers = cache.get_or_make(
            ("layers", id(settings), data.task, data.n_classes, dropout), architecture,
            settings.model, settings.activation, data.task, data.n_classes, dropout)
        input_shape = tuple(int(s) for s in data.x_train.shape[1:])
        kernels = cache.get_or_make(("kernels", id(layers), input_shape), kernel_shapes,
                                    layers, input_shape)
        clipnorm = settings.optimizer.get("clipnorm")
        clipnorm = float(clipnorm) if clipnorm is not None and clipnorm > 0 else 0.0
        members.append(_Member(index, settings, seed, data, n_out, orders, l1, l2, dropout,
                               layers, clipnorm, input_shape, kernels))
    return members, cache


def shape_key(member):
    """What members must share to be trained as one computation.

    The optimizer is not part of it: every program holds every update rule and each member
    takes its own (see Program._update), so a grid of several optimizers compiles once. The
    fields are program.Spec's, blocks left out: (task, n_features, n_out, depth, width,
    n_train, n_eval, epochs, batch_size, use_bias, output_bias, dropout, image, convs, clip);
    image and convs are empty without Conv2D layers (an mlp reads images flattened).
    """
    settings, data = member.settings, member.data
    convs = member.convs if settings.model["name"] == "cnn" else ()
    return (data.task, member.n_features, member.n_out, settings.model["depth"],
            settings.model["width"], len(data.x_train), len(data.x_eval), settings.epochs,
            settings.batch_size, uses_bias(settings.model),
            layer_uses_bias(settings.model, len(convs) + settings.model["depth"]),
            member.dropout > 0, member.input_shape if convs else (), convs,
            member.clipnorm > 0)
