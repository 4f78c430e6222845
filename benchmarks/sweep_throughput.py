"""Throughput of the batched engine against the one-network-at-a-time Keras path.

Runs the benchmark grid (init {zeros, constant, glorot, he_normal} x lr {1e-5, 1e-3, 1e-1, 1, 10}
x activation {relu, leaky_relu, elu, sigmoid, tanh} x regularization {none, l2 with strength 0.1}
on moons, 1,024 samples, batch 32, 20 epochs, 3 replicates = 600 networks) in one process:
the engine on all 600, the Keras path on a random sample of them, each repeated; then the whole
sweep through `python run.py -m` (Parquet and report included), and optionally a 20,000-network
grid for peak memory.

Example:
    python benchmarks/sweep_throughput.py --repeats 3 --keras-sample 20 --large
    python benchmarks/sweep_throughput.py --repeats 5 --engine-only   # the engine's figures
"""

import argparse
import itertools
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GRID = {
    "init": ["zeros", "constant", "glorot", "he_normal"],
    "lr": ["1e-5", "1e-3", "1e-1", "1", "10"],
    "activation": ["relu", "leaky_relu", "elu", "sigmoid", "tanh"],
    "regularization": ["none", "l2"],
}
FIXED = ["regularization.strength=0.1", "dataset=moons", "dataset.n_samples=1024",
         "batch_size=32", "epochs=20", "replicates=3"]


def grid_configs():
    from hydra import compose, initialize_config_dir

    configs = []
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        for values in itertools.product(*GRID.values()):
            overrides = [f"{k}={v}" for k, v in zip(GRID, values)] + FIXED
            configs.append(compose(config_name="config", overrides=overrides))
    return configs


def flops_per_network(cfg, n_train, n_eval, n_features=2, n_out=1):
    """Multiply-adds x 2 of training (forward + backward ~ 3 x forward) and evaluation passes."""
    sizes = [n_features] + [cfg.model.width] * cfg.model.depth + [n_out]
    forward = sum(2 * a * b for a, b in zip(sizes, sizes[1:]))
    train = 3 * forward * n_train * cfg.epochs
    evals = forward * n_eval * (cfg.epochs + 2)  # history every epoch, init and final
    return train + evals


def peak_memory_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def time_engine(jobs, repeats):
    """(first call's seconds, compiles included; [seconds of each later call])."""
    from experiments.training.engine import train_many

    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        train_many(jobs)
        times.append(time.perf_counter() - start)
    return times[0], times[1:]


def time_keras(jobs, repeats):
    import tensorflow as tf

    from experiments.training.keras import train_keras

    tf.config.experimental.enable_op_determinism()
    train_keras(*jobs[0])  # warm-up: first graph tracing is not per-network cost
    medians = []
    for _ in range(repeats):
        each = []
        for cfg, seed in jobs:
            start = time.perf_counter()
            train_keras(cfg, seed)
            each.append(time.perf_counter() - start)
        medians.append(statistics.median(each))
    return medians


def time_sweep():
    """The whole 600-network sweep as a user runs it: training, Parquet and report."""
    with tempfile.TemporaryDirectory() as out:
        args = [f"{k}={','.join(v)}" for k, v in GRID.items()] + FIXED
        start = time.perf_counter()
        subprocess.run([sys.executable, "run.py", "-m", *args, f"hydra.sweep.dir={out}/s",
                        "hydra.launcher.progress=false"], cwd=ROOT, check=True,
                       capture_output=True)
        elapsed = time.perf_counter() - start
        import pandas as pd

        rows = sum(len(pd.read_parquet(p, columns=["replicate"]))
                   for p in Path(out, "s", "runs").glob("*.parquet"))
        assert Path(out, "s", "report.html").exists()
    return elapsed, rows


def large_grid_memory(n_networks):
    """Peak memory of the engine on n_networks networks, in a fresh process."""
    code = (
        f"import sys, time, resource; sys.path.insert(0, {str(ROOT)!r})\n"
        "from benchmarks.sweep_throughput import grid_configs\n"
        "from experiments.training.engine import train_many\n"
        f"cfgs = grid_configs(); n = {n_networks}\n"
        "jobs = [(cfgs[i % len(cfgs)], i // len(cfgs)) for i in range(n)]\n"
        "t = time.perf_counter(); train_many(jobs); t = time.perf_counter() - t\n"
        "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    seconds, gb = map(float, out.stdout.split()[-2:])
    return seconds, gb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keras-sample", type=int, default=20)
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="machine peak for the efficiency line (default: estimated)")
    parser.add_argument("--large", action="store_true", help="also a 20,000-network grid")
    parser.add_argument("--engine-only", action="store_true",
                        help="only the engine's figures (no Keras sample, no whole sweep)")
    parser.add_argument("--json", default=None, help="also write the figures as JSON here "
                        "(benchmarks.record; e.g. docs/benchmarks/sweep_throughput.json)")
    args = parser.parse_args()
    from benchmarks.record import Figures

    figures = Figures("sweep_throughput", ["python", "benchmarks/sweep_throughput.py",
                                           *sys.argv[1:]])
    # The first call compiles: the engine's compile cache (compile_cache) starts empty, in a
    # folder of this run, unless COLLAPSE_XLA_CACHE names one.
    cache = tempfile.TemporaryDirectory()
    os.environ.setdefault("COLLAPSE_XLA_CACHE", cache.name)

    from experiments.variants.dataset import make_dataset

    configs = grid_configs()
    jobs = [(cfg, r) for cfg in configs for r in range(cfg.replicates)]
    sample = random.Random(0).sample(jobs, args.keras_sample)
    data = make_dataset(configs[0].dataset, 0, configs[0].eval_fraction)
    flop = sum(flops_per_network(c, len(data.x_train), len(data.x_eval)) for c, _ in jobs)

    load = os.getloadavg()
    first, engine_times = time_engine(jobs, args.repeats)
    median = statistics.median(engine_times)
    engine_per_net = median / len(jobs)
    cores = os.cpu_count()
    # AVX-512 FMA: 2 units x 16 float32 lanes x 2 flops per cycle, at ~2.5 GHz, per core
    peak = args.peak_gflops or cores * 2.5 * 64
    print(f"grid: {len(jobs)} networks; repeats: {args.repeats}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"engine: {engine_per_net * 1e3:.2f} ms/network, {flop / median / 1e9:.2f} GFLOP/s "
          f"(median of {', '.join(f'{t:.2f}' for t in engine_times)} s per grid, programs "
          f"compiled); {1 / engine_per_net:.0f} networks/s; of ~{peak:.0f} GFLOP/s estimated "
          f"peak ({cores} cores)")
    print(f"engine, first call: {first / len(jobs) * 1e3:.2f} ms/network, "
          f"{flop / first / 1e9:.2f} GFLOP/s ({first:.2f} s, of which compiling and tracing "
          f"~{first - median:.2f} s)")
    print(f"peak memory of this process: {peak_memory_gb():.2f} GB")
    figures.add("networks", len(jobs), "networks")
    figures.add("engine_ms_per_network", engine_per_net * 1e3, "ms",
                f"median of {args.repeats} grids, programs compiled")
    figures.add("engine_gflops", flop / median / 1e9, "GFLOP/s", "useful FLOP of the grid")
    figures.add("engine_first_call_s", first, "s", "compiling and tracing included")
    figures.add("peak_memory_gb", peak_memory_gb(), "GB")
    if args.engine_only:
        figures.write(args.json)
        return
    keras_times = time_keras(sample, args.repeats)
    keras_per_net = statistics.median(keras_times)
    print(f"keras sample: {len(sample)} networks; keras: {keras_per_net * 1e3:.1f} ms/network "
          f"(medians per repeat: {', '.join(f'{t * 1e3:.0f}' for t in keras_times)} ms)")
    print(f"speed-up: {keras_per_net / engine_per_net:.0f}x per network")
    figures.add("keras_ms_per_network", keras_per_net * 1e3, "ms",
                f"median over {len(sample)} sampled networks")
    figures.add("speedup", keras_per_net / engine_per_net, "x", "per network, inner loop")
    elapsed, networks = time_sweep()
    print(f"full sweep (python run.py -m, Parquet + report): {elapsed:.1f} s for {networks} "
          "networks (benchmarks/whole_process.py breaks the whole process down)")
    figures.add("full_sweep_s", elapsed, "s", f"python run.py -m, {networks} networks")
    if args.large:
        seconds, gb = large_grid_memory(20_000)
        print(f"20,000-network grid: {seconds:.1f} s, peak memory {gb:.2f} GB")
        figures.add("large_grid_s", seconds, "s", "20,000 networks")
        figures.add("large_grid_peak_gb", gb, "GB")
    figures.write(args.json)


if __name__ == "__main__":
    main()
