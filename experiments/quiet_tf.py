"""Keep TensorFlow's C++ start-up lines off the terminal, unless asked for.

While its shared libraries load, TensorFlow prints notices (oneDNN, CUDA drivers, CPU
instructions; twice, once per library) before absl's logging is set up, so TF_CPP_MIN_LOG_LEVEL
does not reach them; on a machine without a GPU driver, listing the devices then logs a
"failed call to cuInit" error. `install()`, called when `experiments` is imported, sets
TF_CPP_MIN_LOG_LEVEL=2 unless the environment chose a level (so TensorFlow's own later lines
below errors are hidden too) and, for the first `import tensorflow` of the process, points file
descriptor 2 at a temporary file while TensorFlow loads and lists its physical devices (which
leaves memory growth, visible devices and thread counts settable, as TensorFlow documents it);
afterwards it copies back to stderr every line at or above that level (absl's first letter:
I=0, W=1, E=2, F=3) but the cuInit notice, and every line that is not such a log line (a Python
warning, a traceback). `TF_CPP_MIN_LOG_LEVEL=0` shows everything.
"""

import importlib.machinery
import os
import re
import sys
import tempfile
import threading

DEFAULT_LEVEL = "2"  # errors and fatal errors
# absl's prefix: level, MMDD, time (hh:mm:ss.us, or 00:00:<seconds since 1970>.us as TensorFlow
# 2.21 writes it), thread, file:line
_LOG_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ \S+:\d+\] ")
_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_NO_GPU = re.compile(r"cuda_\w+\.cc:\d+\] failed call to cuInit")  # no GPU driver: not an error
_LEVELS = {"I": 0, "W": 1, "E": 2, "F": 3}


def shown(text, min_level):
    """The lines of captured start-up output at or above `min_level` (and all other lines).

    A line that continues a log record (no prefix of its own) follows that record.
    """
    kept, keep = [], True
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match:
            keep = _LEVELS[match.group(1)] >= min_level and not (
                min_level > 0 and _NO_GPU.search(line))
        elif line.startswith(_NOTICE):
            keep = min_level <= 0
        if keep:
            kept.append(line)
    return "".join(kept)


def min_level():
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def _quietly(exec_module):
    """exec_module, with file descriptor 2 captured and filtered (see the module docstring)."""

    def run(module):
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable stderr: nothing to keep quiet
            return exec_module(module)
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                exec_module(module)
                module.config.list_physical_devices()  # its CUDA notices, here
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                captured.seek(0)
                text = shown(captured.read().decode(errors="replace"), min_level())
                if text:
                    sys.stderr.write(text)
                    sys.stderr.flush()

    return run


class _TensorFlowFinder:
    """A meta-path finder that only wraps the loading of the `tensorflow` package, once."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader.exec_module = _quietly(spec.loader.exec_module)
        return spec


def install():
    """Quiet TensorFlow's start-up from now on in this process (no-op once it is loaded)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", DEFAULT_LEVEL)
    if "tensorflow" in sys.modules or any(isinstance(f, _TensorFlowFinder)
                                          for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _TensorFlowFinder())


# What every load from the engine's compile cache (experiments.training.engine.compile_cache)
# logs as errors although nothing is wrong: TensorFlow first tries the entry as a text protobuf
# (then reads it as the binary one it is), and XLA's loader takes two tuning hints of the
# compiling machine, prefer-no-scatter and prefer-no-gather, for missing CPU features. A real
# feature missing (e.g. +avx512f) is still shown.
CACHE_READ_NOISE = re.compile(
    rb"text_format\.cc:\d+\] Error parsing text-format tensorflow\.XlaSerializedCacheEntry"
    rb"|cpu_aot_loader\.cc:\d+\] Loading XLA:CPU AOT result\. Target machine feature "
    rb"\+prefer-no-(?:scatter|gather) is not")


def drop_stderr_lines(pattern=CACHE_READ_NOISE):
    """From now on, drop the lines written to file descriptor 2 (by any library, in any thread)
    that match `pattern` (bytes); pass every other line on, in order.

    For a process of its own (the sweep's training process): a thread copies lines from a pipe
    that replaces descriptor 2 to the original one. A line still unfinished when the process
    ends may be lost, so nothing that must be seen should be left without its newline.
    """
    try:
        sys.stderr.flush()
        target = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
    except (OSError, ValueError):  # no usable stderr: nothing to filter
        return

    def copy():
        pending = b""
        while True:
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not pattern.search(line))
            if kept:
                os.write(target, kept)
        if pending and not pattern.search(pending):
            os.write(target, pending)

    threading.Thread(target=copy, daemon=True, name="stderr-filter").start()
