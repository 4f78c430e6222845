"""Hydra callback: check a single run before Hydra makes its folder; write the heatmap report
when a multirun ends, and say what failed."""

import logging
import sys
import threading
import time
from pathlib import Path

from hydra.core.utils import JobStatus
from hydra.experimental.callback import Callback

log = logging.getLogger(__name__)


class ReportCallback(Callback):
    def __init__(self):
        self.failed_jobs = 0

    def on_run_start(self, config, **kwargs):
        """A refused single run (a bad value, a network too large for the memory budget)
        leaves nothing on disk: check it before Hydra's run_job makes its folder and log (a
        sweep's jobs are checked by the collapse sweeper)."""
        from experiments.sweep import budget
        from experiments.sweep.config import validate
        from experiments.training.memory import member_bytes
        from experiments.variants.registry import ConfigError

        try:
            validate(config)
        except ConfigError as exc:
            print(f"collapse-lab: {exc}", file=sys.stderr)
            sys.exit(2)
        limit = config.hydra.launcher.get("max_memory_gb")  # the Keras path: one network
        try:
            budget.check([config], budget.Budget.of(limit), member_bytes)
        except budget.TooLarge as exc:
            print(f"collapse-lab: {exc}; nothing was trained", file=sys.stderr)
            sys.exit(2)

    def on_multirun_start(self, config, **kwargs):
        """Load the report's libraries (~2 s) on a thread once the jobs are validated, while
        the networks train: the sweep's process is otherwise waiting for the training
        process."""
        from experiments.storage import store  # noqa: F401  (the modules both threads import)

        threading.Thread(target=_load_report, args=(config.hydra.sweep.dir, time.time()),
                         daemon=True, name="load-report").start()

    def on_job_end(self, config, job_return, **kwargs):
        if job_return.status == JobStatus.FAILED:
            self.failed_jobs += 1

    def on_multirun_end(self, config, **kwargs):
        """Write the report. Hydra turns a callback's exception into a warning (exit status
        0): every failure of the report is one line and exit status 1 here instead."""
        from experiments import faults

        sweep_dir = config.hydra.sweep.dir
        faults.SWEEP.stage = "report"
        try:
            from analysis.load import load_runs  # seaborn and friends: needed only at the end
            from analysis.report import write_report

            runs = load_runs(sweep_dir)
        except FileNotFoundError:
            print(f"collapse-lab: no results in {sweep_dir}; {self.failed_jobs} jobs raised, "
                  "see their logs", file=sys.stderr)
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001  (unreadable rows, a missing library, ...)
            faults.stop(faults.report_failed(exc, sweep_dir))
        try:
            path = write_report(sweep_dir, runs)
        except Exception as exc:  # noqa: BLE001  (a full disk, a figure that cannot render)
            faults.stop(faults.report_failed(exc, sweep_dir))
        print(f"report: {path}")
        errors = int((runs["status"] == "error").sum())
        if errors or self.failed_jobs:
            print(f"collapse-lab: {errors} of {len(runs)} networks failed and "
                  f"{self.failed_jobs} jobs raised; see {path} and the jobs' logs",
                  file=sys.stderr)
            sys.exit(1)


def _load_report(sweep_dir, start):
    """Import the report's modules ahead of time, once the sweeper has validated the jobs and
    written multirun.yaml (a refused sweep answers without waiting for this). Only a warm-up:
    on_multirun_end imports them itself and reports any error."""
    marker = Path(sweep_dir) / "multirun.yaml"
    while not (marker.exists() and marker.stat().st_mtime >= start - 1):
        time.sleep(0.05)
    try:
        import analysis.load  # noqa: F401
        import analysis.report  # noqa: F401
    except Exception:  # noqa: BLE001
        pass
