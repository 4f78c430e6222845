"""Fault benchmark: the collapse doctor against AUTOTRAINER's rules on networks with known faults.

Trains the project's networks (Keras `model.fit`, as experiments.training.keras builds, seeds
and orders them) on five of the project's classification datasets, each with one injected
fault at a realistic dose, plus healthy networks; then asks both methods what is wrong:

  * the doctor: `collapse-doctor`'s diagnosis of the trained model on its training data (the
    model file and the data are all it sees, as a user's model);
  * AUTOTRAINER's published detection rules (experiments.doctor.autotrainer), watching the same
    training run as a callback, as AUTOTRAINER does.

Truth is measured on each network's held-out split with the project's metrics: collapsed =
output collapse, decision collapse, or NaN/inf. Scores: detection (collapsed faulty networks
flagged), false alarms (healthy networks flagged), top-1 / top-3 cause (the injected fault's
cause ranked first / in the first three, among collapsed faulty networks), each with an exact
95% interval (analysis.stats.rate_interval). The doctor's thresholds (experiments.doctor.causes)
were chosen on the calibration seeds and frozen; the table reports the other (test) seeds.

Trained networks are cached in results/fault_benchmark/records.jsonl (one line each; a rerun
trains only what is missing); scoring re-ranks causes from the stored evidence with the
current rules, so changing a rule needs no retraining.

Example:
    python benchmarks/fault_benchmark.py                       # train what is missing, score test
    python benchmarks/fault_benchmark.py --split calibration   # the seeds the rules were set on
    python benchmarks/fault_benchmark.py --overhead 7          # CollapseMonitor's cost on fit()
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.storage import records as record_file  # noqa: E402

RECORDS = ROOT / "results" / "fault_benchmark" / "records.jsonl"
DATASETS = ("moons", "circles", "breast_cancer", "digits", "wine")
N_CLASSES = {"digits": 10, "wine": 3}
BASE = ("lr=0.1",)  # the seed's network (one hidden layer of 10 ReLU units, SGD) at lr 0.1
FAULT_SEEDS = range(6)
HEALTHY_SEEDS = range(18)
CALIBRATION = {"fault": {0, 1}, "healthy": set(range(6))}

# fault: (cause, dose as overrides of the base, what the dose stands for)
FAULTS = {
    "zero_init": ("same_value_init", ("init=zeros",), "kernel_initializer='zeros'"),
    "lr_10": ("learning_rate_too_high", ("lr=10",), "SGD learning rate 10"),
    "lr_1e-5": ("learning_rate_too_low", ("lr=1e-5",), "SGD learning rate 1e-5"),
    "l2_1": ("strong_regularization", ("regularization=l2", "regularization.strength=1.0"),
             "L2 factor 1 on every kernel"),
    "raw_inputs": ("unscaled_inputs", ("dataset.input_shift=100", "dataset.input_scale=30"),
                   "inputs around 100 +- 30 (raw readings, pixel values), not standardized"),
    "imbalance": ("class_imbalance", ("dataset.imbalance=0.02",),
                  "2% of training rows outside the majority class"),
    "deep_sigmoid": ("vanishing_gradients", ("activation=sigmoid", "model.depth=5"),
                     "5 hidden sigmoid layers"),
    "deep_narrow_relu": ("dead_relu", ("model.depth=10", "model.width=3"),
                         "10 hidden ReLU layers of 3 units"),
    "random_labels": ("label_noise", ("dataset.label_noise={noise}",),
                      "every label replaced by another class at rate 1 - 1/classes (labels "
                      "independent of inputs, e.g. x and y shuffled separately)"),
    "tiny_data": ("too_little_data", ("dataset.n_samples=16",), "16 rows (12 for training)"),
    "duplicates": ("low_diversity_data", ("dataset.duplicate_share=0.95",),
                   "95% of training rows copies of 3 rows"),
}
# Healthy networks: the base and five other sound set-ups, one per seed in turn.
HEALTHY = (
    BASE,
    ("optimizer=adam", "lr=0.01"),
    ("optimizer=adam", "lr=0.01", "activation=tanh", "model.depth=2", "model.width=16"),
    ("lr=0.1", "activation=elu", "model.depth=2"),
    ("optimizer=momentum", "lr=0.01", "model.width=32"),
    ("optimizer=rmsprop", "lr=0.003", "activation=leaky_relu"),
)


def jobs():
    """[(id, fault or 'healthy', cause or None, dataset, seed, overrides)]."""
    out = []
    for dataset in DATASETS:
        noise = round(1 - 1 / N_CLASSES.get(dataset, 2), 4)
        for fault, (cause, dose, _) in FAULTS.items():
            overrides = [*BASE, *(o.format(noise=noise) for o in dose)]
            for seed in FAULT_SEEDS:
                out.append((f"{fault}/{dataset}/{seed}", fault, cause, dataset, seed, overrides))
        for seed in HEALTHY_SEEDS:
            overrides = list(HEALTHY[seed % len(HEALTHY)])
            out.append((f"healthy/{dataset}/{seed}", "healthy", None, dataset, seed, overrides))
    return out


def split_of(fault, seed):
    kind = "healthy" if fault == "healthy" else "fault"
    return "calibration" if seed in CALIBRATION[kind] else "test"


# -----------------------------------------------------------------------------
# training one network and recording what both methods see


def compose_config(dataset, overrides):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        return compose(config_name="config", overrides=[f"dataset={dataset}", *overrides])


def train_one(cfg, seed):
    """Train one network as experiments.training.keras does (without TerminateOnNaN: AUTOTRAINER
    watches the whole run); returns (model, data, AutoTrainerRules, seconds)."""
    import keras

    from experiments.doctor.autotrainer import AutoTrainerRules
    from experiments.training.common import epoch_orders, fit_targets
    from experiments.training.keras import epoch_batches
    from experiments.variants.dataset import make_dataset
    from experiments.variants.model import HEADS, build_model
    from experiments.variants.optimizer import make_optimizer

    keras.utils.set_random_seed(seed)
    data = make_dataset(cfg.dataset, seed, cfg.eval_fraction)
    model = build_model(cfg, data.n_features, data.task, data.n_classes, seed)
    model.compile(optimizer=make_optimizer(cfg.optimizer, cfg.lr), loss=HEADS[data.task][1],
                  metrics=["accuracy"])
    y_fit = fit_targets(data, data.y_train)
    rules = AutoTrainerRules(data.x_train, y_fit, data.x_eval, fit_targets(data, data.y_eval),
                             data.y_eval, data.task, cfg.batch_size, cfg.epochs)
    n_train = len(data.x_train)
    start = time.perf_counter()
    model.fit(epoch_batches(data.x_train, y_fit, epoch_orders(n_train, cfg.epochs, seed),
                            cfg.batch_size),
              epochs=cfg.epochs, steps_per_epoch=-(-n_train // cfg.batch_size), shuffle=False,
              verbose=0, callbacks=[rules])
    return model, data, rules, time.perf_counter() - start


def record(job):
    """Train one job and return its record: truth, the doctor's evidence, AUTOTRAINER's call."""
    from experiments.doctor import evidence as ev

    model_id, fault, cause, dataset, seed, overrides = job
    cfg = compose_config(dataset, overrides)
    model, data, rules, seconds = train_one(cfg, seed)
    facts = ev.model_facts(model)
    truth = ev.network_facts(model, data.x_eval, data.y_eval, facts, gradients=False)
    start = time.perf_counter()
    rows = ev.sample_rows(len(data.x_train))
    evidence = {"model": facts,
                "data": ev.data_facts(data.x_train, data.y_train, facts["task"],
                                      facts["output_units"]),
                "net": ev.network_facts(model, data.x_train[rows], data.y_train[rows], facts)}
    return {"id": model_id, "fault": fault, "cause": cause, "dataset": dataset, "seed": seed,
            "overrides": overrides, "split": split_of(fault, seed),
            "truth": {"kind": truth["kind"], "rel_output_std": truth["rel_output_std"],
                      "majority_fraction": truth["majority_fraction"],
                      "score": truth["score"]},
            "autotrainer": {"problems": rules.problems, "epoch": rules.epoch_found},
            "evidence": evidence, "train_seconds": round(seconds, 3),
            "doctor_seconds": round(time.perf_counter() - start, 3)}


def load_records(path=None):
    path = RECORDS if path is None else path
    return {rec["id"]: rec for rec in record_file.read(path)}


def train_missing(limit=None, split=None):
    """Train every job not in the records file yet (appending one line per network)."""
    done = load_records()
    todo = [j for j in jobs() if j[0] not in done
            and (split is None or split_of(j[1], j[4]) == split)]
    if limit is not None:
        todo = todo[:limit]
    start = time.perf_counter()
    for i, job in enumerate(todo, start=1):
        record_file.append(RECORDS, record(job), default=lambda o: o.item())
        if i % 10 == 0 or i == len(todo):
            print(f"  trained {i}/{len(todo)} ({time.perf_counter() - start:.0f} s)",
                  file=sys.stderr)
    return len(todo)


# -----------------------------------------------------------------------------
# scoring


def doctor_call(rec):
    """(flagged, causes ranked) from the stored evidence with the current rules."""
    from experiments.doctor.diagnosis import rank_causes

    ev = rec["evidence"]
    causes = rank_causes(ev["model"], ev["data"], ev["net"])
    flagged = ev["net"]["kind"] != "none" or any(c["score"] > 0.5 for c in causes)
    return flagged, [c["cause"] for c in causes]


def autotrainer_call(rec):
    from experiments.doctor.autotrainer import PROBLEM_CAUSE

    problems = rec["autotrainer"]["problems"]
    return bool(problems), [PROBLEM_CAUSE[p] for p in problems]


METHODS = {"doctor": doctor_call, "AUTOTRAINER rules": autotrainer_call}


def _rate(k, n):
    from analysis.stats import rate_interval

    if n == 0:
        return "n/a (0 networks)"
    low, high = rate_interval(k, n)
    return f"{k}/{n} = {k / n:.0%} [{low:.0%}, {high:.0%}]"


def score(records, split):
    """The summary table and the per-fault table (markdown) of one split."""
    recs = [r for r in records.values() if split == "all" or r["split"] == split]
    collapsed = [r for r in recs if r["fault"] != "healthy" and r["truth"]["kind"] != "none"]
    healthy = [r for r in recs if r["fault"] == "healthy" and r["truth"]["kind"] == "none"]
    faulty = [r for r in recs if r["fault"] != "healthy"]
    calls = {name: {r["id"]: fn(r) for r in recs} for name, fn in METHODS.items()}

    def count(method, group, test):
        return sum(bool(test(r, *calls[method][r["id"]])) for r in group)

    rows = [
        ("detection: collapsed faulty networks flagged", collapsed,
         lambda r, flagged, causes: flagged),
        ("false alarms: healthy networks flagged", healthy,
         lambda r, flagged, causes: flagged),
        ("top-1 cause: collapsed faulty networks", collapsed,
         lambda r, flagged, causes: flagged and causes[:1] == [r["cause"]]),
        ("top-3 cause: collapsed faulty networks", collapsed,
         lambda r, flagged, causes: flagged and r["cause"] in causes[:3]),
        ("cause named first, every faulty network (collapsed or not)", faulty,
         lambda r, flagged, causes: causes[:1] == [r["cause"]]),
    ]
    names = list(METHODS)
    lines = [f"| {split} seeds | " + " | ".join(names) + " |",
             "| --- | " + " | ".join("---" for _ in names) + " |"]
    for label, group, test in rows:
        lines.append(f"| {label} | " + " | ".join(
            _rate(count(m, group, test), len(group)) for m in names) + " |")
    n_healthy_collapsed = sum(r["fault"] == "healthy" and r["truth"]["kind"] != "none"
                              for r in recs)
    lines.append(f"\n{len(recs)} networks: {len(faulty)} faulty ({len(collapsed)} collapsed on "
                 f"their held-out rows), {len(recs) - len(faulty)} healthy "
                 f"({n_healthy_collapsed} of them collapsed, left out of the false alarms).")
    per_fault = ["| fault | cause | networks | collapsed | doctor top-1 | AUTOTRAINER "
                 "top-1 | AUTOTRAINER flagged |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for fault, (cause, _, _) in FAULTS.items():
        group = [r for r in faulty if r["fault"] == fault]
        sick = [r for r in group if r["truth"]["kind"] != "none"]
        top = {m: count(m, sick, rows[2][2]) for m in names}
        flagged = count("AUTOTRAINER rules", sick, rows[0][2])
        per_fault.append(f"| {fault} | `{cause}` | {len(group)} | {len(sick)} | "
                         f"{top['doctor']}/{len(sick)} | {top['AUTOTRAINER rules']}/{len(sick)}"
                         f" | {flagged}/{len(sick)} |")
    return "\n".join(lines), "\n".join(per_fault)


def confusions(records, split, method="doctor"):
    """Collapsed faulty networks whose top-1 cause is wrong: (id, cause, ranked)."""
    out = []
    for r in records.values():
        if r["split"] != split and split != "all" or r["fault"] == "healthy":
            continue
        if r["truth"]["kind"] == "none":
            continue
        flagged, causes = METHODS[method](r)
        if not flagged or causes[:1] != [r["cause"]]:
            out.append((r["id"], r["cause"], flagged, causes[:3]))
    return out


# -----------------------------------------------------------------------------
# the callback's overhead


def overhead(repeats):
    """Median time of fit() on the seed's network with and without CollapseMonitor, and the
    time spent inside the callback itself (less noisy on a shared machine)."""
    import keras

    from experiments.doctor import CollapseMonitor
    from experiments.training.common import fit_targets
    from experiments.variants.dataset import make_dataset
    from experiments.variants.model import HEADS, build_model
    from experiments.variants.optimizer import make_optimizer

    cfg = compose_config("moons", [])
    data = make_dataset(cfg.dataset, 0, cfg.eval_fraction)
    y_fit = fit_targets(data, data.y_train)
    class TimedMonitor(CollapseMonitor):
        spent = 0.0

        def on_train_begin(self, logs=None):
            start = time.perf_counter()
            super().on_train_begin(logs)
            TimedMonitor.spent += time.perf_counter() - start

        def on_epoch_end(self, epoch, logs=None):
            start = time.perf_counter()
            super().on_epoch_end(epoch, logs)
            TimedMonitor.spent += time.perf_counter() - start

    times, inside = {"without": [], "with": []}, []
    for rep in range(repeats):
        for arm in ("without", "with") if rep % 2 == 0 else ("with", "without"):
            keras.utils.set_random_seed(rep)
            model = build_model(cfg, data.n_features, data.task, data.n_classes, rep)
            model.compile(optimizer=make_optimizer(cfg.optimizer, cfg.lr),
                          loss=HEADS[data.task][1])
            callbacks = ([TimedMonitor(data.x_train[:256], data.y_train[:256])]
                         if arm == "with" else [])
            TimedMonitor.spent = 0.0
            start = time.perf_counter()
            model.fit(data.x_train, y_fit, epochs=cfg.epochs, batch_size=cfg.batch_size,
                      verbose=0, callbacks=callbacks)
            times[arm].append(time.perf_counter() - start)
            if arm == "with":
                inside.append(TimedMonitor.spent)
    without, with_ = (statistics.median(times[a]) for a in ("without", "with"))
    print(f"fit() of the seed's network ({len(data.x_train)} rows, {cfg.epochs} epochs, batch "
          f"{cfg.batch_size}), median of {repeats}: {without:.3f} s without, {with_:.3f} s with "
          f"CollapseMonitor (256 probe rows, every epoch): overhead "
          f"{(with_ / without - 1):+.1%}")
    spent = statistics.median(inside)
    print(f"  time inside the callback (21 measurements per fit), median: {spent * 1000:.0f} ms"
          f" = {spent / without:.1%} of fit() without it")
    print("  all runs (s): without " + ", ".join(f"{t:.2f}" for t in times["without"])
          + "; with " + ", ".join(f"{t:.2f}" for t in times["with"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "calibration", "all"), default="test")
    parser.add_argument("--no-train", action="store_true", help="score the records only")
    parser.add_argument("--limit", type=int, help="train at most this many networks")
    parser.add_argument("--confusions", action="store_true",
                        help="list the doctor's wrong top-1 causes")
    parser.add_argument("--overhead", type=int, metavar="REPEATS",
                        help="measure CollapseMonitor's overhead (and nothing else)")
    args = parser.parse_args()
    if args.overhead:
        overhead(args.overhead)
        return
    if not args.no_train:
        start = time.perf_counter()
        n = train_missing(args.limit, None if args.split == "all" else args.split)
        print(f"trained {n} networks in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    records = load_records()
    summary, per_fault = score(records, args.split)
    print(summary)
    print()
    print(per_fault)
    if args.confusions:
        for row in confusions(records, args.split):
            print(*row)


if __name__ == "__main__":
    from experiments import faults

    sys.exit(faults.resumable(main, "fault_benchmark", lambda: RECORDS))
