"""Every file collapse-lab writes goes through here: whole, or not at all.

`write_atomic(path, fill)` lets `fill` write a temporary file beside `path` (same folder, so
the same filesystem), flushes it to disk and renames it into place with os.replace. If anything
fails on the way (a full disk, a quota, an interrupt), the temporary file is removed and the
error is raised again as `WriteError`, an OSError that names the file: a reader never finds a
half-written file under a final name, and whatever was there before is still there.

Example:
    write_atomic(folder / "claims.csv", lambda tmp: table.to_csv(tmp, index=False))
    write_text(folder / "report.html", text)
"""

import errno
import os
from pathlib import Path


class WriteError(OSError):
    """A file could not be written; str() is one line naming the file and the cause."""

    def __init__(self, path, cause):
        code = getattr(cause, "errno", None) or errno.EIO
        super().__init__(code, os.strerror(code) if getattr(cause, "errno", None) else
                         f"{type(cause).__name__}: {cause}", str(path))
        self.path = Path(path)

    def __str__(self):
        return f"could not write {self.path}: {self.strerror}"


def describe(exc):
    """One line for an OSError: 'could not write FILE: cause' for a write (or a full disk),
    'FILE: cause' for another named file, str(exc) otherwise."""
    if isinstance(exc, WriteError):
        return str(exc)
    name = getattr(exc, "filename", None)
    if name is None or not getattr(exc, "strerror", None):
        return str(exc)
    return f"{'could not write ' if disk_is_full(exc) else ''}{name}: {exc.strerror}"


def disk_is_full(exc):
    """True for the errors of a full disk or an exhausted quota."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def temporary_name(path):
    """The hidden name beside `path` that write_atomic fills before renaming it."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_atomic(path, fill):
    """Write `path` whole or not at all; `fill(tmp_path)` writes the content.

    Returns:
        `path` (a Path).

    Raises:
        WriteError: the file could not be written (nothing is left under its name, or under
        the temporary one). Exceptions other than OSError from `fill` (e.g. a bad value, an
        interrupt) leave nothing behind either and are raised as they are.
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fill(tmp)
        with open(tmp, "rb+") as written:  # on disk before it has its name (power loss)
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise WriteError(path, exc) from exc
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    return path


def write_bytes(path, data):
    """write_atomic of bytes."""
    return write_atomic(path, lambda tmp: Path(tmp).write_bytes(data))


def write_text(path, text):
    """write_atomic of UTF-8 text."""
    return write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
