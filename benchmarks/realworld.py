"""Real-world benchmark: the collapse doctor and AUTOTRAINER's rules on real faulty programs
ported to Keras 3 (benchmarks/realworld/cases), and on healthy models.

Example:
    python benchmarks/realworld.py                      # train what is missing, score test cases
    python benchmarks/realworld.py --split calibration  # the cases the thresholds were set on
    python benchmarks/realworld.py --no-train --misses  # rescore, list the doctor's misses

See benchmarks/realworld/runner.py for what is measured and how.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.realworld import runner  # noqa: E402
from experiments import faults  # noqa: E402

if __name__ == "__main__":
    sys.exit(faults.resumable(runner.main, "realworld", lambda: runner.RECORDS))
