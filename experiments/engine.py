"""The batched path: many tiny networks trained as one compiled TensorFlow computation.

`train_keras` (experiments.train) trains one network with `model.fit`; almost all of its time
is Keras's per-step overhead. `train_many` trains K networks of one shape together: every
weight tensor gets a trailing member axis (kernel (fan_in, fan_out, K), bias (units, K)), so a
training step is a handful of element-wise operations over all members at once, and a whole
epoch (its batch loop included) is one XLA-compiled `tf.function` call.

It replicates what `model.fit` does for each member, step by step (see docs of each part):
the same seeded initial weights, the same batch order, Keras's losses (from logits), weight
penalties, optimizer update rules, dropout masks (the same Philox random numbers), loss
averaging and TerminateOnNaN; results and history are scored with the same functions
(experiments.metrics) in the same format as `train_keras`. Members only meet in the member
axis: a diverging member never changes the numbers of the others.

Members of one computation must share the network and data shapes (see `_shape_key`); they
may differ in initializer, learning rate, activation, regularization, dropout rate,
dataset content and seed.

Example:
    results = train_many([(cfg, seed) for seed in range(3)])
    result, history = results[0]
"""

import contextlib
import gc
import json
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from omegaconf import DictConfig, OmegaConf

from experiments import metrics
from experiments.activation import ACTIVATION, keras_activation
from experiments.bias_init import make_bias_initializer
from experiments.dataset import make_dataset
from experiments.init import NumpyInitializer, layer_seed, make_initializer
from experiments.model import build_model, output_units, uses_bias
from experiments.regularization import make_regularization
from experiments.train import HISTORY_METRICS, epoch_orders, fit_targets, network_result


class _NoRetracingNotice(logging.Filter):
    """Every network shape has its own programs, so TensorFlow's "triggered tf.function
    retracing" notice is expected here: keep it off the user's terminal, nothing else."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_NoRetracingNotice())

JIT_COMPILE = True  # training under XLA: each step is a few fused kernels, ~4x faster than TF's
# The probes run ~20 times per chunk: plain TF graphs start faster than XLA compiles, and
# their kernels are Keras's own (TensorFlow's), so the probed activations are Keras's too.
PROBE_JIT = False
MEMORY_BUDGET = 1 << 30  # bytes one chunk may use (inputs, snapshots, metric temporaries)
MAX_CHUNK = 4096  # members per computation, whatever the budget allows
MEMBER_MULTIPLE = 16  # activation blocks are padded to a multiple of this (AVX-512 lanes)
# A Dense layer with at least this many weights is a batched matrix product; smaller ones are
# a broadcast product summed over its inputs, which XLA fuses (see _dense).
MATMUL_MIN_WEIGHTS = 4096
CACHE_MAX_WEIGHTS = 1 << 16  # initial weights of smaller layers are shared between jobs
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
# The padding block beside a lone activation (see _plan): a cheap one.
PARTNER_ACTIVATION = {name: "linear" for name in ACTIVATION.names()} | {"linear": "relu"}



def _prefer_fast_xla_compiles():
    """Ask XLA's CPU backend for its classic kernel emitters: they compile these programs in
    about half the time (~0.3 s less each), which outweighs their slower tanh and sigmoid
    (training steps here are bound by kernel launches, not arithmetic): ~25% less time in
    all for a 600-network grid.

    XLA reads XLA_FLAGS once, at its first compilation in the process, so this only takes
    effect if nothing compiled with XLA before this module was imported; a setting the
    user made is left alone.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_use_fusion_emitters" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_use_fusion_emitters=false".strip()


_prefer_fast_xla_compiles()

# Keras's defaults for the optimizers built by experiments.optimizer.
ADAM_BETA_1, ADAM_BETA_2, RMSPROP_RHO, EPSILON = 0.9, 0.999, 0.9, 1e-7


# -----------------------------------------------------------------------------
# jobs -> members


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
    data: object  # experiments.dataset.Data
    n_out: int  # output units
    orders: list  # epoch_orders(...): the training-row order of every epoch
    l1: float
    l2: float
    dropout: float


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


class _DatasetCache:
    """Datasets kept between train_many calls (the launcher calls it once per block; the
    blocks of a large grid share their seeds' datasets), up to about `limit` bytes."""

    def __init__(self, limit=256 << 20):
        self.limit, self.items, self.size = limit, {}, 0

    def get_or_make(self, key, make, *args):
        if key not in self.items:
            data = make(*args)
            nbytes = sum(getattr(data, f).nbytes for f in ("x_train", "y_train", "x_eval",
                                                             "y_eval"))
            while self.items and self.size + nbytes > self.limit:
                oldest = next(iter(self.items))
                self.size -= self.items.pop(oldest)[1]
            self.items[key], self.size = (data, nbytes), self.size + nbytes
        return self.items[key][0]


_DATASETS = _DatasetCache()


def _penalties(cfg_reg):
    """(L1 factor, L2 factor, dropout rate) that the Keras model would use."""
    regularizer, dropout = make_regularization(cfg_reg)
    if regularizer is None:
        return 0.0, 0.0, dropout
    config = regularizer.get_config()
    return float(config.get("l1", 0.0)), float(config.get("l2", 0.0)), dropout


def initial_weights(member, cache):
    """The weights build_model would start from: (kernel, bias) for every layer.

    Dense builds its kernel by calling its initializer with shape (fan_in, units) and its
    bias with shape (units,), in float32, so calling the same seeded initializers here gives
    the same numbers. Without biases (model.use_bias=false) the bias stays zero: the program
    leaves it out. Weights are made when a chunk starts, not for the whole grid at once;
    small layers' are cached, since a grid's jobs often share (init, seed).
    """
    settings, seed = member.settings, member.seed
    model = settings.model
    sizes = [member.data.n_features] + [model["width"]] * model["depth"] + [member.n_out]
    weights = []
    for layer, shape in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        fan_in, units = shape
        small = fan_in * units <= CACHE_MAX_WEIGHTS
        kernel_key = _key("kernel", settings.init, seed, layer, shape)
        kernel = (cache.get_or_make(kernel_key, _kernel, settings.init, seed, layer, shape)
                  if small else _kernel(settings.init, seed, layer, shape))
        if uses_bias(model):
            bias_key = _key("bias", settings.init, settings.bias_init, seed, layer, shape)
            bias = (cache.get_or_make(bias_key, _bias, settings, seed, layer, shape)
                    if small else _bias(settings, seed, layer, shape))
        else:
            bias = np.zeros(units, np.float32)
        weights += [kernel, bias]
    return weights


def _draw(initializer, shape):
    """What `initializer(shape, dtype='float32')` gives, as numpy."""
    if isinstance(initializer, NumpyInitializer):
        return initializer.draw(shape)
    return np.asarray(initializer(shape, dtype="float32"))


def _kernel(cfg_init, seed, layer, shape):
    return _draw(make_initializer(cfg_init, layer_seed(seed, layer)), shape)


def _bias(settings, seed, layer, shape):
    fan_in, units = shape
    return _draw(make_bias_initializer(settings.init, settings.bias_init, seed, layer, fan_in),
                 (units,))


def keras_order(weights, use_bias):
    """(kernel, bias) pairs as Keras's get_weights() lists them: without biases if none."""
    return list(weights) if use_bias else list(weights[0::2])


def _prepare(jobs):
    """Make every job's data and batch orders (shared ones made once; weights come per
    chunk, see initial_weights); returns (members, cache)."""
    cache = _Cache()
    members = []
    for index, (cfg, seed) in enumerate(jobs):
        # Replicates usually share one config object: read it once (jobs keep it alive).
        settings, seed = cache.get_or_make(("settings", id(cfg)), _Settings.of, cfg), int(seed)
        if settings.model["name"] != "mlp":
            raise ValueError(f"train_many: model {settings.model['name']!r} is not supported")
        if settings.optimizer["name"] not in OPTIMIZERS:
            raise ValueError(f"train_many: optimizer {settings.optimizer['name']!r} is not "
                             "supported")
        data = _DATASETS.get_or_make(_key("data", settings.dataset, seed, settings.eval_fraction),
                                     make_dataset, settings.dataset, seed, settings.eval_fraction)
        n_out = output_units(data.task, data.n_classes)
        n_train = len(data.x_train)
        orders = cache.get_or_make(_key("orders", n_train, settings.epochs, seed),
                                   epoch_orders, n_train, settings.epochs, seed)
        l1, l2, dropout = _penalties(settings.regularization)
        members.append(_Member(index, settings, seed, data, n_out, orders, l1, l2, dropout))
    return members, cache


def _shape_key(member):
    """What members must share to be trained as one computation.

    The optimizer is not part of it: every program holds every update rule and each member
    takes its own (see _Program._update), so a grid of several optimizers compiles once.
    """
    settings, data = member.settings, member.data
    return (data.task, data.n_features, member.n_out, settings.model["depth"],
            settings.model["width"], len(data.x_train), len(data.x_eval), settings.epochs,
            settings.batch_size, uses_bias(settings.model), member.dropout > 0)


# -----------------------------------------------------------------------------
# the compiled computation


@dataclass(frozen=True)
class _Spec:
    """Everything static about one compiled computation (one XLA program per spec)."""

    task: str
    n_features: int
    n_out: int
    depth: int
    width: int
    n_train: int
    n_eval: int
    epochs: int
    batch_size: int
    use_bias: bool
    dropout: bool
    blocks: tuple  # ((activation, members), ...): the member axis, one block per activation

    @property
    def members(self):
        """K, the length of the member axis (padding included)."""
        return sum(size for _, size in self.blocks)

    @property
    def n_steps(self):
        """Batches per epoch, the last one partial when batch_size does not divide n_train."""
        return -(-self.n_train // self.batch_size)

    def batch_sizes(self):
        return [min(self.batch_size, self.n_train - i * self.batch_size)
                for i in range(self.n_steps)]


def _mul_hi_lo(a, multiplier):
    """High and low 32 bits of the 64-bit product of uint32 `a` and a constant."""
    product = tf.cast(a, tf.uint64) * tf.constant(multiplier, tf.uint64)
    high = tf.bitwise.right_shift(product, tf.constant(32, tf.uint64))
    return tf.cast(high, tf.uint32), tf.cast(product, tf.uint32)  # the cast keeps the low bits


def _philox(counter, key):
    """Philox-4x32-10, as TensorFlow's random::PhiloxRandom (10 rounds, 9 key raises)."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    xor = tf.bitwise.bitwise_xor
    for round_ in range(10):
        hi0, lo0 = _mul_hi_lo(c0, 0xD2511F53)
        hi1, lo1 = _mul_hi_lo(c2, 0xCD9E8D57)
        c0, c1, c2, c3 = xor(xor(hi1, c1), k0), lo1, xor(xor(hi0, c3), k1), lo0
        if round_ < 9:
            k0 = k0 + tf.constant(0x9E3779B9, tf.uint32)
            k1 = k1 + tf.constant(0xBB67AE85, tf.uint32)
    return c0, c1, c2, c3


def stateless_uniform(seed0, seed1, size):
    """Per member, what tf.random.stateless_uniform([size], seed=[seed0[k], seed1]) returns.

    TensorFlow takes one seed per call; drawing K members' dropout masks that way would be K
    operations per step. This is its algorithm (CPU, Philox) written with element-wise
    integer operations, so one call serves every member: the seed is scrambled into a key and
    counter by one Philox round trip (StatelessRandomGetKeyCounter), then element i comes
    from lane i % 4 of Philox(counter + i // 4) as a float in [0, 1) built from 23 random
    mantissa bits.

    Args:
        seed0: (K,) uint32, the first seed word of every member (non-negative int32 values).
        seed1: uint32 scalar, the second seed word, shared.
        size: number of values per member.

    Returns:
        (size, K) float32.
    """
    zeros = tf.zeros_like(seed0)
    mix = _philox((seed0, zeros, zeros + seed1, zeros),
                  (zeros + tf.constant(0x3EC8F720, tf.uint32),
                   zeros + tf.constant(0x02461E29, tf.uint32)))
    groups = (size + 3) // 4
    index = tf.cast(tf.range(groups), tf.uint32)[:, None] + zeros[None]
    other = tf.zeros_like(index)
    bits = _philox((index, other, other + mix[2], other + mix[3]), (mix[0], mix[1]))
    bits = tf.reshape(tf.stack(bits, axis=1), (groups * 4, -1))[:size]
    mantissa = tf.bitwise.bitwise_or(tf.bitwise.bitwise_and(bits, tf.constant(0x7FFFFF, tf.uint32)),
                                     tf.constant(0x3F800000, tf.uint32))
    return tf.bitcast(mantissa, tf.float32) - 1.0


def _dense(h, kernel, bias=None, matmul=False):
    """Dense layer on the member axis: h (rows, in, K) @ kernel (in, out, K) + bias (out, K).

    In the training program (XLA) small layers are a broadcast product summed over `in`:
    XLA fuses it, and it vectorizes over K. From MATMUL_MIN_WEIGHTS weights on, and always in
    the probes (`matmul`, plain TensorFlow, which would hold that rows x in x out product in
    memory), it is a batched matrix product. The choice never depends on K.
    """
    if matmul or kernel.shape[0] * kernel.shape[1] >= MATMUL_MIN_WEIGHTS:
        z = tf.einsum("rik,iok->rok", h, kernel)
    else:
        z = tf.reduce_sum(h[:, :, None, :] * kernel[None], axis=1)
    return z if bias is None else z + bias[None]


# Optimizer updates, as Keras 3's update_step computes them (same operations, same order,
# float32): (param, gradient, first slot, second slot, constants, step) -> new (p, m, v).


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


class _Program:
    """The compiled programs of one spec: an epoch's batch loop, and probes of the evaluation
    set (activations and logits; the gradients for grad_norm_ratio).

    State (tuple): params (list, Keras order, member axis last), first and second optimizer
    slots (same shapes), active (K,) bool (not stopped by TerminateOnNaN) and the global step
    count (Keras's optimizer.iterations, also the dropout seed generators' counter).

    Per-chunk constants (dict of (K,) tensors unless noted): lr, momentum, optimizer (the
    index of each member's in OPTIMIZERS), l1, l2, rate,
    scale (1 / (1 - rate)), drop_seed (depth, K) uint32, x_eval (n_eval, features, K) and
    y_eval (n_eval, outputs, K).
    """

    def __init__(self, spec):
        self.spec = spec
        sizes = spec.batch_sizes()
        self.sizes = np.asarray(sizes, np.float32)
        self.valid = np.arange(spec.batch_size)[None, :] < np.asarray(sizes)[:, None]
        self.blocks, start = [], 0  # (activation function, first member, end)
        for name, size in spec.blocks:
            self.blocks.append((keras.activations.get(keras_activation(name)), start,
                                start + size))
            start += size
        # Three programs, not one: the training program compiles on a worker thread while
        # the probes are built and run at initialization (see _run_chunk).
        self.train = tf.function(self._train, jit_compile=JIT_COMPILE, autograph=False)
        self.probe, self.grads, self.train_preact_max = (
            tf.function(fn, jit_compile=PROBE_JIT, autograph=False)
            for fn in (self._probe, self._grads, self._train_preact_max))

    # forward pass and losses

    def _activate(self, z):
        """Each member's hidden activation (Keras's own function), block by block."""
        parts = [activation(z[..., start:end]) for activation, start, end in self.blocks]
        return parts[0] if len(parts) == 1 else tf.concat(parts, axis=-1)

    def _dropout(self, h, layer, c, step):
        """Keras's Dropout(rate, seed=layer_seed(seed, layer, 'dropout')) during `step`.

        keras.random.dropout draws stateless_uniform(h.shape, seed=[layer seed, step]) (the
        SeedGenerator's state [seed, 0] gains 1 per call) and keeps values >= rate, scaled.
        Rows are flattened in Keras's (rows, units) order, so the first rows of a partial
        batch get the same numbers as Keras's smaller tensor.
        """
        rows, units = h.shape[0], h.shape[1]
        u = stateless_uniform(c["drop_seed"][layer], tf.cast(step, tf.uint32), rows * units)
        keep = tf.reshape(u, (rows, units, -1)) >= c["rate"]
        return tf.where(keep, h * c["scale"], 0.0)

    def _layer(self, h, params, layer, probe):
        """Dense layer `layer`'s pre-activation (without its bias if the network has none)."""
        bias = params[2 * layer + 1] if self.spec.use_bias else None
        return _dense(h, params[2 * layer], bias, matmul=probe)

    def _forward(self, params, x, c, step=None, pre=None, probe=True):
        """Hidden activations and output logits; dropout when `step` is given (training).

        `pre`, a list, receives every hidden layer's pre-activation; `probe` is False in the
        training program (see _dense).
        """
        hidden, h = [], x
        for layer in range(self.spec.depth):
            z = self._layer(h, params, layer, probe)
            if pre is not None:
                pre.append(z)
            h = self._activate(z)
            hidden.append(h)
            if step is not None and self.spec.dropout:
                h = self._dropout(h, layer, c, step)
        return hidden, self._layer(h, params, self.spec.depth, probe)

    def _row_loss(self, logits, y):
        """Per-row loss (rows, K) as Keras computes it: cross-entropy from the logits."""
        if self.spec.task == "binary":
            return tf.reduce_mean(
                tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits), axis=1)
        if self.spec.task == "multiclass":
            return tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits, axis=1)
        return tf.reduce_mean(tf.square(y - logits), axis=1)

    def _penalty(self, kernel, c):
        """Keras's L1 / L2 / L1L2 kernel penalty; exactly 0 for members without one."""
        l1 = tf.where(c["l1"] > 0, c["l1"] * tf.reduce_sum(tf.abs(kernel), axis=(0, 1)), 0.0)
        l2 = tf.where(c["l2"] > 0, c["l2"] * tf.reduce_sum(tf.square(kernel), axis=(0, 1)), 0.0)
        return l1 + l2

    def _train_loss(self, params, x, y, valid, size, c, step):
        """(K,) loss of one batch: mean over its real rows, plus every kernel's penalty."""
        _, logits = self._forward(params, x, c, step, probe=False)
        rows = tf.where(valid[:, None], self._row_loss(logits, y), 0.0)
        loss = tf.reduce_sum(rows, axis=0) / size
        for kernel in params[0::2]:
            loss = loss + self._penalty(kernel, c)
        return loss

    # training

    def _update(self, params, grads, m, v, c, step):
        """Every member's own optimizer update of every weight tensor: new (params, m, v).

        Each rule is computed for every member and each member keeps its own (c["optimizer"]
        indexes OPTIMIZERS): the updates are a few element-wise operations on the weights,
        far cheaper than a program compiled per optimizer.
        """
        which = [tf.equal(c["optimizer"], i) for i in range(len(OPTIMIZERS))]
        new = []
        for parts in zip(params, grads, m, v, strict=True):
            chosen = UPDATES[OPTIMIZERS[0]](*parts, c, step)
            for i in range(1, len(OPTIMIZERS)):
                chosen = [tf.where(which[i], a, b) for a, b in zip(
                    UPDATES[OPTIMIZERS[i]](*parts, c, step), chosen, strict=True)]
            new.append(chosen)
        return [list(part) for part in zip(*new, strict=True)]

    def _step(self, i, params, m, v, active, step, total, count, x, y, c):
        """One batch for every member; members stopped by TerminateOnNaN stay frozen."""
        size = tf.gather(tf.constant(self.sizes), i)
        valid = tf.gather(tf.constant(self.valid), i)
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss = self._train_loss(params, x, y, valid, size, c, step)
            total_loss = tf.reduce_sum(loss)  # members do not interact: d/dW_k = d loss_k/dW_k
        # Without biases they take no part, get zero gradients and stay exactly 0.
        grads = tape.gradient(total_loss, params,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        new_params, new_m, new_v = self._update(params, grads, m, v, c, step)

        def keep(new, old):
            return [tf.where(active, a, b) for a, b in zip(new, old, strict=True)]

        # Keras's loss tracker: a batch-size-weighted mean of the batch losses in float32;
        # TerminateOnNaN stops a member once that running mean is NaN or inf.
        total = tf.where(active, total + loss * size, total)
        count = tf.where(active, count + size, count)
        still = active & tf.math.is_finite(tf.math.divide_no_nan(total, count))
        return (i + 1, keep(new_params, params), keep(new_m, m), keep(new_v, v), still,
                step + 1, total, count)

    def _train(self, state, c, batches):
        """One epoch: every batch of `batches` (steps, rows, features + outputs, K).

        Returns:
            (new state, (K,) epoch loss as Keras logs it).
        """
        params, m, v, active, step = state
        zeros = tf.zeros_like(c["lr"])
        features = self.spec.n_features

        def body(i, params, m, v, active, step, total, count):
            batch = batches[i]
            return self._step(i, params, m, v, active, step, total, count,
                              batch[:, :features], batch[:, features:], c)

        _, params, m, v, active, step, total, count = tf.while_loop(
            lambda i, *_: i < self.spec.n_steps, body,
            (tf.constant(0), params, m, v, active, step, zeros, zeros))
        return (params, m, v, active, step), tf.math.divide_no_nan(total, count)

    def _probe(self, params, c):
        """What Probe.measure reads on the evaluation set (training=False).

        Returns:
            dict: hidden, a list of (K, units, n) activations (inputs last, the layout the
            metrics reduce fastest), and logits (K, n, outputs).
        """
        hidden, logits = self._forward(params, c["x_eval"], c)
        return {"hidden": [tf.transpose(h, [2, 1, 0]) for h in hidden],
                "logits": tf.transpose(logits, [2, 0, 1])}

    def _grads(self, params, c):
        """What the first and last probes add on the evaluation set (training=False).

        Returns:
            dict: grads, the gradients of the mean evaluation loss (no penalty) wrt every
            kernel, as Probe.kernel_grads takes them, [(K, fan_in, fan_out)]; pre_last, the
            last hidden layer's pre-activations (K, n, units); slopes, phi' of the layer
            before it (K, n, units), absent for depth 1.
        """
        kernels, pre = params[0::2], []
        with tf.GradientTape() as tape:
            tape.watch(kernels)
            _, logits = self._forward(params, c["x_eval"], c, pre=pre)
            loss = tf.reduce_mean(self._row_loss(logits, c["y_eval"]), axis=0)
            total_loss = tf.reduce_sum(loss)
        out = {"grads": [tf.transpose(g, [2, 0, 1]) for g in tape.gradient(total_loss, kernels)]}
        if pre:
            out["pre_last"] = tf.transpose(pre[-1], [2, 0, 1])
        if len(pre) >= 2:
            with tf.GradientTape() as tape:  # an elementwise activation: d sum / dz = phi'(z)
                tape.watch(pre[-2])
                h = self._activate(pre[-2])
            out["slopes"] = tf.transpose(tape.gradient(h, pre[-2]), [2, 0, 1])
        return out

    def _train_preact_max(self, params, c):
        """Every hidden unit's largest pre-activation over the training inputs (NaN where
        any is non-finite), [(K, 1, units)]: what dead_relu_fraction needs of them."""
        pre = []
        self._forward(params, c["x_train"], c, pre=pre)
        out = []
        for z in pre:
            top = tf.where(tf.reduce_all(tf.math.is_finite(z), axis=0),
                           tf.reduce_max(z, axis=0), np.float32(np.nan))
            out.append(tf.transpose(top, [1, 0])[:, None, :])
        return out

    def outputs(self, logits):
        """The output activation (sigmoid, softmax over units, or linear) of (K, n, k) logits.

        Run eagerly, outside XLA, so that the probabilities come from the same TensorFlow
        kernels as Keras's: near saturation a few ulps of the sigmoid change 1 - p, and with
        it the clipped cross-entropy the metrics compute, by up to 1e-3.
        """
        if self.spec.task == "binary":
            return tf.sigmoid(logits)
        if self.spec.task == "multiclass":
            return tf.nn.softmax(logits, axis=-1)
        return logits


_PROGRAMS = {}


def _program(spec):
    """The programs of `spec`, built once per process (the XLA compile takes ~0.5 s)."""
    if spec not in _PROGRAMS:
        _PROGRAMS[spec] = _Program(spec)
    return _PROGRAMS[spec]


# -----------------------------------------------------------------------------
# one chunk


def _member_last(arrays):
    """Stack per-member arrays on a new last axis, as float32."""
    return np.stack(arrays, axis=-1).astype(np.float32)


def _seed_word(value):
    """A seed as Keras's TF backend passes it to stateless ops: int64 mod (2^31 - 2)."""
    return value % (np.iinfo(np.int32).max - 1)


class _Chunk:
    """The members of one computation: one slot per position on the member axis.

    Slots follow spec.blocks (members grouped by activation); a block with fewer members
    than slots is padded with copies of one of its members, trained and then ignored.
    """

    def __init__(self, slots, real, spec):
        """slots: the member in every slot (padding included); real: which slots count."""
        self.spec, self.padded = spec, slots
        index = np.flatnonzero(real)
        self.members = [slots[i] for i in index]
        # Selects the real members on the member axis; without padding a slice (views).
        self.real = slice(None) if len(index) == len(slots) else index
        padded = slots
        settings = [m.settings for m in padded]
        rates = np.asarray([m.dropout for m in padded])
        self.constants = {
            "lr": np.float32([c.lr for c in settings]),
            "momentum": np.float32([c.optimizer.get("momentum", 0.0) for c in settings]),
            "optimizer": np.int32([OPTIMIZERS.index(c.optimizer["name"]) for c in settings]),
            "l1": np.float32([m.l1 for m in padded]),
            "l2": np.float32([m.l2 for m in padded]),
            "rate": rates.astype(np.float32),
            # Keras's dropout multiplies by float32(1 / (1 - rate)), the division in float64.
            "scale": np.float32(1.0 / (1.0 - rates)),
            "drop_seed": np.uint32([[_seed_word(layer_seed(m.seed, layer, "dropout"))
                                     for m in padded] for layer in range(spec.depth)]),
            "x_eval": _member_last([m.data.x_eval for m in padded]),
            "x_train": _member_last([m.data.x_train for m in padded]),
            "y_eval": _member_last([fit_targets(m.data, m.data.y_eval) for m in padded]),
        }
        # Tensors once, rather than numpy arrays converted again at every call.
        self.constants = {name: tf.constant(value) for name, value in self.constants.items()}
        # Training inputs and targets side by side, one flat (rows * K) column each, so that
        # an epoch's batches are a few flat gathers (see batches).
        train = _member_last([np.concatenate([m.data.x_train, fit_targets(m.data, m.data.y_train)],
                                             axis=1) for m in padded])
        self.columns = [np.ascontiguousarray(train[:, j, :]).reshape(-1)
                        for j in range(train.shape[1])]

    def slots(self):
        """The slot (position on the member axis) of each real member."""
        return np.arange(self.spec.members)[self.real]

    def initial_state(self, cache):
        """The training state at initialization; `cache` shares small layers' weights."""
        weights = {}  # padding repeats members: their weights are made once
        for m in self.padded:
            if id(m) not in weights:
                weights[id(m)] = initial_weights(m, cache)
        params = [_member_last(ws) for ws in zip(*(weights[id(m)] for m in self.padded),
                                                  strict=True)]
        # Optimizer slots start at zero; evaluation only (epochs=0) needs none.
        zeros = [np.zeros_like(p) for p in params] if self.spec.epochs else []
        return (params, zeros, [z.copy() for z in zeros],
                np.ones(self.spec.members, bool), np.int32(0))

    def batches(self, epoch):
        """This epoch's batches in every member's order: (steps, batch, columns, K) float32.

        Inputs come first, then targets. The partial last batch is padded with copies of its
        first row (whatever that row does to the numbers, the real row does too); the program
        masks those rows out.
        """
        spec = self.spec
        rows = np.empty((spec.n_steps * spec.batch_size, spec.members), np.int64)
        rows[:spec.n_train] = np.stack([m.orders[epoch] for m in self.padded], axis=1)
        rows[spec.n_train:] = rows[(spec.n_steps - 1) * spec.batch_size]
        flat = rows * spec.members + np.arange(spec.members)  # row r of member k is at r*K+k
        out = np.empty((len(rows), len(self.columns), spec.members), np.float32)
        for j, column in enumerate(self.columns):
            out[:, j, :] = column[flat]
        return out.reshape(spec.n_steps, spec.batch_size, len(self.columns), spec.members)


class _Scorer:
    """Scores probes of a chunk with experiments.metrics, as Probe.measure does."""

    def __init__(self, chunk, program):
        members = chunk.members
        self.real, self.program = chunk.real, program
        self.task = members[0].data.task
        self.y_eval = np.stack([m.data.y_eval for m in members])
        self.y_train = np.stack([m.data.y_train for m in members])
        self.threshold = np.asarray([m.settings.collapse_threshold for m in members])

    def measure(self, probe, kernels, final=False):
        """network_metrics_batch (plus the gradient metrics and dead_relu_fraction if
        `final`) for the real members.

        Args:
            probe: the program's probe dict (numpy); the outputs are computed here.
            kernels: the kernels (member axis last).
            final: the first or last probe: every metric, grad_norm_ratio and baseline_score
                included; otherwise only what the history records.
        """
        real = self.real
        outputs = np.asarray(self.program.outputs(probe["logits"][real]), np.float64)
        # float32 views: the metrics convert one layer at a time to float64 (the same values
        # and memory order as converting all first), so deep networks need less memory.
        hidden = [h[real].transpose(0, 2, 1) for h in probe["hidden"]]
        kernels = [np.moveaxis(k[..., real], -1, 0) for k in kernels]
        out = metrics.network_metrics_batch(
            outputs, self.y_eval, hidden, kernels, self.task, train_targets=self.y_train,
            threshold=self.threshold,
            names=metrics.NETWORK_METRICS if final else ("loss", *HISTORY_METRICS))
        if final:
            extra = probe["final"]
            grads = [g[real] for g in extra["grads"]]
            out["grad_norm_ratio"] = metrics.grad_norm_ratio_batch(grads[0], grads[-1])
            out["zero_grad_fraction"] = metrics.zero_grad_fraction_batch(grads)
            out["dead_relu_fraction"] = metrics.dead_relu_fraction_batch(
                [z[real] for z in probe["train_preact_max"]])
            n = len(outputs)
            out["input_correlation"] = (metrics.input_correlation_batch(extra["pre_last"][real])
                                        if "pre_last" in extra else np.full(n, np.nan))
            out["jacobian_gain"] = (metrics.jacobian_gain_batch(extra["slopes"][real],
                                                                kernels[-2])
                                    if "slopes" in extra else np.full(n, np.nan))
        return out


def _history_rows(epoch, loss, measured, i):
    """The rows _History.record writes for member i at `epoch`."""
    rows = [(epoch, "loss", loss), (epoch, "eval_loss", float(measured["loss"][i]))]
    return rows + [(epoch, name, float(measured[name][i])) for name in HISTORY_METRICS]


def _run_chunk(chunk, cache):
    """Train one chunk; returns [(result, history, final weights)] for chunk.members.

    `cache` holds weights shared between chunks (see initial_weights).

    A worker thread overlaps the numpy work (next epoch's batches, last epoch's metrics)
    with the compiled programs, which release the GIL while they run.
    """
    spec, c = chunk.spec, chunk.constants
    program = _program(spec)
    scorer, real, n = _Scorer(chunk, program), chunk.real, len(chunk.members)

    def train(state, batches):
        return program.train(state=state, c=c, batches=batches)

    def probe(state, final):
        """Probe dict (numpy); grads and training pre-activations only for the first and
        last probes."""
        out = _numpy(program.probe(params=state[0], c=c))
        if final:
            out["final"] = _numpy(program.grads(params=state[0], c=c))
            out["train_preact_max"] = _numpy(program.train_preact_max(params=state[0], c=c))
        return out, _numpy(state[0][0::2])

    with ThreadPoolExecutor(max_workers=1) as worker:
        state = chunk.initial_state(cache)
        if spec.epochs:
            batches, pending = chunk.batches(0), None
            warm = worker.submit(train, state, batches)  # XLA compiles it during the probes
        at_init = probe(state, final=True)
        if spec.epochs:
            warm.result()
        at_init = worker.submit(scorer.measure, *at_init, True)
        epochs = []  # (epoch, members still training, their losses, future metrics)
        for epoch in range(spec.epochs):
            running = np.flatnonzero(np.asarray(state[3])[real])
            if not len(running):
                break  # every member stopped: nothing changes any more
            if pending is not None:
                batches = pending.result()
            pending = worker.submit(chunk.batches, epoch + 1) if epoch + 1 < spec.epochs else None
            state, loss = train(state, batches)
            last = epoch + 1 == spec.epochs or not state[3].numpy()[real].any()
            measured = worker.submit(scorer.measure, *probe(state, last), last)
            epochs.append((epoch + 1, running, loss.numpy()[real].tolist(), measured))
        at_init = final = at_init.result()  # epochs=0: the measurement at init is the final
        histories = [_history_rows(0, math.nan, at_init, i) for i in range(n)]
        losses = [[] for _ in range(n)]
        for epoch, running, epoch_loss, measured in epochs:
            final = measured.result()  # the last epoch's probe is the final measurement
            for i in running:
                losses[i].append(epoch_loss[i])
                histories[i] += _history_rows(epoch, epoch_loss[i], final, i)
    params = keras_order(_numpy(state[0]), spec.use_bias)
    return [(network_result(metrics.member_metrics(final, i), metrics.member_metrics(at_init, i),
                            losses[i], member.data),
             histories[i], [p[..., slot] for p in params])
            for i, (member, slot) in enumerate(zip(chunk.members, chunk.slots(), strict=True))]


def _numpy(structure):
    return tf.nest.map_structure(np.asarray, structure)


# -----------------------------------------------------------------------------
# chunking and the public interface


def default_chunk_size(spec_like):
    """Members per computation so that one chunk stays within about MEMORY_BUDGET.

    Per member (bytes): the training and evaluation data (with an epoch's arranged copy);
    the weights with the optimizer slots, an update's new copies and the gradients; two
    probes in flight (activations kept for the metrics and for the gradient), with the
    metrics' float64 copy of one layer; the forward pass over the training inputs; and the
    broadcast product of a small Dense layer outside XLA (see _dense).
    """
    (task, n_features, n_out, depth, width, n_train, n_eval, _epochs, batch_size,
     *_rest) = spec_like
    sizes = [n_features] + [width] * depth + [n_out]
    shapes = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
    n_params = sum(shapes) + sum(sizes[1:])
    units = depth * width + n_out
    small = max([s for s in shapes if s < MATMUL_MIN_WEIGHTS], default=0)
    rows = max(n_train, n_eval)
    per_member = (4 * 4 * n_train * (n_features + n_out) + 4 * 2 * n_eval * (n_features + n_out)
                  + 4 * 6 * n_params
                  + 2 * (4 * 4 * n_eval * units + 8 * 4 * n_eval * width + 16 * width * width)
                  + 4 * 3 * n_train * width + 4 * 4 * batch_size * units
                  + 4 * rows * small + 4096)
    return int(max(1, min(MAX_CHUNK, MEMORY_BUDGET // per_member)))


def _round_up(n, multiple):
    return -(-n // multiple) * multiple


def _plan(key, group, chunk_size):
    """Split a group into chunks that share one spec, hence one compiled program.

    Every activation's members are dealt round-robin over the chunks, so every chunk has
    the same activation blocks; blocks are padded to a multiple of MEMBER_MULTIPLE. Networks
    so large that fewer than MEMBER_MULTIPLE fit the memory budget (see default_chunk_size)
    go one per block instead, whatever chunk_size says: padding would multiply their memory.

    A network's numbers must not depend on what else it is trained with. XLA fuses
    operations differently in differently built programs, which changes float32 rounding
    (~1e-7, enough to part chaotic runs); block sizes and K change nothing, and neither does
    the set of activation blocks as long as there are two or more (one block alone builds a
    different program), so a lone activation gets a padding block beside it.

    Returns:
        (spec, [chunk]).
    """
    by_activation = {}
    for member in group:
        by_activation.setdefault(member.settings.activation, []).append(member)
    if len(by_activation) == 1:
        (alone,) = by_activation
        by_activation[PARTNER_ACTIVATION[alone]] = []
    if default_chunk_size(key) >= MEMBER_MULTIPLE:
        n_chunks, multiple = -(-len(group) // chunk_size), MEMBER_MULTIPLE
    else:  # decided by the shape alone, so that a network's chunking never varies
        n_chunks, multiple = max(len(ms) for ms in by_activation.values()), 1
    blocks = tuple((name, max(multiple, _round_up(-(-len(ms) // n_chunks), multiple)))
                   for name, ms in sorted(by_activation.items()))
    spec = _Spec(*key[:-1], dropout=key[-1], blocks=blocks)
    chunks = []
    for j in range(n_chunks):
        slots, real = [], []
        for name, size in blocks:
            part = by_activation[name][j::n_chunks]
            slots += part + [(by_activation[name] or group)[0]] * (size - len(part))
            real += [True] * len(part) + [False] * (size - len(part))
        chunks.append(_Chunk(slots, real, spec))
    return spec, chunks


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector (reference counting still frees memory).

    With TensorFlow and Keras loaded the heap is large, so every full collection takes
    ~0.1 s; tracing a program and building history rows allocate enough objects to trigger
    several, which would cost more than a small grid's training.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def train_many(jobs, chunk_size=None, progress=None, return_weights=False):
    """Train every (cfg, seed) job as train_keras would, many networks per computation.

    Args:
        jobs: list of (cfg, seed), cfg a composed config as train_keras takes.
        chunk_size: about the most networks per computation (activation blocks are padded
            to multiples of MEMBER_MULTIPLE); None picks one per shape so that a chunk stays
            within about MEMORY_BUDGET bytes.
        progress: optional callable(n_done), called after each chunk with the number of jobs
            finished so far.
        return_weights: also return each network's final weights.

    Returns:
        In job order, (result, history) as train_keras returns them, or (result, history,
        weights) with return_weights, weights being numpy arrays in Keras get_weights() order
        (see member_model).
    """
    with _gc_paused():
        return _train_many(jobs, chunk_size, progress, return_weights)


def _train_many(jobs, chunk_size, progress, return_weights):
    members, cache = _prepare(jobs)
    groups = {}
    for member in members:
        groups.setdefault(_shape_key(member), []).append(member)
    out, done = [None] * len(members), 0
    for key, group in groups.items():
        _, chunks = _plan(key, group, chunk_size or default_chunk_size(key))
        for chunk in chunks:
            for member, trained in zip(chunk.members, _run_chunk(chunk, cache), strict=True):
                out[member.index] = trained if return_weights else trained[:2]
            done += len(chunk.members)
            if progress is not None:
                progress(done)
    return out


def member_model(cfg, n_features, task, n_classes, weights):
    """An ordinary Keras model of config `cfg` holding `weights` (e.g. a trained member).

    Args:
        cfg: the member's config.
        n_features, task, n_classes: its data's shape (Data.n_features, .task, .n_classes).
        weights: numpy arrays in Keras get_weights() order, as train_many returns them.

    Returns:
        keras.Sequential built by experiments.model.build_model, with `weights` set.
    """
    model = build_model(cfg, n_features, task, n_classes, seed=0)
    model.set_weights(weights)
    return model
