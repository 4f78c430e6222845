"""A report's figures: saved as PNG files and embedded in the HTML as base64.

Rendering a figure (layout, drawing, PNG encoding) is most of a report's time. Where this
process can fork safely (POSIX, with neither TensorFlow nor Ray threads in it: the batched
sweep trains in its own process), each figure is rendered in a forked child while the report
goes on building the next, up to one child per core; `fill` puts the images into the HTML once
they are all done. A child that fails is not fatal: its figure is rendered here instead.
"""

import base64
import html
import io
import os
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from analysis import style  # noqa: E402
from experiments.storage import atomic  # noqa: E402

# Figures a report writes; removed before a new report so none is left from an older one.
STALE_FIGURES = ["heatmap_*.png", "bars_*.png", "importance.png", "curves_*.png",
                 "claims_forest.png"]


def can_fork():
    """True where forking this process to render a figure is safe."""
    return hasattr(os, "fork") and not {"tensorflow", "ray"} & set(sys.modules)


def png(fig):
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    # A figure with a layout engine already fits its artists: "tight" would draw it twice.
    tight = "tight" if fig.get_layout_engine() is None else None
    fig.savefig(buffer, format="png", dpi=style.DPI, bbox_inches=tight)
    return buffer.getvalue()


class FigureWriter:
    """Collects a report's figures; `add` returns the HTML of one, `fill` completes the page.

    Args:
        folder: Where the PNG files go (made if missing; see remove_stale).
        parallel: Render in forked children; None: where `can_fork()`.
    """

    def __init__(self, folder, parallel=None):
        self.folder = folder
        self.paths = []
        self.parallel = can_fork() if parallel is None else parallel
        self.workers = max(1, os.cpu_count() or 1)
        self._running, self._images = [], {}
        folder.mkdir(parents=True, exist_ok=True)

    def remove_stale(self):
        """Remove figures of an earlier report that this one did not draw (they may belong to
        factors no longer varied); called once the new report is written, so that a report
        that fails leaves the earlier one's figures."""
        drawn = set(self.paths)
        for pattern in STALE_FIGURES:
            for stale in self.folder.glob(pattern):
                if stale not in drawn:
                    stale.unlink()

    def add(self, fig, name, alt, caption, wide=False):
        """Start rendering `fig` as `<folder>/<name>.png`; its HTML, with a placeholder that
        `fill` replaces by the image."""
        token = f"@@figure-{len(self.paths)}@@"
        self.paths.append(self.folder / f"{name}.png")
        if self.parallel:
            while len(self._running) >= self.workers:
                self._finish(self._running.pop(0))
            self._running.append((token, fig, *self._fork(fig)))
        else:
            self._save(token, png(fig))
            plt.close(fig)
        css = ' class="wide"' if wide else ""
        return (
            f'<figure{css}><img src="data:image/png;base64,{token}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def fill(self, text):
        """`text` with every figure's placeholder replaced by its base64 PNG."""
        while self._running:
            self._finish(self._running.pop(0))
        for token, data in self._images.items():
            text = text.replace(token, base64.b64encode(data).decode("ascii"), 1)
        return text

    def _save(self, token, data):
        atomic.write_bytes(self.paths[int(token.strip("@").rsplit("-", 1)[1])], data)
        self._images[token] = data

    @staticmethod
    def _fork(fig):
        """(pid, read end of a pipe) of a child that writes the figure's PNG and exits."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: render, write, leave without running any exit handler
            code = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    out.write(png(fig))
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        return pid, read

    def _finish(self, running):
        token, fig, pid, read = running
        with os.fdopen(read, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data):
            data = png(fig)  # the child failed: render here
        self._save(token, data)
        plt.close(fig)
