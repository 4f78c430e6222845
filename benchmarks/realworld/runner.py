"""The real-world benchmark: real faulty programs (and healthy models) trained as written, then
diagnosed by the doctor and by AUTOTRAINER's rules.

Every case (benchmarks/realworld/cases/*.py, see the README there) is built, fitted with its own
fit() arguments, and then:
  * truth: whether the symptom is there, measured independently of the doctor on the case's
    own rows (check_case.symptom: output spread < 1% of the targets', one class for >= 99% of
    rows, or NaN);
  * the doctor: diagnose(model, x, y), the trained model and the rows as the program had them;
  * AUTOTRAINER's published rules (experiments.doctor.autotrainer), watching the same fit()
    as a callback; for regression cases only its gradient and NaN rules apply (its other rules
    read accuracy).

Scores (exact 95% Clopper-Pearson intervals, analysis.stats.rate_interval): detection
(faulty programs whose symptom reproduced, flagged), false alarms (healthy models flagged),
top-1 / top-3 cause (reproduced faulty programs whose settled cause is in the vocabulary),
refusals (one line, DoctorInputError) and crashes (any other exception). The split of cases is
fixed by their id (`split_of`): thresholds are set on the calibration third, the table reports
the test cases.

Records are cached in results/realworld/records.jsonl keyed by case id, seed and the case
file's hash (a changed case is trained again); scoring re-ranks causes from the stored evidence
with the current rules.
"""

import argparse
import hashlib
import math
import os
import sys
import time
import traceback
from pathlib import Path

from benchmarks.realworld.check_case import load_case  # noqa: F401 - the one case loader
from experiments.storage import records as record_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = HERE / "cases"
RECORDS = ROOT / "results" / "realworld" / "records.jsonl"
CALIBRATION_EVERY = 3  # one case in three (by its id's hash) is for calibration


def split_of(case_id):
    """'calibration' or 'test', fixed by the id's SHA-256 (not by anything measured)."""
    digest = int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16)
    return "calibration" if digest % CALIBRATION_EVERY == 0 else "test"


def case_paths():
    return sorted(p for p in CASES.glob("*.py") if p.name != "__init__.py")


def file_hash(path):
    """The case file's hash and the hash of the doctor's evidence code (everything but the
    rules, which scoring applies afresh): a record is reused only while both are unchanged."""
    doctor = ROOT / "experiments" / "doctor"
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted(doctor.glob("*.py")):
        if source.name not in ("causes.py", "diagnosis.py", "report.py", "cli.py",
                               "fixes.py", "autotrainer.py"):
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


# -----------------------------------------------------------------------------
# AUTOTRAINER on a user's program


def autotrainer_rules(model, x, y, fit):
    """AUTOTRAINER's callback for this program, reading the model's own loss; training
    accuracy is computed where the program did not ask Keras for it."""
    import keras
    import numpy as np

    from experiments.doctor import evidence as ev
    from experiments.doctor.autotrainer import AutoTrainerRules

    facts = ev.model_facts(model)
    try:
        measured = ev.interpret(y, facts)
    except ev.DoctorInputError:
        measured = None
    labels = measured.labels if measured is not None else None
    batch = int(fit.get("batch_size") or 32)
    rows = np.arange(min(len(x), 2048))
    loss_fn = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss

    def accuracy(probs):
        if labels is None:
            return math.nan
        probs = np.asarray(probs, np.float64).reshape(len(probs), -1)
        pred = probs.argmax(axis=1) if probs.shape[1] > 1 else (probs[:, 0] >= 0.5)
        return float(np.mean(pred.astype(int) == labels[rows]))

    class Rules(AutoTrainerRules):
        def _validation(self):
            probs = self.model(self.x_val, training=False)
            value = float(np.mean(np.asarray(loss_fn(np.asarray(y)[rows].astype("float32"),
                                                     probs))))
            return value, accuracy(probs)

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            if "accuracy" not in logs:
                logs["accuracy"] = accuracy(self.model(self.x_val, training=False))
            super().on_epoch_end(epoch, logs)

    task = "binary" if labels is not None and facts["output_units"] == 1 else "multiclass"
    y_fit = np.asarray(y).astype("float32")
    return Rules(x, y_fit, np.asarray(x)[rows], y_fit[rows], labels, task, batch,
                 int(fit.get("epochs", 1)))


# -----------------------------------------------------------------------------
# one case


def run_case(path, seed):
    """Train one case and return its record (never raises)."""
    import keras

    from benchmarks.realworld.check_case import symptom
    from experiments.doctor import diagnose
    from experiments.doctor.evidence import DoctorInputError

    module = load_case(path)
    case = module.CASE
    rec = {"id": case["id"], "seed": seed, "hash": file_hash(path), "split": split_of(case["id"]),
           "cause": case.get("cause"), "healthy": bool(case.get("healthy")),
           "other": case.get("other"), "also": list(case.get("also", ())),
           "layers": list(case.get("layers", ())), "source": case.get("source")}
    keras.backend.clear_session()
    start = time.perf_counter()
    try:
        model, x, y, fit = module.build(seed)
        rules = None
        try:
            rules = autotrainer_rules(model, x, y, fit)
        except Exception as exc:  # noqa: BLE001 - the baseline cannot read this program
            rec["autotrainer_error"] = _first_line(exc)
        callbacks = [rules] if rules is not None else []
        try:
            model.fit(x, y, verbose=0, callbacks=callbacks, **fit)
        except Exception as exc:  # noqa: BLE001 - retry without the baseline's callback
            if rules is None:
                raise
            rec["autotrainer_error"] = _first_line(exc)
            rules = None
            model.fit(x, y, verbose=0, **fit)
        pred = model.predict(x, verbose=0, batch_size=256)
    except Exception as exc:  # noqa: BLE001 - the port itself failed: not the doctor's fault
        rec.update(status="port_error", error=_first_line(exc))
        return rec
    rec["fit_seconds"] = round(time.perf_counter() - start, 2)
    collapsed, rel, majority = symptom(pred, y)
    rec["truth"] = {"collapsed": bool(collapsed), "rel_spread": rel, "majority": majority}
    rec["autotrainer"] = {"problems": list(rules.problems) if rules else [],
                          "epoch": rules.epoch_found if rules else None}
    start = time.perf_counter()
    try:
        report = diagnose(model, x, y)
    except DoctorInputError as exc:
        rec.update(status="refused", error=str(exc))
        return rec
    except Exception as exc:  # noqa: BLE001 - a crash is what the benchmark counts
        rec.update(status="crash", error=_first_line(exc),
                   traceback=traceback.format_exc()[-2000:])
        return rec
    rec["doctor_seconds"] = round(time.perf_counter() - start, 2)
    rec["status"] = "ok"
    rec["evidence"] = {"model": report["model"], "data": report["data"],
                       "net": report["measurements"]}
    rec["kind"] = report["kind"]
    rec["causes"] = [c["cause"] for c in report["causes"][:5]]
    return rec


def load_records(path=None):
    path = RECORDS if path is None else path
    return {(rec["id"], rec["seed"], rec["hash"]): rec for rec in record_file.read(path)}


def train_missing(seeds, only=None):
    """Run every case x seed not in the records (one line appended per case)."""
    done = load_records()
    todo = []
    for path in case_paths():
        if only and path.stem not in only:
            continue
        for seed in seeds:
            if (path.stem, seed, file_hash(path)) not in done:
                todo.append((path, seed))
    start = time.perf_counter()
    for i, (path, seed) in enumerate(todo, start=1):
        rec = run_case(path, seed)
        record_file.append(RECORDS, rec, default=_json_default)
        print(f"  [{i}/{len(todo)}] {rec['id']} seed {seed}: {rec['status']} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return len(todo)


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(type(value).__name__)


# -----------------------------------------------------------------------------
# scoring


def current_records(seeds):
    """The records of the cases as they are now (latest hash), for the given seeds."""
    records = load_records()
    out = []
    for path in case_paths():
        digest = file_hash(path)
        for seed in seeds:
            rec = records.get((path.stem, seed, digest))
            if rec is not None:
                out.append(rec)
    return out


def doctor_call(rec):
    """(flagged, causes ranked) from the stored evidence with the current rules."""
    from experiments.doctor.diagnosis import rank_causes

    if rec["status"] != "ok":
        return False, []
    ev = rec["evidence"]
    causes = rank_causes(ev["model"], ev["data"], ev["net"])
    return ev["net"]["kind"] != "none", [c["cause"] for c in causes]


def autotrainer_call(rec):
    from experiments.doctor.autotrainer import PROBLEM_CAUSE

    problems = (rec.get("autotrainer") or {}).get("problems") or []
    return bool(problems), [PROBLEM_CAUSE[p] for p in problems]


METHODS = {"doctor": doctor_call, "AUTOTRAINER rules": autotrainer_call}


def _rate(k, n):
    from analysis.stats import rate_interval

    if n == 0:
        return "n/a (0 programs)"
    low, high = rate_interval(k, n)
    return f"{k}/{n} = {k / n:.0%} [{low:.0%}, {high:.0%}]"


def groups(recs):
    trained = [r for r in recs if r["status"] != "port_error"]
    faulty = [r for r in trained if not r["healthy"]]
    reproduced = [r for r in faulty if r["truth"]["collapsed"]]
    named = [r for r in reproduced if r["cause"]]
    healthy = [r for r in trained if r["healthy"] and not r["truth"]["collapsed"]]
    return trained, faulty, reproduced, named, healthy


def score(recs, split):
    """The summary table, the per-cause table and the list of misses (markdown)."""
    recs = [r for r in recs if split == "all" or r["split"] == split]
    trained, faulty, reproduced, named, healthy = groups(recs)
    calls = {name: {id(r): fn(r) for r in trained} for name, fn in METHODS.items()}

    def count(method, group, test):
        return sum(bool(test(r, *calls[method][id(r)])) for r in group)

    rows = [
        ("detection: faulty programs (symptom reproduced) flagged", reproduced,
         lambda r, flagged, causes: flagged),
        ("false alarms: healthy models flagged", healthy, lambda r, flagged, causes: flagged),
        ("top-1 cause: reproduced, settled cause in the vocabulary", named,
         lambda r, flagged, causes: flagged and causes[:1] == [r["cause"]]),
        ("top-3 cause: reproduced, settled cause in the vocabulary", named,
         lambda r, flagged, causes: flagged and r["cause"] in causes[:3]),
    ]
    names = list(METHODS)
    lines = [f"| {split} cases | " + " | ".join(names) + " |",
             "| --- | " + " | ".join("---" for _ in names) + " |"]
    for label, group, test in rows:
        lines.append(f"| {label} | " + " | ".join(
            _rate(count(m, group, test), len(group)) for m in names) + " |")
    status = {s: sum(r["status"] == s for r in recs) for s in ("refused", "crash",
                                                                "port_error")}
    lines.append(f"| refusals (one line, exit status 2) | {status['refused']} of {len(recs)} "
                 "| |")
    lines.append(f"| crashes (a traceback) | {status['crash']} of {len(recs)} | |")
    lines.append("")
    lines.append(f"{len(recs)} case runs: {len(faulty)} faulty ({len(reproduced)} reproduced "
                 f"the symptom, {len(named)} with a settled cause in the vocabulary), "
                 f"{sum(r['healthy'] for r in trained)} healthy ({len(healthy)} not collapsed), "
                 f"{status['port_error']} ports that did not run.")
    per_cause = ["| cause | programs | reproduced | doctor top-1 | doctor top-3 | "
                 "AUTOTRAINER top-1 |", "| --- | --- | --- | --- | --- | --- |"]
    for cause in sorted({r["cause"] for r in faulty if r["cause"]}):
        group = [r for r in faulty if r["cause"] == cause]
        sick = [r for r in group if r["truth"]["collapsed"]]
        per_cause.append(
            f"| `{cause}` | {len(group)} | {len(sick)} | {count('doctor', sick, rows[2][2])} | "
            f"{count('doctor', sick, rows[3][2])} | "
            f"{count('AUTOTRAINER rules', sick, rows[2][2])} |")
    misses = []
    for r in named + healthy:
        flagged, causes = calls["doctor"][id(r)]
        if r["healthy"] and flagged:
            misses.append(f"- {r['id']}: healthy, flagged ({r['evidence']['net']['kind']}); "
                          f"causes {causes[:3]}")
        elif not r["healthy"] and (not flagged or causes[:1] != [r["cause"]]):
            misses.append(f"- {r['id']}: settled `{r['cause']}`; doctor "
                          f"{'flagged' if flagged else 'NOT flagged'}, ranked {causes[:3]}")
    for r in recs:
        if r["status"] in ("crash", "refused", "port_error"):
            misses.append(f"- {r['id']}: {r['status']}: {r.get('error')}")
    return "\n".join(lines), "\n".join(per_cause), "\n".join(misses)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="realworld.py", description="The doctor and AUTOTRAINER's rules on real faulty "
        "programs and healthy models (benchmarks/realworld/cases).")
    parser.add_argument("--split", choices=("test", "calibration", "all"), default="test")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per case (default 1)")
    parser.add_argument("--no-train", action="store_true", help="score the records only")
    parser.add_argument("--only", nargs="*", help="case ids to run")
    parser.add_argument("--misses", action="store_true", help="list the doctor's misses")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT))
    import warnings

    warnings.filterwarnings("ignore")  # the programs' own Keras warnings (softmax over 1 unit)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    seeds = list(range(args.seeds))
    if not args.no_train:
        start = time.perf_counter()
        n = train_missing(seeds, args.only)
        print(f"ran {n} case(s) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    summary, per_cause, misses = score(current_records(seeds), args.split)
    print(summary)
    print()
    print(per_cause)
    if args.misses:
        print()
        print(misses or "(none)")
