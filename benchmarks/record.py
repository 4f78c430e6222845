"""Benchmark figures as data: what a benchmark measured, with the machine, the commit and the
date, written as JSON (`--json PATH`) for docs/benchmarks/ to keep and the docs to quote.

Example:
    figures = Figures("sweep_throughput", command=sys.argv)
    figures.add("engine_ms_per_network", 1.52, "ms", "median of 3 grids, programs compiled")
    figures.write("docs/benchmarks/sweep_throughput.json")
"""

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine():
    """The machine a figure was measured on: cores, CPU model, memory, Python, load."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f
                          if line.startswith("model name")), "")
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(memory, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def commit():
    """The checked-out commit (with '+changes' when the tree differs from it), or ''."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+changes" if dirty else "")


class Figures:
    """The figures of one benchmark run, in the order they were measured."""

    def __init__(self, benchmark, command):
        self.data = {"benchmark": benchmark, "command": " ".join(command),
                     "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                         timespec="seconds"),
                     "commit": commit(), "machine": machine(), "figures": {}}

    def add(self, name, value, unit, note=""):
        self.data["figures"][name] = {"value": value, "unit": unit, "note": note}
        return value

    def write(self, path):
        """Write the figures as JSON to `path` (None: nothing), the load at the end beside."""
        if path is None:
            return
        self.data["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        tmp.replace(path)
