"""What a user waits for: whole `python run.py -m` processes, start-up to report, side by side.

Prints, in one invocation:
  1. the 600-network grid of issue 9 as a user types it (Parquet and report included), median
     of --repeats processes; the engine's compile cache starts empty, so the first process
     compiles and the later ones load its programs (experiments.training.engine.compile_cache);
  2. its whole-process cost per network against the marginal cost of one more network with
     `hydra/launcher=basic` (the one-at-a-time Keras path), from two basic sweeps that differ
     only in their number of networks (median of up to 3 such pairs);
  3. a 6,000-configuration x 3-replicate grid (18,000 networks) as one process, with the peak
     memory of its process tree (every descendant's resident memory, summed, polled every
     50 ms), and the cost of composing and validating one more configuration (its start-up,
     composition and validation minus the 200-configuration grid's, per extra configuration);
  4. the report's time (load_runs + write_report, as the sweep's callback runs it) at several
     row counts, subsets of the 18,000 rows, each in a fresh process; with --profile-report a
     cProfile of the largest, by function.
  5. `python run.py --help`, a refused value and an unknown option: seconds to answer.

Example:
    python benchmarks/whole_process.py --repeats 3 --profile-report
    python benchmarks/whole_process.py --repeats 1 --skip-large   # a quick look
    python benchmarks/whole_process.py --report-only results/big --profile-report  # report only
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GRID_600 = ["-m", "init=zeros,constant,glorot,he_normal", "lr=1e-5,1e-3,1e-1,1,10",
            "activation=relu,leaky_relu,elu,sigmoid,tanh", "regularization=none,l2",
            "replicates=3"]
# 10 x 8 x 5 x 5 x 3 = 6,000 configurations, 3 replicates each
GRID_18000 = ["-m", "init=zeros,constant,random_normal,random_normal_large,glorot,glorot_normal,"
              "he_normal,he_uniform,lecun_normal,orthogonal",
              "activation=relu,leaky_relu,elu,selu,gelu,sigmoid,tanh,linear",
              "lr=1e-4,1e-3,1e-2,1e-1,1", "regularization=none,l1,l2,l1_l2,dropout",
              "optimizer=sgd,momentum,adam", "replicates=3"]
BASIC = ["-m", "init=zeros,glorot", "lr=0.1", "hydra/launcher=basic"]  # x replicates below
QUIET = ["hydra.launcher.progress=false"]
XLA_CACHE = None  # the engine's compile cache of this benchmark (compile_cache), set in main
FIGURES = None  # benchmarks.record.Figures of this run, set in main


def record(name, value, unit, note=""):
    """Keep one figure for --json (the printed line says the same)."""
    FIGURES.add(name, value, unit, note)


def tree_rss_bytes(pid):
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f
                              if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration, PermissionError):
            continue
    return total


def phase_seconds(proc):
    """(start-up + composition + validation, training + Parquet, report + exit) seconds, from
    the launcher's log timestamps; None without them."""
    from datetime import datetime

    stamps = {}
    for line in proc.stderr_text.splitlines() + proc.stdout_text.splitlines():
        for mark, name in (("] Sweep: ", "sweep"), (" jobs done", "trained")):
            if mark in line and line.startswith("["):
                stamps[name] = datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    if len(stamps) < 2:
        return None
    return (stamps["sweep"] - proc.started, stamps["trained"] - stamps["sweep"],
            proc.ended - stamps["trained"])


def phases(proc):
    """phase_seconds as text."""
    seconds = phase_seconds(proc)
    if seconds is None:
        return ""
    return (f"start-up + composition + validation {seconds[0]:.1f} s, training + Parquet "
            f"{seconds[1]:.1f} s, report + exit {seconds[2]:.1f} s")


def run(args, out=None, timeout=3600):
    """Run `python run.py *args` (a sweep into `out`); (seconds, peak tree RSS bytes, proc)."""
    command = [sys.executable, "run.py", *args] + ([f"hydra.sweep.dir={out}"] if out else [])
    start, proc_started = time.perf_counter(), time.time()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLLAPSE_XLA_CACHE": str(XLA_CACHE)})
    peak, done = [0], threading.Event()

    def poll():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_bytes(proc.pid))
            done.wait(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = proc.communicate(timeout=timeout)
    seconds = time.perf_counter() - start
    done.set()
    poller.join()
    proc.stdout_text, proc.stderr_text = stdout, stderr
    proc.started, proc.ended = proc_started, proc_started + seconds
    return seconds, peak[0], proc


def checked(result, expect=0):
    seconds, peak, proc = result
    if proc.returncode != expect:
        sys.exit(f"exit status {proc.returncode}, expected {expect}:\n{proc.stderr_text[-3000:]}")
    return seconds, peak, proc


def rows(out):
    import pandas as pd

    return sum(len(pd.read_parquet(p, columns=["replicate"]))
               for p in Path(out, "runs").glob("*.parquet"))


REPORT_CODE = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
start = time.perf_counter()
from analysis.load import load_runs
from analysis.report import write_report
imported = time.perf_counter()
runs = load_runs({folder!r})
write_report({folder!r}, runs)
print(len(runs), imported - start, time.perf_counter() - imported)
"""


def report_seconds(folder, profile_to=None):
    """(rows, import seconds, load + write seconds) of the report of `folder`, fresh process;
    with `profile_to`, under cProfile (its statistics written there)."""
    script = Path(folder).with_suffix(".report.py")
    script.write_text(REPORT_CODE.format(root=str(ROOT), folder=str(folder)))
    command = [sys.executable, str(script)]
    if profile_to:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile_to), str(script)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    n, imported, seconds = out.stdout.split()[-3:]
    return int(n), float(imported), float(seconds)


def subset_sweep(source, target, n_configs):
    """A sweep folder with the rows of the first `n_configs` configurations of `source`."""
    import pandas as pd

    from experiments.storage.results import runs_frame

    runs = pd.concat(pd.read_parquet(p) for p in sorted(Path(source, "runs").glob("*.parquet")))
    keep = sorted(runs["config_id"].unique())[:n_configs]
    (target / "runs").mkdir(parents=True)
    runs = runs_frame(runs[runs["config_id"].isin(keep)].to_dict("records"))  # today's columns
    runs.to_parquet(target / "runs" / "all.parquet", index=False)
    history = [pd.read_parquet(p) for p in sorted(Path(source, "history").glob("*.parquet"))]
    if history:
        (target / "history").mkdir()
        history = pd.concat(history)
        history[history["config_id"].isin(keep)].to_parquet(target / "history" / "all.parquet",
                                                           index=False)
    shutil.copy(Path(source, "multirun.yaml"), target / "multirun.yaml")


def print_profile(path, top):
    import pstats

    stats = pstats.Stats(str(path))
    print(f"  report profile at the largest size, top {top} functions of analysis/ and "
          "the libraries they call most, by cumulative seconds:")
    stats.sort_stats("cumulative").print_stats(r"analysis/", top)


def command_line():
    """5. Seconds to answer --help, a refused value and an unknown option."""
    answers = {
        "--help": checked(run(["--help"])),
        "lr=-1 (refused)": checked(run(["lr=-1"]), expect=2),
        "init=foo (unknown option)": checked(run(["init=foo"]), expect=2),
    }
    for name, (seconds, _, _) in answers.items():
        print(f"python run.py {name}: {seconds:.2f} s")
        record(f"answer_s {name}", seconds, "s", "python run.py answering, whole process")


def sweeps(args, tmp):
    """1.-3.: the sweeps; returns [(label, sweep folder)] for the report figures."""
    times, peaks, starts = [], [], []
    for i in range(args.repeats):
        seconds, peak, proc = checked(run(GRID_600 + QUIET, tmp / f"grid600_{i}"))
        starts.append((phase_seconds(proc) or [float("nan")])[0])
        assert rows(tmp / f"grid600_{i}") == 600
        assert (tmp / f"grid600_{i}" / "report.html").exists()
        print(f"  600-network grid, run {i + 1}: {seconds:.1f} s: {phases(proc)}")
        times.append(seconds)
        peaks.append(peak)
    t600 = statistics.median(times)
    print(f"600-network grid, whole process with Parquet and report: {t600:.1f} s median "
          f"({', '.join(f'{t:.1f}' for t in times)}); peak memory {max(peaks) / 1e9:.2f} GB "
          "(target <= 8 s)")
    record("grid600_s", t600, "s", f"median of {len(times)} whole processes, Parquet and report")
    record("grid600_peak_gb", max(peaks) / 1e9, "GB", "process tree")
    if len(times) > 1:
        print(f"  of which run 1 compiled its programs ({times[0]:.1f} s), runs 2-{len(times)} "
              f"loaded them from the compile cache ({statistics.median(times[1:]):.1f} s median)")

    marginals = []
    for i in range(min(args.repeats, 3)):  # two basic sweeps side by side, a pair per repeat
        small, _, _ = checked(run(BASIC + ["replicates=1"], tmp / f"basic1_{i}"))
        large, _, _ = checked(run(BASIC + ["replicates=4"], tmp / f"basic4_{i}"))
        marginals.append((large - small) / (8 - 2))
        print(f"  hydra/launcher=basic, pair {i + 1}: 2 networks {small:.1f} s, 8 networks "
              f"{large:.1f} s: {marginals[-1]:.2f} s per additional network")
    marginal = statistics.median(marginals)
    print(f"hydra/launcher=basic: {marginal:.2f} s per additional network (median of "
          f"{len(marginals)} pairs)")
    print(f"default path, whole process per network: {t600 / 600 * 1e3:.1f} ms; "
          f"ratio {marginal / (t600 / 600):.0f}x (target >= 100x)")
    record("basic_marginal_s", marginal, "s", "hydra/launcher=basic, per additional network")
    record("grid600_ms_per_network", t600 / 600 * 1e3, "ms", "whole process")

    sizes = [("600-network grid", tmp / "grid600_0")]
    if not args.skip_large:
        seconds, peak, proc = checked(run(GRID_18000 + QUIET, tmp / "grid18000"))
        n = rows(tmp / "grid18000")
        print(f"6,000 configurations x 3 replicates ({n} networks): {seconds:.1f} s whole "
              f"process with report (target <= 120 s); peak memory of the process tree "
              f"{peak / 1e9:.2f} GB (target <= 4 GB)")
        print(f"  {phases(proc)}")
        record("grid18000_s", seconds, "s", f"{n} networks, whole process with report")
        record("grid18000_peak_gb", peak / 1e9, "GB", "process tree")
        per_config = ((phase_seconds(proc) or [float("nan")])[0] - statistics.median(starts)) / (
            6000 - 200)
        print(f"composition and validation per configuration: {per_config * 1e3:.2f} ms "
              "(start-up + composition + validation of the 6,000-configuration grid minus the "
              "200-configuration grid's median, per extra configuration; target <= 5 ms)")
        record("compose_ms_per_config", per_config * 1e3, "ms")
        sizes += subsets(tmp / "grid18000", tmp, (600, 2000, 6000))
    return sizes


def subsets(source, tmp, config_counts):
    """Sweep folders with the rows of the first n configurations of `source`, for each n."""
    sizes = []
    for n_configs in config_counts:
        folder = tmp / f"report{n_configs}"
        subset_sweep(source, folder, n_configs)
        sizes.append((f"{n_configs} configurations", folder))
    return sizes


def reports(sizes, tmp, profile):
    """4. The report's time on each sweep folder; cProfile of the last with `profile`."""
    for i, (_, folder) in enumerate(sizes):
        n, imported, seconds = report_seconds(folder)
        print(f"report of {n} rows: {seconds:.1f} s (load_runs + write_report; imports "
              f"{imported:.1f} s more), {seconds / n * 1e3:.2f} ms per row")
        record(f"report_s {n} rows", seconds, "s", "load_runs + write_report")
        if profile and i == len(sizes) - 1:
            report_seconds(folder, tmp / "report.prof")
            print_profile(tmp / "report.prof", 30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="processes per 600-grid figure")
    parser.add_argument("--skip-large", action="store_true", help="no 18,000-network grid")
    parser.add_argument("--profile-report", action="store_true",
                        help="cProfile the report at the largest row count")
    parser.add_argument("--report-only", metavar="SWEEP_DIR",
                        help="only the report's figures, on subsets of a sweep of 6,000 "
                             "configurations (e.g. one kept from an earlier run)")
    parser.add_argument("--json", default=None, help="also write the figures as JSON here "
                        "(benchmarks.record; e.g. docs/benchmarks/whole_process.json)")
    args = parser.parse_args()
    global FIGURES
    from benchmarks.record import Figures

    FIGURES = Figures("whole_process", ["python", "benchmarks/whole_process.py", *sys.argv[1:]])

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} at start; python {sys.version.split()[0]}")
    global XLA_CACHE
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        XLA_CACHE = tmp / "xla"  # empty at the start: the first sweep of each shape compiles
        if args.report_only:
            sizes = subsets(Path(args.report_only), tmp, (200, 600, 2000, 6000))
        else:
            command_line()
            sizes = sweeps(args, tmp)
        reports(sizes, tmp, args.profile_report)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    FIGURES.write(args.json)


if __name__ == "__main__":
    main()
