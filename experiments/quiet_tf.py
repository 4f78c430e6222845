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

DEFAULT_LEVEL = "2"  # errors and fatal errors
_LOG_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] ")
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


def _min_level():
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
                text = shown(captured.read().decode(errors="replace"), _min_level())
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
