"""Check one case file: build it, fit it, and say whether its outputs are collapsed.

Example:
    python benchmarks/realworld/check_case.py benchmarks/realworld/cases/so_12345.py [--seed 0]

Prints the fit time, the output spread relative to the targets' spread, the share of rows in
the most common predicted class, and whether the symptom (same output, same class for >= 99%
of rows, or NaN) is there. Nothing here uses the doctor.
"""

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def load_case(path):
    """The case module at `path` (a file of benchmarks/realworld/cases)."""
    path = Path(path)
    if not path.is_absolute() and not path.exists():
        path = Path(__file__).parent / path
    spec = importlib.util.spec_from_file_location(f"realworld_case_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def symptom(pred, y):
    """(collapsed?, rel_spread, majority share or None) of predictions `pred` for targets y."""
    import numpy as np

    pred = np.asarray(pred, np.float64).reshape(len(pred), -1)
    if not np.all(np.isfinite(pred)):
        return True, float("nan"), None
    target = np.asarray(y, np.float64).reshape(len(y), -1)
    target_std = target.std(axis=0).max() if target.shape[1] == pred.shape[1] else 0.5
    rel = float(pred.std(axis=0).max() / (target_std or 1.0))
    if not np.all(target == np.rint(target)):  # regression: only the spread counts
        return rel < 0.01, rel, None
    classes = pred.argmax(axis=1) if pred.shape[1] > 1 else (pred[:, 0] >= 0.5).astype(int)
    majority = float(np.bincount(classes).max() / len(classes))
    return rel < 0.01 or majority >= 0.99, rel, majority


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    module = load_case(args.case)
    start = time.perf_counter()
    model, x, y, fit = module.build(args.seed)
    model.fit(x, y, verbose=0, **fit)
    seconds = time.perf_counter() - start
    pred = model.predict(x, verbose=0, batch_size=256)
    collapsed, rel, majority = symptom(pred, y)
    print(f"{module.CASE['id']}: fit {seconds:.1f} s; rel_spread {rel:.3g}; majority "
          f"{majority if majority is None else round(majority, 3)}; "
          f"{'COLLAPSED' if collapsed else 'not collapsed'}; cause {module.CASE.get('cause')}")


if __name__ == "__main__":
    main()
