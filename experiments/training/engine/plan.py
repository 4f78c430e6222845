"""Members split into chunks: how many per computation (memory), and in which slots."""

from experiments.training.engine.chunk import Chunk
from experiments.training.engine.program import Spec
from experiments.training.memory import member_bytes
from experiments.variants.activation import ACTIVATION

MEMORY_BUDGET = 1 << 30  # bytes one chunk may use (inputs, snapshots, metric temporaries)
MAX_CHUNK = 4096  # members per computation, whatever the budget allows
MEMBER_MULTIPLE = 16  # activation blocks are padded to a multiple of this (AVX-512 lanes)
# The padding block beside a lone activation (see plan): a cheap one.
PARTNER_ACTIVATION = {name: "linear" for name in ACTIVATION.names()} | {"linear": "relu"}


def default_chunk_size(spec_like, budget=None):
    """Members per computation so that one chunk stays within about `budget` bytes
    (MEMORY_BUDGET if None); the memory of a member: experiments.training.memory."""
    budget = MEMORY_BUDGET if budget is None else budget
    return int(max(1, min(MAX_CHUNK, budget // member_bytes(spec_like))))


def spec_of(key, blocks):
    """The program.Spec of a shape key (members.shape_key) with these activation blocks."""
    return Spec(*key[:12], blocks=blocks, **dict(zip(("image", "convs", "clip"), key[12:])))


def _round_up(n, multiple):
    return -(-n // multiple) * multiple


def plan(key, group, chunk_size, budget=None):
    """Split a group into chunks that share one spec, hence one compiled program.

    Every activation's members are dealt round-robin over the chunks, so every chunk has
    the same activation blocks; blocks are padded to a multiple of MEMBER_MULTIPLE. Networks
    so large that fewer than MEMBER_MULTIPLE fit the memory budget (see default_chunk_size)
    go one per block instead, whatever chunk_size says: padding would multiply their memory.
    Networks with Conv2D layers are not padded to a multiple (their blocks are as large as
    the chunks need).
    `budget`: bytes a chunk may use (default_chunk_size).

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
    if default_chunk_size(key, budget) >= MEMBER_MULTIPLE:
        # Conv2D layers hold the member axis first (engine.conv): no lanes to fill there,
        # and chunks of a few dozen members would be mostly padding.
        multiple = 1 if len(key) > 13 and key[13] else MEMBER_MULTIPLE
        n_chunks = -(-len(group) // chunk_size)
    else:  # decided by the shape alone, so that a network's chunking never varies
        n_chunks, multiple = max(len(ms) for ms in by_activation.values()), 1
    blocks = tuple((name, max(multiple, _round_up(-(-len(ms) // n_chunks), multiple)))
                   for name, ms in sorted(by_activation.items()))
    spec = spec_of(key, blocks)
    chunks = []
    for j in range(n_chunks):
        slots, real = [], []
        for name, size in blocks:
            part = by_activation[name][j::n_chunks]
            slots += part + [(by_activation[name] or group)[0]] * (size - len(part))
            real += [True] * len(part) + [False] * (size - len(part))
        if any(real):  # many activations of one member each leave later chunks empty
            chunks.append(Chunk(slots, real, spec))
    return spec, chunks
