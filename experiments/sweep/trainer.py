"""A training process that loads TensorFlow while the sweep is still being composed.

Importing TensorFlow and Keras takes ~2 s of one core (without the libraries Keras would
load for helpers this process never uses, UNUSED_BY_KERAS_HERE), longer than composing and
checking a 600-network sweep. The `collapse` launcher therefore starts this process as soon
as Hydra sets it up; while it loads, the sweep's own process composes and validates the jobs,
makes their datasets and loads the report's libraries on the other core. The sweep's process
never imports TensorFlow. `run.py` starts it even before Hydra when the command line is such
a sweep (experiments.cli), and the launcher takes it over.

The process trains one block at a time (experiments.sweep.blocks.train_block_rows) and sends
progress and the trained rows through a pipe; the sweep's process writes each block's Parquet
files while the next block trains. It ends with its parent: on a clean exit it is told to
stop; if the parent is killed, a watchdog thread notices within 0.2 s and ends it, so a killed
sweep leaves no trainer behind it.
"""

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback


class TrainerDied(RuntimeError):
    """The training process ended without answering (killed, e.g. out of memory)."""


def _watch_parent(parent_pid):
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    os._exit(1)


# Libraries Keras imports if it can, for helpers this process never uses: pyplot for an
# image gallery (~0.3 s), scikit-learn (and with it scipy.stats) for its estimator wrappers
# (~0.7 s), pandas for its data adapters (~0.2 s). This process's start is the sweep's
# critical path. The sweep's process makes each block's datasets (scikit-learn) and writes
# its rows (pandas, pyarrow).
UNUSED_BY_KERAS_HERE = ("matplotlib", "sklearn", "pandas")


def _load_engine_lean():
    """Load the engine (TensorFlow, Keras) without UNUSED_BY_KERAS_HERE: while it loads,
    importing them fails, which Keras expects; afterwards they are importable again."""
    from experiments.sweep.blocks import load_engine

    hidden = [name for name in UNUSED_BY_KERAS_HERE if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None
    try:
        load_engine()
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _serve(conn, parent_pid):
    """The training process: load the engine, then train the blocks it is sent until None,
    answering each with what blocks.train_block_rows returns (the sweep's process writes it).
    """
    # Ctrl-C reaches every process of the terminal's group: the sweep's process decides what
    # to keep and stops this one. SIGTERM ends it at once (as it did before run.py's handler).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    from experiments import quiet_tf
    from experiments.sweep.blocks import train_block_rows

    if quiet_tf.min_level() > 0:  # TF_CPP_MIN_LOG_LEVEL=0 shows everything
        quiet_tf.drop_stderr_lines()
    from experiments.variants.dataset import DATASETS

    _load_engine_lean()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        block, chunk_size, chunk_budget, datasets = task
        DATASETS.add(datasets)
        try:
            result = train_block_rows(block, chunk_size, lambda n: conn.send(("progress", n)),
                                      chunk_budget)
        except BaseException:  # noqa: BLE001  (reported to the parent, which raises it)
            conn.send(("error", traceback.format_exc()))
        else:
            conn.send(("done", result))


class Trainer:
    """The training process, started at construction.

    Args:
        method: multiprocessing's start method. "fork" only from a process without threads
            (run.py before Hydra starts): the child then has everything the parent imported or
            registered, e.g. a variant registered by a script that runs run.py. "spawn" (a fresh
            interpreter) from anywhere else.
    """

    def __init__(self, method="spawn"):
        ctx = multiprocessing.get_context(method)
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, os.getpid()), daemon=True,
                                    name="collapse-trainer")
        self._process.start()
        child.close()

    def train_block(self, block, out_dir, chunk_size=None, progress=None, chunk_budget=None):
        """experiments.sweep.blocks.train_block: trained in the training process, written
        here."""
        return self.run_blocks([block], out_dir, chunk_size, progress, chunk_budget)

    def run_blocks(self, blocks, out_dir, chunk_size, progress=None, chunk_budget=None):
        """Train every block in turn and write its rows here while the next one trains;
        {config_id: outcome} as train_block returns it."""
        from experiments.sweep.blocks import write_block

        outcome = {}
        if blocks:
            self._send(blocks[0], chunk_size, chunk_budget)
        for i, block in enumerate(blocks):
            trained = self._receive(progress)
            if i + 1 < len(blocks):
                self._send(blocks[i + 1], chunk_size, chunk_budget)
            outcome.update(write_block(block, *trained, out_dir))
        return outcome

    def _send(self, block, chunk_size, chunk_budget=None):
        """Send a block with its datasets (made here, see UNUSED_BY_KERAS_HERE)."""
        from experiments.sweep.blocks import block_jobs
        from experiments.variants.dataset import DATASETS

        datasets = DATASETS.of(block_jobs(block))
        try:
            self._conn.send((block, chunk_size, chunk_budget, datasets))
        except OSError:  # a broken pipe: the process has ended
            raise self._died() from None

    def _receive(self, progress):
        """The answer to the block sent first of those unanswered: train_block_rows's result."""
        while True:
            try:
                kind, value = self._conn.recv()
            except EOFError:
                raise self._died() from None
            if kind == "progress":
                if progress is not None:
                    progress(value)
            elif kind == "error":
                raise RuntimeError(f"training failed in the training process:\n{value}")
            else:
                return value

    def _died(self):
        """TrainerDied, or Interrupted if a SIGINT or SIGTERM to the whole group ended it."""
        from experiments import faults

        self._process.join(5)
        code = self._process.exitcode
        if code in (-signal.SIGTERM, -signal.SIGINT):
            return faults.Interrupted(-code)
        return TrainerDied(
            f"the training process ended (exit code {code}, e.g. killed for lack of memory); "
            "the blocks written so far are kept")

    def stop(self):
        """End the process now (an interrupt, a failure: what it is training is lost)."""
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()

    def close(self):
        """Ask the process to stop; stop it if it does not within 10 s."""
        if self._process.is_alive():
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._conn.close()


_early = None


def start_early():
    """Start the training process now, for `take` to hand over later; forked where the
    platform can (this is called before any thread starts)."""
    global _early
    if _early is None:
        fork = "fork" in multiprocessing.get_all_start_methods()
        _early = Trainer("fork" if fork else "spawn")


def take():
    """The training process started by `start_early`, or a new one."""
    global _early
    trainer, _early = _early or Trainer(), None
    return trainer


def discard_early():
    """Stop a training process started early that no launcher will use."""
    global _early
    if _early is not None:
        _early.close()
        _early = None
