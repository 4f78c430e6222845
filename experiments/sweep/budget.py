"""A sweep's memory budget: blocks sized to fit it, a network too large for it refused.

The budget is `hydra.launcher.max_memory_gb`, or SHARE_OF_AVAILABLE of the memory the machine
(or the sweep's control group) has available when the sweep starts. It is what the networks
being trained, and their rows until written, may take at once; the two processes' own
libraries (~1 GB with TensorFlow loaded) come on top. Half of it bounds one chunk of the
engine (at most the engine's 1 GB); the other half holds the results of the block that trains
and of the one being written, which sets how many networks a block holds. A network that
cannot train even alone within the budget is refused by name before anything is trained.
"""

import logging
from dataclasses import dataclass

import numpy as np

from experiments.training import memory
from experiments.variants.dataset import DATASETS
from experiments.variants.model import output_units
from experiments.variants.registry import ConfigError

log = logging.getLogger(__name__)

GB = 1 << 30
SHARE_OF_AVAILABLE = 0.8  # of the available memory, when max_memory_gb is not set
CHUNK_BYTES = 1 << 30  # the engine's own bound on a chunk (engine.plan.MEMORY_BUDGET)


class TooLarge(ConfigError):
    """A network needs more memory than the budget; `.index` is its job's position."""

    def __init__(self, message, index):
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class Budget:
    total: int  # bytes
    source: str  # where it comes from, for the messages

    @classmethod
    def of(cls, max_memory_gb=None):
        """The budget of `hydra.launcher.max_memory_gb` (None: the machine's)."""
        if max_memory_gb is not None:
            return cls(int(float(max_memory_gb) * GB),
                       f"hydra.launcher.max_memory_gb={float(max_memory_gb):g}")
        available = memory.available_bytes()
        if available is None:  # nothing to read it from: the engine's own bound alone
            return cls(4 * CHUNK_BYTES, "the default (the machine's memory cannot be read)")
        return cls(int(available * SHARE_OF_AVAILABLE),
                   f"{SHARE_OF_AVAILABLE:.0%} of the memory available")

    @property
    def chunk(self):
        """Bytes one chunk of the engine may use."""
        return min(CHUNK_BYTES, self.total // 2)

    def block_networks(self, epochs, limit):
        """Networks per block: at most `limit`, and no more than the results of two blocks
        (one training, one being written) of networks of `epochs` epochs fit beside a chunk.
        """
        room = (self.total - self.chunk) // (2 * memory.result_bytes(epochs))
        return int(max(1, min(limit, room)))


def gigabytes(n):
    return f"{n / GB:.3g} GB" if n >= GB / 10 else f"{n / (1 << 20):.3g} MB"


def shape(cfg):
    """The engine's shape key (engine.members.shape_key, what memory.member_bytes reads of
    it) of a config: its Conv2D layers' image and (filters, kernel size, pooling) included."""
    data = DATASETS.get(cfg.dataset, int(cfg.seed), float(cfg.eval_fraction))
    input_shape = tuple(int(s) for s in data.x_train.shape[1:])
    model, convs = cfg.model, ()
    if model.name == "cnn":
        pool = str(model.get("pooling", "max"))
        convs = ((int(model.filters), int(model.kernel_size), pool),) * int(model.conv_layers)
    return (data.task, int(np.prod(input_shape)), output_units(data.task, data.n_classes),
            int(model.depth), int(model.width), len(data.x_train), len(data.x_eval),
            int(cfg.epochs), int(cfg.batch_size), bool(model.get("use_bias", True)), True,
            cfg.regularization.name == "dropout", input_shape if convs else (), convs)


def check(configs, budget, need=memory.least_bytes):
    """Raise TooLarge for the first config a network of which cannot train within `budget`.

    `need(shape)`: what one network needs; the batched engine's least chunk by default, one
    member (memory.member_bytes) on the Keras path, which trains one network at a time (as
    every configuration the engine does not take does, engine.engine_supports).
    """
    from experiments.training.engine.support import engine_supports

    needs = {}
    for index, cfg in enumerate(configs):
        key = shape(cfg)
        way = need if engine_supports(cfg)[0] else memory.member_bytes
        if (key, way) not in needs:
            needs[key, way] = way(key)
        key = key, way
        if needs[key] > budget.total:
            raise TooLarge(
                f"one network of model.depth={cfg.model.depth} model.width={cfg.model.width} "
                f"needs about {gigabytes(needs[key])} to train, more than the memory budget, "
                f"{gigabytes(budget.total)} ({budget.source}): make it smaller, or raise "
                "hydra.launcher.max_memory_gb if the machine has the memory", index)


def block_networks(configs, budget, limit):
    """Networks per block for these configs (the longest training sets it)."""
    epochs = max((int(cfg.epochs) for cfg in configs), default=0)
    size = budget.block_networks(epochs, limit)
    if size < limit:
        log.info("memory budget %s (%s): blocks of at most %d networks", gigabytes(budget.total),
                 budget.source, size)
    return size
