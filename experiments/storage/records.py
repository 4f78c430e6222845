"""Records files: one JSON line per finished piece of work, appended as soon as it is done.

The benchmarks (benchmarks/fault_benchmark.py, benchmarks/realworld) keep what they measured
this way, so an interrupted run goes on from what it finished. A line is written whole or not
at all: if the write fails (a full disk) the file is cut back to its earlier end, and a last
line a kill left half written is ignored when the file is read (it is measured again).
"""

import json
import os
import warnings
from pathlib import Path

from experiments.storage.atomic import WriteError


def read(path):
    """Every record of a records file, in order ([] if there is none)."""
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number < len(lines):  # only the last line can be torn by a kill
                raise ValueError(f"{path}, line {number}: not a JSON record; move the file "
                                 "away to measure everything again") from None
            warnings.warn(f"{path}: the last line was cut short (an interrupted write); it is "
                          "measured again", stacklevel=2)
    return records


def append(path, record, default=None):
    """Append one record as a JSON line, on disk before this returns.

    Raises:
        WriteError: it could not be written (the file keeps its earlier records).
    """
    path = Path(path)
    data = (json.dumps(record, default=default) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        end = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException as exc:  # a full disk, an interrupt: no half line is left
            os.ftruncate(fd, end)
            if isinstance(exc, OSError):
                raise WriteError(path, exc) from exc
            raise
    finally:
        os.close(fd)
