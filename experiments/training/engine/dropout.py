"""Dropout's random numbers: TensorFlow's stateless Philox uniforms, for every member at once.

Keras's Dropout draws tf.random.stateless_uniform with one seed per call; these functions
compute the same numbers with element-wise integer operations, one seed per member.
"""

import numpy as np
import tensorflow as tf


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


def seed_word(value):
    """A seed as Keras's TF backend passes it to stateless ops: int64 mod (2^31 - 2)."""
    return value % (np.iinfo(np.int32).max - 1)
