"""The arrays of one chunk: its members' constants, initial state and batch orders, member axis
last."""

import numpy as np
import tensorflow as tf

from experiments.training.common import fit_targets
from experiments.training.engine.dropout import seed_word
from experiments.training.engine.members import initial_weights
from experiments.training.engine.updates import OPTIMIZERS
from experiments.variants.init import layer_seed


def member_last(arrays):
    """Stack per-member arrays on a new last axis, as float32."""
    return np.stack(arrays, axis=-1).astype(np.float32)


def member_first(arrays):
    """Per-member (rows, columns) arrays as one float32 (members, columns, rows) array."""
    return np.ascontiguousarray(np.stack(arrays).astype(np.float32).transpose(0, 2, 1))


def channels_first(x):
    """(n, H, W, C) images -> (n, C, H, W) float32: the layout of engine.conv."""
    return np.ascontiguousarray(np.asarray(x, np.float32).transpose(0, 3, 1, 2))


def flat(x):
    """Inputs (n, ...) -> (n, features) float32, an image flattened as Keras's Flatten does."""
    return np.asarray(x, np.float32).reshape(len(x), -1)


class Chunk:
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
        first_dense, images = len(spec.convs), bool(spec.convs)
        self.constants = {
            "lr": np.float32([c.lr for c in settings]),
            "momentum": np.float32([c.optimizer.get("momentum", 0.0) for c in settings]),
            "optimizer": np.int32([OPTIMIZERS.index(c.optimizer["name"]) for c in settings]),
            "l1": np.float32([m.l1 for m in padded]),
            "l2": np.float32([m.l2 for m in padded]),
            "rate": rates.astype(np.float32),
            # Keras's dropout multiplies by float32(1 / (1 - rate)), the division in float64.
            "scale": np.float32(1.0 / (1.0 - rates)),
            "drop_seed": np.uint32([[seed_word(layer_seed(m.seed, first_dense + layer,
                                                          "dropout"))
                                     for m in padded] for layer in range(spec.depth)]),
            # The probes' evaluation set, members first: (K, features or outputs, rows);
            # images (K, C, rows, H, W).
            "x_eval": (np.stack([channels_first(m.data.x_eval) for m in padded]).transpose(
                0, 2, 1, 3, 4).copy() if images
                       else member_first([flat(m.data.x_eval) for m in padded])),
            "y_eval": member_first([fit_targets(m.data, m.data.y_eval) for m in padded]),
        }
        if spec.clip:
            self.constants["clipnorm"] = np.float32([m.clipnorm for m in padded])
        # Tensors once, rather than numpy arrays converted again at every call.
        self.constants = {name: tf.constant(value) for name, value in self.constants.items()}
        # Training inputs and targets side by side, one row per (training row r, member k), at
        # r * K + k (images: at k * n_train + r, see Program): the training program gathers
        # its batches from it (see orders). The memory budget keeps r * K far below 2**31
        # (plan.MEMORY_BUDGET).
        inputs = [channels_first(m.data.x_train).reshape(len(m.data.x_train), -1) if images
                  else flat(m.data.x_train) for m in padded]
        train = np.stack([np.concatenate([x, fit_targets(m.data, m.data.y_train)], axis=1)
                          for x, m in zip(inputs, padded, strict=True)], axis=0 if images else 1)
        self.constants["train_rows"] = tf.constant(
            train.astype(np.float32).reshape(-1, train.shape[2]))

    def slots(self):
        """The slot (position on the member axis) of each real member."""
        return np.arange(self.spec.members)[self.real]

    def initial_state(self, cache):
        """The training state at initialization; `cache` shares small layers' weights."""
        weights = {}  # padding repeats members: their weights are made once
        for m in self.padded:
            if id(m) not in weights:
                weights[id(m)] = initial_weights(m, cache)
        params = [member_last(ws) for ws in zip(*(weights[id(m)] for m in self.padded),
                                                  strict=True)]
        # Optimizer slots start at zero; evaluation only (epochs=0) needs none.
        zeros = [np.zeros_like(p) for p in params] if self.spec.epochs else []
        return (params, zeros, [z.copy() for z in zeros],
                np.ones(self.spec.members, bool), np.int32(0))

    def orders(self, epoch):
        """This epoch's batches: (steps, batch, K) int32, the training row each member reads.

        The partial last batch is padded with copies of its first row (whatever that row does
        to the numbers, the real row does too); the program masks those rows out.
        """
        spec = self.spec
        rows = np.empty((spec.n_steps * spec.batch_size, spec.members), np.int32)
        rows[:spec.n_train] = np.stack([m.orders[epoch] for m in self.padded], axis=1)
        rows[spec.n_train:] = rows[(spec.n_steps - 1) * spec.batch_size]
        return rows.reshape(spec.n_steps, spec.batch_size, spec.members)
