"""Recurrent cells in numpy: the gate activations of Keras's LSTM and GRU layers.

Keras does not return its gates, so the probes recompute them from a layer's input sequence
and weights with Keras's equations (sigmoid gates, tanh candidate; GRU with reset_after, its
default). Used by the saturated_gates metric.
"""

import numpy as np


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def gates(cell, x, kernel, recurrent_kernel, bias=None, outputs=False):
    """Every sigmoid gate's activation of a recurrent layer over a batch of sequences.

    Args:
        cell: 'lstm' or 'gru' ('simple' has no gates: an empty array).
        x: (n, T, features) the layer's inputs.
        kernel, recurrent_kernel, bias: the layer's weights as Keras holds them (LSTM bias
            (4u,); GRU bias (2, 3u), input then recurrent; None without bias).

    Returns:
        float64 (n, T, gates, units): LSTM's input, forget and output gates; GRU's update and
        reset gates. With `outputs`, also the layer's output sequence (n, T, units).
    """
    x = np.asarray(x, np.float64)
    n, steps = x.shape[:2]
    kernel, recurrent = np.asarray(kernel, np.float64), np.asarray(recurrent_kernel, np.float64)
    units = recurrent.shape[0]
    if cell == "simple":
        empty = np.zeros((n, steps, 0, units))
        return (empty, None) if outputs else empty
    h, c, out, seq = np.zeros((n, units)), np.zeros((n, units)), [], []
    if cell == "lstm":
        b = np.zeros(4 * units) if bias is None else np.asarray(bias, np.float64)
        for t in range(steps):
            z = x[:, t] @ kernel + h @ recurrent + b
            i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units:2 * units])
            o = _sigmoid(z[:, 3 * units:])
            c = f * c + i * np.tanh(z[:, 2 * units:3 * units])
            h = o * np.tanh(c)
            out.append(np.stack([i, f, o], axis=1))
            seq.append(h)
    elif cell == "gru":
        b = np.zeros((2, 3 * units)) if bias is None else np.asarray(bias, np.float64)
        for t in range(steps):
            mx, mh = x[:, t] @ kernel + b[0], h @ recurrent + b[1]
            z = _sigmoid(mx[:, :units] + mh[:, :units])
            r = _sigmoid(mx[:, units:2 * units] + mh[:, units:2 * units])
            hh = np.tanh(mx[:, 2 * units:] + r * mh[:, 2 * units:])
            h = z * h + (1 - z) * hh
            out.append(np.stack([z, r], axis=1))
            seq.append(h)
    else:
        raise ValueError(f"cell {cell!r}: allowed lstm, gru, simple")
    values = np.stack(out, axis=1)
    return (values, np.stack(seq, axis=1)) if outputs else values


def unit_kernel(kernel, recurrent_kernel, blocks):
    """A recurrent layer's incoming weights with one column per unit: the input kernel
    (features, blocks * units) and recurrent kernel (units, blocks * units) as
    (blocks * (features + units), units), so that identical units have identical columns."""
    units = np.asarray(recurrent_kernel).shape[0]
    parts = [np.asarray(k).reshape(k.shape[0], blocks, units).reshape(-1, units)
             for k in (np.asarray(kernel), np.asarray(recurrent_kernel))]
    return np.concatenate(parts, axis=0)
