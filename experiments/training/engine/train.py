"""train_many: jobs prepared, planned into chunks, each chunk trained by its program and scored."""

import contextlib
import ctypes
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from experiments.training.engine import compile_cache
from experiments.training.engine.members import prepare, shape_key
from experiments.training.engine.plan import default_chunk_size, plan
from experiments.training.engine.program import program as _program
from experiments.training.engine.results import Scorer, assemble, numpy_tree
from experiments.variants.model import build_model


def run_chunk(chunk, cache):
    """Train one chunk; returns [(result, history, final weights)] for chunk.members.

    `cache` holds weights shared between chunks (see members.initial_weights).

    A worker thread overlaps the numpy work (next epoch's batch orders, last epoch's metrics)
    with the compiled programs, which release the GIL while they run.
    """
    spec, c = chunk.spec, chunk.constants
    program = _program(spec)
    scorer, real = Scorer(chunk, program), chunk.real

    def train(state, orders):
        return program.train(state=state, c=c, orders=orders)

    def probe(state, final):
        """Probe dict (numpy); grads and training pre-activations only for the first and
        last probes."""
        out = numpy_tree(program.probe(params=state[0], c=c))
        if final:
            out["final"] = numpy_tree(program.grads(params=state[0], c=c))
            out["train_preact_max"] = numpy_tree(program.train_preact_max(params=state[0], c=c))
        return out, numpy_tree(state[0][0::2])

    with ThreadPoolExecutor(max_workers=1) as worker:
        state = chunk.initial_state(cache)
        if spec.epochs:
            orders, pending = chunk.orders(0), None
            # Traced here, before anything runs beside it, so that the names in the program
            # are the same in every process that does the same work (see compile_cache).
            program.train.get_concrete_function(state=state, c=c, orders=orders)
            warm = worker.submit(train, state, orders)  # XLA compiles it during the probes
        at_init = probe(state, final=True)
        if spec.epochs:
            _compiled(warm, program)
        at_init = worker.submit(scorer.measure, *at_init, True)
        epochs = []  # (epoch, members still training, their losses, future metrics)
        for epoch in range(spec.epochs):
            running = np.flatnonzero(np.asarray(state[3])[real])
            if not len(running):
                break  # every member stopped: nothing changes any more
            if pending is not None:
                orders = pending.result()
            pending = worker.submit(chunk.orders, epoch + 1) if epoch + 1 < spec.epochs else None
            state, loss = train(state, orders)
            last = epoch + 1 == spec.epochs or not state[3].numpy()[real].any()
            measured = worker.submit(scorer.measure, *probe(state, last), last)
            epochs.append((epoch + 1, running, loss.numpy()[real].tolist(), measured))
        at_init = at_init.result()
        return assemble(chunk, at_init, epochs, numpy_tree(state[0]))


def _compiled(warm, program):
    """Wait for the training program's first call; if it failed with the compile cache on
    (an entry half written by another process, a full disk), empty the cache and start a fresh
    program, compiled at its next call; an error that is not the cache's comes back there."""
    try:
        warm.result()
    except tf.errors.OpError as error:
        if not compile_cache.clear():
            raise
        logging.getLogger(__name__).warning(
            "the first call of a training program failed with XLA's compile cache on (%s); "
            "the cache was emptied and the program is compiled again",
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
        program.new_train()


def _keep_freed_memory():
    """Ask glibc's malloc to reuse freed memory rather than hand it back to the system.

    A chunk's probes and metrics allocate arrays of a few MB every epoch. By default glibc
    maps each of them fresh and unmaps it when freed, so every epoch pays page faults and
    the zeroing of new pages again: that was most of the metrics' time (4.6 ms against 0.8 ms
    for the dead units of 200 networks). Arrays up to 32 MB (glibc's maximum) now come from
    the heap, which is not trimmed below 1 GB. Process-wide: the process keeps up to its
    peak memory instead of returning it. Nothing happens where malloc is not glibc's.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)


def _return_freed_memory():
    """Hand the memory a finished chunk freed back to the system (glibc's malloc_trim), so
    that what one chunk left in the heap does not add to the next one's peak."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


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


def train_many(jobs, chunk_size=None, progress=None, return_weights=False, chunk_budget=None):
    """Train every (cfg, seed) job as train_keras would, many networks per computation.

    Args:
        jobs: list of (cfg, seed), cfg a composed config as train_keras takes.
        chunk_size: about the most networks per computation (activation blocks are padded
            to multiples of MEMBER_MULTIPLE); None picks one per shape so that a chunk stays
            within about MEMORY_BUDGET bytes.
        progress: optional callable(n_done), called after each chunk with the number of jobs
            finished so far.
        return_weights: also return each network's final weights.
        chunk_budget: bytes a chunk may use (None: plan.MEMORY_BUDGET); the sweep sets it
            from its memory budget (experiments.sweep.budget).

    Returns:
        In job order, (result, history) as train_keras returns them, or (result, history,
        weights) with return_weights, weights being numpy arrays in Keras get_weights() order
        (see member_model).
    """
    _keep_freed_memory()
    with _gc_paused():
        return _train_many(jobs, chunk_size, progress, return_weights, chunk_budget)


def _train_many(jobs, chunk_size, progress, return_weights, chunk_budget):
    members, cache = prepare(jobs)
    groups = {}
    for member in members:
        groups.setdefault(shape_key(member), []).append(member)
    out, done = [None] * len(members), 0
    for key, group in groups.items():
        _, chunks = plan(key, group, chunk_size or default_chunk_size(key, chunk_budget),
                         chunk_budget)
        for chunk in chunks:
            for member, trained in zip(chunk.members, run_chunk(chunk, cache), strict=True):
                out[member.index] = trained if return_weights else trained[:2]
            done += len(chunk.members)
            _return_freed_memory()
            if progress is not None:
                progress(done)
    return out


def member_model(cfg, input_shape, task, n_classes, weights):
    """An ordinary Keras model of config `cfg` holding `weights` (e.g. a trained member).

    Args:
        cfg: the member's config.
        input_shape: one input's shape (an image's (height, width, channels)), or a table's
            number of features (Data.n_features).
        task, n_classes: its data's (Data.task, .n_classes).
        weights: numpy arrays in Keras get_weights() order, as train_many returns them.

    Returns:
        keras.Sequential built by experiments.variants.model.build_model, with `weights` set.
    """
    model = build_model(cfg, input_shape, task, n_classes, seed=0)
    model.set_weights(weights)
    return model
