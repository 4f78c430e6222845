"""Members split into chunks: how many per computation (memory), and in which slots."""

from experiments.training.engine.chunk import Chunk
from experiments.training.engine.program import MATMUL_MIN_WEIGHTS, Spec
from experiments.variants.activation import ACTIVATION

MEMORY_BUDGET = 1 << 30  # bytes one chunk may use (inputs, snapshots, metric temporaries)
MAX_CHUNK = 4096  # members per computation, whatever the budget allows
MEMBER_MULTIPLE = 16  # activation blocks are padded to a multiple of this (AVX-512 lanes)
# The padding block beside a lone activation (see plan): a cheap one.
PARTNER_ACTIVATION = {name: "linear" for name in ACTIVATION.names()} | {"linear": "relu"}


def default_chunk_size(spec_like):
    """Members per computation so that one chunk stays within about MEMORY_BUDGET.

    Per member (bytes): the training and evaluation data (the probes' copies, the training
    rows the program gathers its batches from, an epoch's row orders); the weights with the
    optimizer slots, an update's new copies and the gradients; two probes in flight
    (activations kept for the metrics and for the gradient), with the metrics' float64 copy
    of one layer; the forward pass over the training inputs; and, as a margin, a rows x
    fan_in x fan_out product of the largest small Dense layer (the probes use a matrix
    product instead, see program._dense_probe).
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


def plan(key, group, chunk_size):
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
    spec = Spec(*key[:-1], dropout=key[-1], blocks=blocks)
    chunks = []
    for j in range(n_chunks):
        slots, real = [], []
        for name, size in blocks:
            part = by_activation[name][j::n_chunks]
            slots += part + [(by_activation[name] or group)[0]] * (size - len(part))
            real += [True] * len(part) + [False] * (size - len(part))
        chunks.append(Chunk(slots, real, spec))
    return spec, chunks
