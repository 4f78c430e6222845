"""Conv2D and 2x2 pooling on the member axis: the convolutional layers of model=cnn, in training
(under XLA) and in the probes (plain TensorFlow).

Layout: members first, channels before positions: activations x (K, channels, rows, height,
width). A kernel is kept as the rest of the engine keeps it, in unit form with the member axis
last, (k * k * in, filters, K), row (dy * k + dx) * in + c: Keras's (k, k, in, filters) kernel
reshaped.

A convolution is a matrix product per member: the k * k shifted slices of the zero-padded
input ('same' padding as Keras pads it, the extra row and column after for an even k) stacked
into patches (K, k * k * in, rows * height * width), and kernel^T (K, filters, k * k * in)
times patches. XLA's grouped convolution would take the member axis as groups, but on CPU its
training step under jit_compile is 40-155x slower (its kernel gradient becomes a batch-group
convolution); in this layout every contraction is one batched matrix product on contiguous
rows. Measured for the digits CNN (2 Conv2D of 8 filters, K = 96 members, batch 32): member axis
last with broadcast products summed (the small Dense layers' form) 5-50x slower than the
products, member axis last with einsum over patches ~1.3x, channels last (patches with the
k * k * in axis innermost, whose stacking copies 1-8 floats at a time) ~1.2x slower.

The gradient is written out (custom_gradient), the same products as automatic
differentiation would make but in the layout above: the kernel's is patches @ dz^T (the
orientation XLA's CPU dot runs fastest, 2-4x faster than dz @ patches^T); the input's is the
convolution of dz with the flipped kernel (padding swapped), absent for the first layer.

Pooling is a reshape into 2x2 windows (trailing odd rows and columns dropped, as Keras's
'valid' pooling does) and a max or mean over them. The max's gradient goes to the first maximum
of each window in row-major order, as TensorFlow's MaxPoolGrad routes it (where several inputs
tie, e.g. after a constant initializer or at ReLU's zeros); automatic differentiation of
reduce_max would split it between them.
"""

import tensorflow as tf

from experiments.training.memory import PREACT_ROWS  # noqa: F401  (program reads it here)

POOL = 2


def same_padding(k):
    """(before, after) zero rows of Keras's 'same' padding for a kernel of size k."""
    before = (k - 1) // 2
    return before, k - 1 - before


def patches(x, k, pad):
    """(K, C, n, H, W) -> (K, k * k * C, n * H * W), row (dy * k + dx) * C + c holding x
    shifted by (dy - pad[0], dx - pad[0]), zeros outside."""
    members, channels, n, height, width = x.shape
    before, after = pad
    padded = tf.pad(x, [[0, 0], [0, 0], [0, 0], [before, after], [before, after]])
    stacked = tf.stack([padded[:, :, :, dy:dy + height, dx:dx + width]
                        for dy in range(k) for dx in range(k)], axis=1)
    return tf.reshape(stacked, (members, k * k * channels, n * height * width))


def _convolve(x, kernel_t, k, pad):
    """x (K, C, n, H, W) convolved with kernel_t (K, F, k * k * C): (K, F, n, H, W)."""
    members, _, n, height, width = x.shape
    z = tf.linalg.matmul(kernel_t, patches(x, k, pad))
    return tf.reshape(z, (members, kernel_t.shape[1], n, height, width))


def _flipped(kernel_t, channels, k):
    """The kernel of the input gradient: kernel_t (K, F, k * k * C) flipped in both spatial
    axes, in and out channels swapped, (K, C, k * k * F)."""
    members, filters, _ = kernel_t.shape
    spatial = tf.reshape(kernel_t, (members, filters, k, k, channels))[:, :, ::-1, ::-1]
    return tf.reshape(tf.transpose(spatial, [0, 4, 2, 3, 1]), (members, channels, k * k * filters))


def conv2d(x, kernel, k, bias=None, keep=None, input_grad=True):
    """Keras's Conv2D(padding='same') without activation, for every member.

    Args:
        x: (K, C, n, H, W) inputs.
        kernel: (k * k * C, F, K), the unit form (module docstring).
        bias: (F, K), added after the product, or None.
        keep: in training, a function that makes XLA compute a tensor once into memory
            (program._materialized's); applied to the output gradient, which the kernel's and
            the input's gradients both read.
        input_grad: False for the first layer: its inputs are data, whose gradient nobody
            reads.

    Returns:
        (K, F, n, H, W).

    The bias's gradient comes out of the kernel's product, as the patches' extra row of
    ones: a reduction of dz over rows and positions of its own would be emitted by XLA in an
    order that depends on K (a member's numbers would depend on its neighbours), the products
    in one that does not.
    """
    pad = same_padding(k)
    channels = x.shape[1]

    def forward(x, kernel_t, bias_t):
        z = _convolve(x, kernel_t, k, pad)
        return z if bias_t is None else z + bias_t[:, :, None, None, None]

    def grads(x, kernel_t, dz, with_bias):
        if keep is not None:
            dz = keep(dz)
        members, filters, n, height, width = dz.shape
        rows = tf.reshape(dz, (members, filters, n * height * width))
        cols = patches(x, k, pad)
        if with_bias:
            cols = tf.concat([cols, tf.ones_like(cols[:, :1])], axis=1)
        d_kernel = tf.einsum("kin,kfn->kif", cols, rows)
        d_x = (_convolve(dz, _flipped(kernel_t, channels, k), k, pad[::-1])
               if input_grad else tf.zeros_like(x))
        return d_x, d_kernel

    if bias is None:
        @tf.custom_gradient
        def op(x, kernel_u):
            kernel_t = tf.transpose(kernel_u, [0, 2, 1])
            return forward(x, kernel_t, None), lambda dz: grads(x, kernel_t, dz, False)

        return op(x, tf.transpose(kernel, [2, 0, 1]))

    @tf.custom_gradient
    def op_bias(x, kernel_u, bias_t):
        kernel_t = tf.transpose(kernel_u, [0, 2, 1])

        def grad(dz):
            d_x, d_both = grads(x, kernel_t, dz, True)
            return d_x, d_both[:, :-1], d_both[:, -1]

        return forward(x, kernel_t, bias_t), grad

    return op_bias(x, tf.transpose(kernel, [2, 0, 1]), tf.transpose(bias))


def _windows(x):
    """(K, F, n, H, W) -> (K, F, n, H // 2, 2, W // 2, 2): the pooling windows."""
    members, filters, n, height, width = x.shape
    rows, cols = height // POOL, width // POOL
    return tf.reshape(x[:, :, :, :rows * POOL, :cols * POOL],
                      (members, filters, n, rows, POOL, cols, POOL))


def _unwindowed(windows, height, width):
    """The inverse of _windows, zeros in the rows and columns it dropped."""
    members, filters, n, rows, _, cols, _ = windows.shape
    x = tf.reshape(windows, (members, filters, n, rows * POOL, cols * POOL))
    return tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, height - rows * POOL],
                      [0, width - cols * POOL]])


def max_pool(x):
    """Keras's MaxPooling2D(2) of (K, F, n, H, W), the gradient to the first maximum of each
    window in row-major order (TensorFlow's MaxPoolGrad)."""
    height, width = x.shape[3], x.shape[4]

    @tf.custom_gradient
    def op(x):
        windows = _windows(x)
        top = tf.reduce_max(windows, axis=(4, 6))

        def grad(dy):
            equal = tf.equal(windows, top[:, :, :, :, None, :, None])
            taken, parts = None, []
            for i in range(POOL):
                row = []
                for j in range(POOL):
                    hit = equal[:, :, :, :, i, :, j]
                    first = hit if taken is None else hit & ~taken
                    taken = hit if taken is None else taken | hit
                    row.append(tf.where(first, dy, 0.0))
                parts.append(tf.stack(row, axis=-1))
            return _unwindowed(tf.stack(parts, axis=4), height, width)

        return top, grad

    return op(x)


def average_pool(x):
    """Keras's AveragePooling2D(2) of (K, F, n, H, W); its gradient a quarter of dy per input
    of the window (automatic differentiation)."""
    return tf.reduce_mean(_windows(x), axis=(4, 6))


def _native_pool(x, kind):
    """TensorFlow's own MaxPool / AvgPool (Keras's ops) of (K, F, n, H, W), each channel of
    each input an image of one channel."""
    members, filters, n, height, width = x.shape
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    out = op(tf.reshape(x, (members * filters * n, height, width, 1)), POOL, POOL, "VALID")
    return tf.reshape(out, (members, filters, n, height // POOL, width // POOL))


def pool(x, kind, native=False):
    """The pooling after a Conv2D layer: 'max', 'average' or 'none'.

    native: TensorFlow's own pooling ops (the probes, outside XLA: Keras's very numbers and
    gradients, and 2-3x faster there than a reduction over the windows); otherwise the
    windows' reduction (training, under XLA, where it fuses into its neighbours).
    """
    if kind == "none":
        return x
    if native:
        return _native_pool(x, kind)
    return max_pool(x) if kind == "max" else average_pool(x)


def flatten_train(h):
    """(K, C, n, H, W) -> (n, H * W * C, K): Keras's Flatten of NHWC images (features in
    (h, w, c) order), member axis last as the Dense layers take it."""
    members, channels, n, height, width = h.shape
    return tf.reshape(tf.transpose(h, [2, 3, 4, 1, 0]), (n, height * width * channels, members))


def flatten_probe(h):
    """(K, C, n, H, W) -> (K, H * W * C, n): Keras's Flatten, as the probes' Dense layers take
    it (members first, inputs last)."""
    members, channels, n, height, width = h.shape
    return tf.reshape(tf.transpose(h, [0, 3, 4, 1, 2]), (members, height * width * channels, n))


def unit_rows(h):
    """(K, F, n, H, W) -> (K, F, n * H * W): a Conv2D layer's activations with its channels
    as units and inputs x positions (NHWC row order) as rows, inputs last (the metrics' fast
    layout, as the Dense probes give theirs)."""
    members, filters, n, height, width = h.shape
    return tf.reshape(h, (members, filters, n * height * width))


# PREACT_ROWS: training inputs per pass when the probes take every unit's largest
# pre-activation (the patches of all of them at once would be ~40x a batch's); a constant, so
# that the numbers never depend on how many members a chunk has.


class ConvStack:
    """The Conv2D layers of a spec (spec.convs, spec.image) and their pooling, for a Program.

    Their weights are the first 2 * len(spec.convs) entries of the program's params (kernel,
    bias per layer, Keras order). The layers run block by block: an activation block is a
    contiguous run of members on their leading axis, so each block's layers apply its own
    activation (Keras's function) to a slice of the members, and nothing of them is
    concatenated but the Dense layers' inputs (Program._activate's blockwise form, a
    concatenation fused into every element's computation, took ~20% of a training step).
    """

    def __init__(self, spec, blocks):
        """blocks: [(activation function, first member, end)] (Program.blocks)."""
        self.spec, self.blocks = spec, blocks
        height, width, channels = spec.image
        self.layers = []  # (kernel size, filters, pooling, input height, width, channels)
        for filters, k, kind in spec.convs:
            self.layers.append((k, filters, kind, height, width, channels))
            if kind != "none":
                height, width = height // POOL, width // POOL
            channels = filters
        self.flat = height * width * channels  # the first Dense layer's inputs

    def __len__(self):
        return len(self.layers)

    def images(self, rows):
        """(K, n, H * W * C) flat inputs in (c, h, w) order -> (K, C, n, H, W)."""
        height, width, channels = self.spec.image
        members, n, _ = rows.shape
        return tf.transpose(tf.reshape(rows, (members, n, channels, height, width)),
                            [0, 2, 1, 3, 4])

    def _blocks(self, params, x):
        """(activation, the block's Conv2D weights, its inputs) of every block."""
        if len(self.blocks) == 1:
            return [(self.blocks[0][0], params[:2 * len(self)], x)]
        return [(activation, [p[..., start:end] for p in params[:2 * len(self)]],
                 x[start:end]) for activation, start, end in self.blocks]

    def _layer(self, activation, params, layer, x, keep=None):
        """Layer `layer`'s (pre-activation, activation) of one block."""
        k = self.layers[layer][0]
        bias = params[2 * layer + 1] if self.spec.has_bias(layer) else None
        z = conv2d(x, params[2 * layer], k, bias, keep, input_grad=layer > 0)
        return z, activation(z)

    def train(self, params, x, keep, kept):
        """Training's forward pass of a batch x (K, C, rows, H, W): the first Dense layer's
        inputs (rows, flat, K), computed once into memory (`kept`); `keep` makes a tensor's
        gradient so (see conv2d)."""
        out = []
        for activation, weights, h in self._blocks(params, x):
            for layer in range(len(self)):
                _, h = self._layer(activation, weights, layer, h, keep)
                h = pool(h, self.layers[layer][2])
            out.append(flatten_train(h))
        return kept(out[0] if len(out) == 1 else tf.concat(out, axis=-1))

    def per_input(self, rows):
        """The last layer's unit rows (K, F, n * H * W) as (K, n, H * W * F): each input's
        values in Keras's NHWC order."""
        _, filters, _, height, width, _ = self.layers[-1]
        members = rows.shape[0]
        grid = tf.reshape(rows, (members, filters, -1, height * width))
        return tf.reshape(tf.transpose(grid, [0, 2, 3, 1]), (members, -1, height * width * filters))

    def probe(self, params, x, hidden=None, pre=None):
        """The probes' forward pass of inputs x (K, C, n, H, W): the first Dense layer's inputs
        (K, flat, n). `hidden` and `pre`, lists, receive every layer's activation and
        pre-activation in unit rows (K, F, n * H * W)."""
        flat, acts, pres = [], [[] for _ in self.layers], [[] for _ in self.layers]
        for activation, weights, h in self._blocks(params, x):
            for layer in range(len(self)):
                z, h = self._layer(activation, weights, layer, h)
                acts[layer].append(unit_rows(h))
                pres[layer].append(unit_rows(z))
                h = pool(h, self.layers[layer][2], native=True)
            flat.append(flatten_probe(h))
        for out, parts in ((hidden, acts), (pre, pres)):
            if out is not None:
                out += [p[0] if len(p) == 1 else tf.concat(p, axis=0) for p in parts]
        return flat[0] if len(flat) == 1 else tf.concat(flat, axis=0)
