"""How much memory the batched engine needs, and how much the machine has (no TensorFlow).

`member_bytes` estimates what one network takes while its chunk trains; the engine sizes its
chunks with it (engine.plan) and the sweep sizes its blocks and refuses networks too large for
the budget with it (experiments.sweep.budget), before anything is trained.
"""

import os
from pathlib import Path

# In training, a Dense layer with at least this many weights is a batched matrix product;
# smaller ones are a broadcast product summed over its inputs (engine.program._dense).
MATMUL_MIN_WEIGHTS = 4096
# float32 copies of the weights a member holds at once: while training (weights, gradients,
# optimizer slots and what each of the four update rules makes of them; measured 2026-12-07
# for depth 10 x width 1000, one epoch: 1.54 GB above the processes' own for one network,
# 1.68-1.91 GB for four, one chunk after the other; 24 copies estimate 1.89 GB), and when only
# probed (epochs=0: weights, gradients and the probes' copies).
PARAM_COPIES_TRAINING = 24
PARAM_COPIES_PROBING = 6
# A network alone in its chunk trains beside one padding copy (engine.plan: a lone activation
# block gets a partner block), so the least a network needs is two members' memory.
LEAST_MEMBERS = 2


PREACT_ROWS = 128  # engine.conv.PREACT_ROWS: training inputs per pass of the Conv2D probes


def conv_bytes(shape):
    """The Conv2D layers' share of member_bytes (0 without them): per layer of P positions,
    F filters and I = k * k * in patch rows, the activations of two evaluation probes in
    flight, the tape of the gradient probe (patches, pre-activations, activations and their
    gradients), a training step's and a pre-activation pass's."""
    if len(shape) < 14 or not shape[13]:
        return 0
    n_eval, batch_size = shape[6], shape[8]
    (height, width, channels), floats = shape[12], 0
    for filters, k, pool in shape[13]:
        positions, patch = height * width, k * k * channels
        floats += positions * (2 * n_eval * filters + n_eval * (2 * patch + 6 * filters)
                               + batch_size * (3 * patch + 10 * filters)
                               + PREACT_ROWS * (patch + 3 * filters))
        if pool != "none":
            height, width = height // 2, width // 2
        channels = filters
    return 4 * floats


def member_bytes(shape):
    """Bytes one member of a chunk uses, for a shape key (engine.members.shape_key).

    Per member: the training and evaluation data (the probes' copies, the training rows the
    program gathers its batches from, an epoch's row orders); the weights with the optimizer
    slots, every update rule's new copies (the program computes each rule and every member
    selects its own) and the gradients; two probes in flight (activations kept
    for the metrics and for the gradient), with the metrics' float64 copy of one layer; the
    forward pass over the training inputs; and, as a margin, a rows x fan_in x fan_out product
    of the largest small Dense layer (the probes use a matrix product instead). Conv2D layers
    add conv_bytes; their Dense layers' inputs are the flattened last feature map.
    """
    (_task, n_features, n_out, depth, width, n_train, n_eval, epochs, batch_size,
     *_rest) = shape
    flat, conv_params = _conv_shape(shape, n_features)
    sizes = [flat] + [width] * depth + [n_out]
    shapes = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
    n_params = sum(shapes) + sum(sizes[1:]) + conv_params
    units = depth * width + n_out
    small = max([s for s in shapes if s < MATMUL_MIN_WEIGHTS], default=0)
    rows = max(n_train, n_eval)
    return (4 * 4 * n_train * (n_features + n_out) + 4 * 2 * n_eval * (n_features + n_out)
            + 4 * (PARAM_COPIES_TRAINING if epochs else PARAM_COPIES_PROBING) * n_params
            + 2 * (4 * 4 * n_eval * units + 8 * 4 * n_eval * width + 16 * width * width)
            + 4 * 3 * n_train * width + 4 * 4 * batch_size * units
            + 4 * rows * small + conv_bytes(shape) + 4096)


def _conv_shape(shape, n_features):
    """(inputs of the first Dense layer, Conv2D weights) of a shape key."""
    if len(shape) < 14 or not shape[13]:
        return n_features, 0
    (height, width, channels), weights = shape[12], 0
    for filters, k, pool in shape[13]:
        weights += k * k * channels * filters + filters
        if pool != "none":
            height, width = height // 2, width // 2
        channels = filters
    return height * width * channels, weights


def least_bytes(shape):
    """The memory a network of this shape needs to train at all (alone in its chunk)."""
    return LEAST_MEMBERS * member_bytes(shape)


def result_bytes(epochs):
    """Memory a trained network's row and history hold until its block is written: in the
    training process, in the pipe and in the sweep's process (an estimate, ~6 history values
    per epoch as Python objects and a frame, and a row of ~150 columns)."""
    return 16384 + (int(epochs) + 1) * 8 * 256


def _read_int(path):
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_bytes():
    """Memory this process may still use: the machine's MemAvailable, or less if a control
    group (a container, a systemd or Slurm job) limits it. None if neither can be read."""
    candidates = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        cap, used = _read_int(limit), _read_int(usage)
        if cap is not None and used is not None and cap < 1 << 60:
            candidates.append(max(0, cap - used))
    if not candidates and hasattr(os, "sysconf"):
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(candidates) if candidates else None
