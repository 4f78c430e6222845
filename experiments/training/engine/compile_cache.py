"""The engine's XLA programs kept on disk, so a later process loads them instead of compiling.

TensorFlow can save each program it compiles with XLA and load it in a later process
(TF_XLA_FLAGS --tf_xla_persistent_cache_directory): a repeated sweep saves the compile, ~0.35 s
of a 600-network grid's first block. An entry is looked up by the program's signature and a
hash of its HLO, and used only if the whole HLO matches, so a stale entry is never run. Names
inside a program carry TensorFlow's process-wide counter: an entry is found again when the
program is traced at the same point of the same work, which is why train.run_chunk traces the
training program on its main thread, before anything runs beside it.

Where: $COLLAPSE_XLA_CACHE, else $XDG_CACHE_HOME/collapse-lab/xla (~/.cache/collapse-lab/xla);
COLLAPSE_XLA_CACHE=off keeps nothing. File names carry TensorFlow's version and a fingerprint of
this CPU (model and instruction-set flags), so a cache shared between machines never hands out
a program compiled for another CPU. At most MAX_BYTES are kept; the oldest files go first.

TensorFlow fails the call whose entry it cannot read (e.g. half written by a process running
beside this one) or write. train.run_chunk then empties the cache (`clear`) and compiles again.

Each load logs a few error lines although nothing is wrong (experiments.quiet_tf's
CACHE_READ_NOISE); the sweep's training process drops them from its stderr, while a process
that imports the engine itself shows them (COLLAPSE_XLA_CACHE=off: no cache, no lines).
"""

import hashlib
import os
import platform
import shutil
import sys
from pathlib import Path

MAX_BYTES = 256 << 20
MIN_FREE_BYTES = 256 << 20  # no cache on a nearly full disk: a failed write fails the compile
OFF = ("", "0", "off", "false", "no", "none")

_enabled = None  # the folder in use, once `enable` has run


def cache_dir(environ=os.environ):
    """The cache folder the environment asks for (a Path), or None for no cache."""
    chosen = environ.get("COLLAPSE_XLA_CACHE")
    if chosen is not None:
        return None if chosen.strip().lower() in OFF else Path(chosen).expanduser()
    base = environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "collapse-lab" / "xla"


def cpu_fingerprint():
    """A short hash of this CPU's architecture, model name and instruction-set flags."""
    text = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags", "Features", "CPU part")):
                    text += line
                if not line.strip():  # the first processor's block is enough
                    break
    except OSError:
        text += platform.processor()
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def tensorflow_version():
    """TensorFlow's installed version, from its package metadata without importing it
    ("unknown" if not found)."""
    from importlib import metadata  # TensorFlow imports it too

    for name in ("tensorflow", "tensorflow-cpu", "tensorflow-intel"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def prune(folder, max_bytes=MAX_BYTES):
    """Remove the oldest (last written) files of `folder` until at most `max_bytes` remain."""
    files = []
    for path in Path(folder).glob("*.pb"):
        try:
            stat = path.stat()
        except OSError:
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size


def _usable(folder):
    """True if `folder` can be made, written and has room."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return shutil.disk_usage(folder).free >= MIN_FREE_BYTES
    except OSError:
        return False


PREFIX = "collapse-"  # of the entries' names; marks the cache flags this module set
_DIRECTORY_FLAG = "--tf_xla_persistent_cache_directory="
_PREFIX_FLAG = "--tf_xla_persistent_cache_prefix="


def with_cache(flags, folder, prefix):
    """TF_XLA_FLAGS `flags` with the cache in `folder` (None: no cache) under `prefix`.

    Cache flags this module set (in a parent process, whose environment was inherited) are
    replaced; a cache directory set by anyone else is left as it is, and so is every other
    flag.
    """
    tokens = flags.split()
    if any(t.startswith(_PREFIX_FLAG + PREFIX) for t in tokens):
        tokens = [t for t in tokens if not t.startswith((_DIRECTORY_FLAG, _PREFIX_FLAG))]
    if folder is not None and not any(t.startswith(_DIRECTORY_FLAG) for t in tokens):
        tokens += [f"{_DIRECTORY_FLAG}{folder}", f"{_PREFIX_FLAG}{prefix}"]
    return " ".join(tokens)


def enable():
    """Point TensorFlow's XLA cache at `cache_dir()` (pruned); the folder, or None.

    TensorFlow reads TF_XLA_FLAGS once, when it loads (experiments.quiet_tf lists its devices
    then): this does nothing in a process that has loaded it already. A cache directory the
    user set in TF_XLA_FLAGS is left as it is (and not pruned); one this module set in a
    parent process gives way to this process's COLLAPSE_XLA_CACHE (see `with_cache`).
    """
    global _enabled
    if "tensorflow" in sys.modules:
        return None
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if _DIRECTORY_FLAG in with_cache(flags, None, ""):  # the user's own cache
        return None
    folder = cache_dir()
    if folder is not None and not _usable(folder):
        folder = None
    prefix = f"{PREFIX}tf{tensorflow_version()}-{cpu_fingerprint()}" if folder else ""
    new = with_cache(flags, folder, prefix)
    if new != flags:
        os.environ["TF_XLA_FLAGS"] = new
    if folder is None:
        return None
    prune(folder)
    _enabled = folder
    return folder


def clear():
    """Remove every entry of the cache in use; True if there was one."""
    if _enabled is None:
        return False
    for path in _enabled.glob("*.pb"):
        path.unlink(missing_ok=True)
    return True
