"""When the machine stops a sweep: a full disk, an interrupt, a report that fails.

Each ends the command with one line on stderr that says what happened, what is kept and how to
go on, and an exit status a script can test:

    1    a file could not be written (the disk is full, ...), or the report failed
    130  interrupted (Ctrl-C, SIGINT), 143 terminated (SIGTERM, e.g. a batch scheduler)

Rows are written block by block and atomically (experiments.storage.atomic), so every block
finished before the fault is kept, and rerunning the command with the same sweep folder
trains only what is missing.
"""

import signal
import sys
from pathlib import Path

EXIT_FAILED = 1


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Sweep:
    """Where the running sweep writes, and what it is doing (the lines name them)."""

    folder = None  # set by the collapse sweeper once it knows the folder
    stage = "training"  # "report" once the report is being written


SWEEP = _Sweep()


def terminate_as_interrupt():
    """SIGTERM raises Interrupted (the same clean stop as Ctrl-C) instead of killing the
    process where it stands."""
    def raise_interrupted(signum, frame):
        raise Interrupted(signum)

    signal.signal(signal.SIGTERM, raise_interrupted)


def exit_status(interrupt):
    """128 + the signal's number, as a shell reports a process a signal ended."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def stored(folder):
    """'N networks are stored in FOLDER/runs' (read from the files' footers only)."""
    import pyarrow.parquet as pq

    runs = Path(folder, "runs")
    count = 0
    for path in runs.glob("*.parquet"):
        try:
            count += pq.read_metadata(path).num_rows
        except (OSError, ValueError):  # unreadable: the next run names it
            continue
    networks = "1 network is" if count == 1 else f"{count} networks are"
    return f"{networks} stored in {runs}"


def go_on(folder):
    return f"run the same command with hydra.sweep.dir={folder} to train the rest"


def write_failed(exc, folder):
    """The line for a file that could not be written while a sweep ran."""
    from experiments.storage.atomic import describe, disk_is_full

    if folder is None:
        return describe(exc)
    then = "free space, then " if disk_is_full(exc) else ""
    return f"{describe(exc)}; {stored(folder)} and kept: {then}{go_on(folder)}"


def report_failed(exc, folder):
    """The line for a report that could not be written: the rows are safe."""
    from experiments.storage.atomic import describe

    cause = describe(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
    cause = cause.strip().splitlines()[0] if cause.strip() else type(exc).__name__
    return (f"the report could not be written ({cause}); the rows are safe ({stored(folder)}): "
            f"python -m analysis.report {folder} writes the report again")


def interrupted(interrupt):
    """The line for Ctrl-C or SIGTERM, from what SWEEP says."""
    name = "interrupted" if exit_status(interrupt) == 128 + signal.SIGINT else "terminated"
    folder = SWEEP.folder
    if folder is None or not Path(folder, "runs").is_dir():
        return f"{name} before any network was stored"
    if SWEEP.stage == "report":
        return (f"{name} while writing the report; {stored(folder)} and kept: "
                f"python -m analysis.report {folder} writes the report")
    return f"{name}; {stored(folder)} and kept: {go_on(folder)}"


def resumable(main, name, records_path):
    """Run a benchmark's `main()` that appends one record per finished case to the file
    `records_path()` (experiments.storage.records), so that a rerun goes on from there; an
    interrupt or a failed write is one line and exit status 130 (143) or 1, not a traceback.

    Returns:
        The exit status (main's return value, 0 if it returns None).
    """
    from experiments.storage.atomic import describe

    terminate_as_interrupt()
    try:
        return main() or 0
    except KeyboardInterrupt as interrupt:
        what, status = "interrupted", exit_status(interrupt)
    except OSError as exc:
        what, status = describe(exc), EXIT_FAILED
    from experiments.storage import records

    path = records_path()
    done = len(records.read(path)) if Path(path).exists() else 0
    print(f"{name}: {what}; {done} finished record{'s' if done != 1 else ''} kept in {path}: "
          "run the same command again to go on from there", file=sys.stderr)
    return status


def stop(line, status=EXIT_FAILED):
    """Print `collapse-lab: line` on stderr and exit with `status`."""
    print(f"collapse-lab: {line}", file=sys.stderr)
    sys.exit(status)
