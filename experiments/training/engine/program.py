"""The compiled programs of one spec: an epoch's batch loop under XLA, and the probes.

Every weight tensor has a trailing member axis (kernel (fan_in, fan_out, K), bias (units, K);
a Conv2D kernel in unit form (k * k * in, filters, K)), so a training step is a handful of
element-wise operations over all members at once. The Conv2D layers of model=cnn come first
(engine.conv, members first in their own layout), then the Dense layers as for model=mlp.
"""

import logging
import os
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from experiments.training.engine.conv import PREACT_ROWS, ConvStack
from experiments.training.engine.dropout import stateless_uniform
from experiments.training.engine.updates import OPTIMIZERS, UPDATES
from experiments.training.memory import MATMUL_MIN_WEIGHTS
from experiments.variants.activation import keras_activation


class _NoRetracingNotice(logging.Filter):
    """Every network shape has its own programs, so TensorFlow's "triggered tf.function
    retracing" notice is expected here: keep it off the user's terminal, nothing else."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_NoRetracingNotice())

JIT_COMPILE = True  # training under XLA: each step is a few fused kernels, ~4x faster than TF's
# The probes run ~20 times per chunk: plain TF graphs start faster than XLA compiles, and
# their kernels are Keras's own (TensorFlow's), so the probed activations are Keras's too.
# (A CNN's probes under XLA ran ~40% faster once compiled, but their three compiles cost more
# than that in a 240-network grid's process: 63.8 s against 60.3 s, 2026-12-08.)
PROBE_JIT = False
# In training, a Dense layer with at least MATMUL_MIN_WEIGHTS weights is a batched matrix
# product; smaller ones are a broadcast product summed over its inputs, which XLA fuses (see
# _dense). The probes always use a matrix product (_dense_probe).


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


@dataclass(frozen=True)
class Spec:
    """Everything static about one compiled computation (one XLA program per spec)."""

    task: str
    n_features: int  # inputs per row (an image's height * width * channels)
    n_out: int
    depth: int  # hidden Dense layers
    width: int
    n_train: int
    n_eval: int
    epochs: int
    batch_size: int
    use_bias: bool  # hidden layers
    output_bias: bool
    dropout: bool
    blocks: tuple  # ((activation, members), ...): the member axis, one block per activation
    image: tuple = ()  # model=cnn: the input images' (height, width, channels)
    convs: tuple = ()  # model=cnn: ((filters, kernel size, pooling), ...) per Conv2D layer
    clip: bool = False  # some member clips its gradients (optimizer.clipnorm)

    def has_bias(self, layer):
        """Whether weighted layer `layer` (Conv2D layers first; the last is the output)
        adds its bias."""
        return self.output_bias if layer == len(self.convs) + self.depth else self.use_bias

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


def _dense(h, kernel, bias=None):
    """Training's Dense layer on the member axis: h (rows, in, K) @ kernel (in, out, K) + bias
    (out, K).

    Small layers are a broadcast product summed over `in`: XLA fuses it, and it vectorizes
    over K. From MATMUL_MIN_WEIGHTS weights on it is a batched matrix product. The choice
    never depends on K.
    """
    if kernel.shape[0] * kernel.shape[1] >= MATMUL_MIN_WEIGHTS:
        z = tf.einsum("rik,iok->rok", h, kernel)
    else:
        z = tf.reduce_sum(h[:, :, None, :] * kernel[None], axis=1)
    return z if bias is None else z + bias[None]


def _dense_probe(h, kernel, bias=None):
    """The probes' Dense layer, members first and transposed: h (K, in, n) -> (K, out, n).

    One batched matrix product, kernel^T @ h, whose numbers are TensorFlow's MatMul's as in
    Keras's Dense (x @ kernel). In this layout the activations come out as the metrics read
    them (units, then inputs) and a block of members is a contiguous slice: no transposes of
    the activations, about 2.5x faster than the product in the training layout.
    """
    z = tf.linalg.matmul(tf.transpose(kernel, [2, 1, 0]), h)
    return z if bias is None else z + tf.transpose(bias)[:, :, None]


def _clip_by_norm(g, clipnorm):
    """Keras's clipnorm of one gradient tensor (member axis last), for members whose
    clipnorm (K,) is > 0: g * clipnorm / max(||g||, clipnorm), the norm taken as Keras
    takes it (0 where every entry is 0)."""
    l2sum = tf.reduce_sum(tf.square(g), axis=tuple(range(g.shape.rank - 1)), keepdims=True)
    positive = l2sum > 0
    l2norm = tf.where(positive, tf.sqrt(tf.where(positive, l2sum, tf.ones_like(l2sum))), l2sum)
    return tf.where(clipnorm > 0, g * clipnorm / tf.maximum(l2norm, clipnorm), g)


def _kept(x, token):
    """x computed once into memory (a conditional's result, see _materialized), and its
    gradient too: for a transposed layout that several consumers read (the flattened Conv2D
    output), which XLA would otherwise recompute, strided, inside each of them."""
    return tf.cond(token >= 0, lambda: tf.identity(x), lambda: -x)


def _materialized(x, token):
    """x itself, whose gradient XLA computes once into memory; `token` is any int32 scalar
    known at run time to be >= 0 (the step count).

    XLA's CPU backend fuses a cheap producer into every consumer and recomputes it per use:
    inside a reduction over the batch rows (a kernel's gradient) it recomputed the loss
    gradient once per unit, in scalar code, about half of a training step. A conditional's
    result is a buffer of its own, so the gradient is computed once. The predicate is always
    true and the other branch never runs. (XLA's optimization barrier would not do: the CPU
    backend removes it before fusing.)
    """

    @tf.custom_gradient
    def kept(x):
        def grad(dy):
            return tf.cond(token >= 0, lambda: tf.identity(dy), lambda: -dy)

        return tf.identity(x), grad

    return kept(x)


class Program:
    """The compiled programs of one spec: an epoch's batch loop, and probes of the evaluation
    set (activations and logits; the gradients for grad_norm_ratio).

    State (tuple): params (list, Keras order, member axis last), first and second optimizer
    slots (same shapes), active (K,) bool (not stopped by TerminateOnNaN) and the global step
    count (Keras's optimizer.iterations, also the dropout seed generators' counter).

    Per-chunk constants (dict of (K,) tensors unless noted): lr, momentum, optimizer (the
    index of each member's in OPTIMIZERS), l1, l2, rate, clipnorm (0: none),
    scale (1 / (1 - rate)), drop_seed (depth, K) uint32, train_rows (n_train * K, features +
    outputs), the training data row r of member k at r * K + k; the evaluation set members
    first: x_eval (K, features, n_eval), y_eval (K, outputs, n_eval). With Conv2D layers the
    inputs are images members first, channels before positions: train_rows has row r of
    member k at k * n_train + r, features in (c, h, w) order, and x_eval is (K, C, n_eval, H,
    W).
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
        self.convs = ConvStack(spec, self.blocks) if spec.convs else None
        # Three programs, not one: the training program compiles on a worker thread while
        # the probes are built and run at initialization (see train.run_chunk).
        self.new_train()
        self.probe, self.grads, self.train_preact_max = (
            tf.function(fn, jit_compile=PROBE_JIT, autograph=False)
            for fn in (self._probe, self._grads, self._train_preact_max))

    def new_train(self):
        """A fresh training program (`train`), traced and compiled again at its first call."""
        self.train = tf.function(self._train, jit_compile=JIT_COMPILE, autograph=False)

    # forward pass and losses

    def _activate(self, z, train=False, axis=-1):
        """Each member's hidden activation (Keras's own function), block by block along the
        member axis (`axis`).

        In training (`train`) the gradient is built block by block too and concatenated,
        the same operations as automatic differentiation, which sums one zero-padded copy
        per block instead: XLA evaluates every block's padding for every member.
        """
        if len(self.blocks) == 1:
            return self.blocks[0][0](z)

        def block(x, start, end):
            return x[start:end] if axis == 0 else x[..., start:end]

        if not train:
            return tf.concat([activation(block(z, start, end))
                              for activation, start, end in self.blocks], axis=axis)

        @tf.custom_gradient
        def blockwise(z):
            def grad(dy):
                parts = []
                for activation, start, end in self.blocks:
                    part = block(z, start, end)
                    with tf.GradientTape() as tape:
                        tape.watch(part)
                        h = activation(part)
                    parts.append(tape.gradient(h, part, output_gradients=block(dy, start, end)))
                return tf.concat(parts, axis=axis)

            return self._activate(z, axis=axis), grad

        return blockwise(z)

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

    def _forward(self, params, x, c, step):
        """Training's output logits of a batch x, with dropout, during `step`: x is
        (rows, features, K), or for Conv2D layers (K, C, rows, H, W) (engine.conv)."""
        h, first = x, 0
        if self.convs is not None:
            h = self.convs.train(params, x, lambda t: _materialized(t, step),
                                 lambda t: _kept(t, step))
            first = len(self.convs)
        for layer in range(self.spec.depth + 1):
            index = first + layer
            bias = params[2 * index + 1] if self.spec.has_bias(index) else None
            z = _materialized(_dense(h, params[2 * index], bias), step)
            if layer == self.spec.depth:
                return z
            h = self._activate(z, train=True)
            if self.spec.dropout:
                h = self._dropout(h, layer, c, step)

    def _probe_forward(self, params, x, pre=None, conv_pre=None):
        """Hidden activations [(K, units, n)] and logits (K, outputs, n) of inputs x
        (K, features, n), or for Conv2D layers (K, C, n, H, W), members first (see
        _dense_probe), as Keras's predict computes them. A Conv2D layer's activations are
        (K, channels, n * positions) (conv.unit_rows).

        `pre`, a list, receives every hidden Dense layer's pre-activation, `conv_pre` every
        Conv2D layer's.
        """
        hidden, h, first = [], x, 0
        if self.convs is not None:
            h, first = self.convs.probe(params, x, hidden, conv_pre), len(self.convs)
        for layer in range(self.spec.depth + 1):
            index = first + layer
            bias = params[2 * index + 1] if self.spec.has_bias(index) else None
            z = _dense_probe(h, params[2 * index], bias)
            if layer == self.spec.depth:
                return hidden, z
            if pre is not None:
                pre.append(z)
            h = self._activate(z, axis=0)
            hidden.append(h)

    def _row_loss(self, logits, y):
        """Per-row loss as Keras computes it, cross-entropy from the logits: (rows, K) of
        training's (rows, outputs, K), (K, n) of the probes' (K, outputs, n)."""
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
        logits = self._forward(params, x, c, step)
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
        if self.spec.clip:
            grads = [_clip_by_norm(g, c["clipnorm"]) for g in grads]
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

    def _train(self, state, c, orders):
        """One epoch: every batch of `orders` (steps, rows, K), the training rows each member
        reads, gathered from c["train_rows"] (inputs, then targets; with Conv2D layers
        members first, see Program).

        Returns:
            (new state, (K,) epoch loss as Keras logs it).
        """
        params, m, v, active, step = state
        zeros = tf.zeros_like(c["lr"])
        features, members = self.spec.n_features, self.spec.members
        member = tf.range(members)

        def body(i, params, m, v, active, step, total, count):
            if self.convs is not None:  # (K, rows, columns): images members first
                batch = tf.gather(c["train_rows"],
                                  member[:, None] * self.spec.n_train + tf.transpose(orders[i]))
                return self._step(i, params, m, v, active, step, total, count,
                                  self.convs.images(batch[:, :, :features]),
                                  tf.transpose(batch[:, :, features:], [1, 2, 0]), c)
            # (rows, K, columns) -> (rows, columns, K)
            batch = tf.transpose(tf.gather(c["train_rows"], orders[i] * members + member),
                                 [0, 2, 1])
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
        hidden, logits = self._probe_forward(params, c["x_eval"])
        return {"hidden": hidden, "logits": tf.transpose(logits, [0, 2, 1])}

    def _grads(self, params, c):
        """What the first and last probes add on the evaluation set (training=False).

        Returns:
            dict: grads, the gradients of the mean evaluation loss (no penalty) wrt every
            kernel, as Probe.kernel_grads takes them, [(K, fan_in, fan_out)]; pre_last, the
            last hidden layer's pre-activations (K, n, units); slopes, phi' of the layer
            before it (K, n, units), absent for depth 1.
        """
        kernels, pre, conv_pre = params[0::2], [], []
        with tf.GradientTape() as tape:
            tape.watch(kernels)
            _, logits = self._probe_forward(params, c["x_eval"], pre=pre, conv_pre=conv_pre)
            loss = tf.reduce_mean(self._row_loss(logits, c["y_eval"]), axis=1)
            total_loss = tf.reduce_sum(loss)
        out = {"grads": [tf.transpose(g, [2, 0, 1]) for g in tape.gradient(total_loss, kernels)]}
        if pre:
            out["pre_last"] = tf.transpose(pre[-1], [0, 2, 1])
        elif conv_pre:  # a Conv2D last hidden layer: its pre-activations flattened per input
            out["pre_last"] = self.convs.per_input(conv_pre[-1])
        if len(pre) >= 2:
            with tf.GradientTape() as tape:  # an elementwise activation: d sum / dz = phi'(z)
                tape.watch(pre[-2])
                h = self._activate(pre[-2], axis=0)
            out["slopes"] = tf.transpose(tape.gradient(h, pre[-2]), [0, 2, 1])
        return out

    def _train_preact_max(self, params, c):
        """Every hidden unit's largest pre-activation over the training inputs (NaN where
        any is non-finite), [(K, 1, units)]: what dead_relu_fraction needs of them (a Conv2D
        layer's units are its channels: the largest over inputs and positions)."""
        spec, pre = self.spec, []
        if self.convs is not None:
            return self._conv_preact_max(params, c)
        rows = tf.reshape(c["train_rows"], (spec.n_train, spec.members, -1))
        self._probe_forward(params, tf.transpose(rows[:, :, :spec.n_features], [1, 2, 0]),
                            pre=pre)
        return [tf.where(tf.reduce_all(tf.math.is_finite(z), axis=2),
                         tf.reduce_max(z, axis=2), np.float32(np.nan))[:, None, :]
                for z in pre]

    def _conv_preact_max(self, params, c):
        """_train_preact_max with Conv2D layers, PREACT_ROWS training inputs at a time."""
        spec, top = self.spec, None
        rows = tf.reshape(c["train_rows"], (spec.members, spec.n_train, -1))
        for start in range(0, spec.n_train, PREACT_ROWS):
            pre, conv_pre = [], []
            x = self.convs.images(rows[:, start:start + PREACT_ROWS, :spec.n_features])
            self._probe_forward(params, x, pre=pre, conv_pre=conv_pre)
            part = [(tf.reduce_max(z, axis=2), tf.reduce_all(tf.math.is_finite(z), axis=2))
                    for z in conv_pre + pre]
            top = part if top is None else [(tf.maximum(a, b), ok_a & ok_b) for (a, ok_a), (
                b, ok_b) in zip(top, part, strict=True)]
        return [tf.where(ok, largest, np.float32(np.nan))[:, None, :] for largest, ok in top]

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


def program(spec):
    """The programs of `spec`, built once per process (the XLA compile takes ~0.5 s)."""
    if spec not in _PROGRAMS:
        _PROGRAMS[spec] = Program(spec)
    return _PROGRAMS[spec]
