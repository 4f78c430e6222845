"""model=cnn on the batched engine against the Keras path: whole-process time per network.

The grid: a CNN (conv_layers 2 x 8 filters, 3x3, max pooling, Dense 32) on digits_images (1,347
training and 450 evaluation images of 8x8), 10 epochs, batch 32, init {zeros, glorot,
he_normal, he_uniform, lecun_normal, orthogonal} x activation {relu, tanh} x lr {0.01, 0.1} x
optimizer {sgd, adam}, 5 replicates: 240 networks.

Side by side in one invocation, each repeated (--repeats) and reported as medians:
  1. the engine: `python run.py -m <grid>` as a user types it (start-up, composition, training,
     Parquet and report), the whole process's seconds / 240. The engine's compile cache starts
     empty: the first process compiles its programs, the later ones load them (both shown);
  2. the Keras path: the same command with hydra.launcher.engine=keras on a sample of the
     grid's configurations (--keras-configs, spread over the grid), once with 1 and once with
     3 replicates; per network = (fixed + 240 x marginal) / 240 with the marginal cost per
     network and the fixed cost from the two processes (a 240-network Keras sweep scaled);
  3. in this process, programs compiled and data made: train_many on the 240 networks against
     train_keras on the sample's networks, seconds per network (training and probes only).

Example:
    python benchmarks/cnn_speed.py --repeats 3 --json docs/benchmarks/cnn_speed.json
    python benchmarks/cnn_speed.py --repeats 1 --keras-configs 2   # a quick look
"""

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.record import Figures  # noqa: E402

GRID = {
    "init": ["zeros", "glorot", "he_normal", "he_uniform", "lecun_normal", "orthogonal"],
    "activation": ["relu", "tanh"],
    "lr": ["0.01", "0.1"],
    "optimizer": ["sgd", "adam"],
}
FIXED = ["model=cnn", "dataset=digits_images", "epochs=10", "batch_size=32"]
REPLICATES = 5
NETWORKS = REPLICATES * len(list(itertools.product(*GRID.values())))  # 240
QUIET = ["hydra.launcher.progress=false"]


def sweep_args(grid, replicates):
    return ["-m", *[f"{k}={','.join(v)}" for k, v in grid.items()], *FIXED,
            f"replicates={replicates}"]


def sample_grid(n):
    """n configurations spread over the grid, each as a one-value grid."""
    configs = list(itertools.product(*GRID.values()))
    step = max(1, len(configs) // n)
    return [dict(zip(GRID, ([v] for v in values), strict=True))
            for values in configs[::step][:n]]


def run(args, cache, out):
    """Seconds of one `python run.py` process (its sweep folder in `out`)."""
    env = {**os.environ, "COLLAPSE_XLA_CACHE": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "run.py", *args, f"hydra.sweep.dir={out}", *QUIET],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run.py failed ({' '.join(args)}):\n{proc.stderr[-3000:]}")
    return seconds


def keras_sample(configs, replicates, cache, out):
    """Seconds of one Keras sweep of the sample: every configuration, `replicates` each."""
    total = 0.0
    # a product of the sample's values would be larger than the sample: each is a sweep
    for i, config in enumerate(configs):
        total += run([*sweep_args(config, replicates), "hydra.launcher.engine=keras"], cache,
                     out / f"k{replicates}_{i}")
    return total


def in_process(configs, keras_configs, repeats):
    """(engine s/network, Keras s/network) in this process: programs compiled, data made."""
    from hydra import compose, initialize_config_dir

    from experiments.sweep.config import network_seed
    from experiments.training import engine
    from experiments.training.keras import train_keras

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfgs = [compose(config_name="config",
                        overrides=[f"{k}={v[0]}" for k, v in c.items()] + FIXED)
                for c in configs]
    jobs = [(cfg, network_seed(cfg, r)) for cfg in cfgs for r in range(REPLICATES)]
    engine.train_many(jobs)  # compiles, makes the datasets
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine.train_many(jobs)
        times.append((time.perf_counter() - start) / len(jobs))
    keras_jobs = [(cfg, seed) for cfg, seed in jobs[::REPLICATES]][:keras_configs]
    train_keras(*keras_jobs[0])  # warm
    keras_times = []
    for cfg, seed in keras_jobs:
        start = time.perf_counter()
        train_keras(cfg, seed)
        keras_times.append(time.perf_counter() - start)
    return statistics.median(times), statistics.median(keras_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keras-configs", type=int, default=4,
                        help="configurations of the grid the Keras path is measured on")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--json", default=None, help="also write the figures as JSON here")
    opts = parser.parse_args()
    figures = Figures("cnn_speed", command=sys.argv)
    sample = sample_grid(opts.keras_configs)
    engine_runs, keras_fixed, keras_marginal = [], [], []
    with tempfile.TemporaryDirectory(prefix="cnn-speed-") as tmp:
        tmp, cache = Path(tmp), Path(tmp) / "xla"
        for r in range(opts.repeats):  # side by side: each repeat runs both paths
            engine_runs.append(run(sweep_args(GRID, REPLICATES), cache, tmp / f"engine{r}"))
            one = keras_sample(sample, 1, cache, tmp / f"keras{r}")
            three = keras_sample(sample, 3, cache, tmp / f"keras{r}")
            marginal = (three - one) / (2 * len(sample))
            keras_marginal.append(marginal)
            keras_fixed.append(one / len(sample) - marginal)  # per process
            print(f"repeat {r + 1}: engine {engine_runs[-1]:.1f} s for {NETWORKS} networks "
                  f"({engine_runs[-1] / NETWORKS:.3f} s/network); Keras {marginal:.2f} s per "
                  f"more network, {keras_fixed[-1]:.1f} s per process", flush=True)
    first, warm = engine_runs[0], engine_runs[1:] or engine_runs
    engine_s = figures.add("engine_s_per_network", statistics.median(warm) / NETWORKS, "s",
                           f"whole process of the {NETWORKS}-network grid, median of "
                           f"{len(warm)} (compile cache filled by the first)")
    figures.add("engine_first_s_per_network", first / NETWORKS, "s",
                "whole process, compile cache empty (the first run)")
    marginal, fixed = statistics.median(keras_marginal), statistics.median(keras_fixed)
    keras_s = figures.add("keras_s_per_network", (fixed + NETWORKS * marginal) / NETWORKS, "s",
                          f"a {NETWORKS}-network Keras sweep scaled from {len(sample)} "
                          "configurations x 1 and x 3 replicates (hydra.launcher.engine=keras)")
    figures.add("keras_marginal_s_per_network", marginal, "s", "one more network")
    speedup = figures.add("speedup", keras_s / engine_s, "x", "whole process, per network")
    print(f"\nwhole process per network: engine {engine_s:.3f} s (first, cache empty: "
          f"{first / NETWORKS:.3f} s), Keras {keras_s:.2f} s (marginal {marginal:.2f} s): "
          f"{speedup:.1f}x")
    if not opts.skip_in_process:
        configs = [dict(zip(GRID, ([v] for v in values), strict=True))
                   for values in itertools.product(*GRID.values())]
        eng, ker = in_process(configs, opts.keras_configs, opts.repeats)
        figures.add("engine_train_s_per_network", eng, "s", "train_many in process, compiled")
        figures.add("keras_train_s_per_network", ker, "s", "train_keras in process")
        print(f"in process (training and probes only): engine {eng * 1e3:.1f} ms/network, "
              f"Keras {ker:.2f} s/network: {ker / eng:.0f}x")
    figures.write(opts.json)


if __name__ == "__main__":
    main()
