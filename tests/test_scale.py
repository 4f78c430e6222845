"""Other ways to run a sweep give the same rows: Ray tasks, Hydra's joblib and basic launchers."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
GRID = ["init=zeros,glorot", "lr=0.1,1", "replicates=2", "epochs=3", "dataset.n_samples=128"]
VOLATILE = ["duration_s", "sweep"]


def sweep(out, *extra):
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", *GRID, *extra, f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    frame = pd.concat(pd.read_parquet(p) for p in sorted(Path(out, "runs").glob("*.parquet")))
    return frame.sort_values(["config_id", "replicate"], ignore_index=True).drop(columns=VOLATILE)


@pytest.mark.slow
def test_ray_tasks_write_the_same_rows_as_the_local_engine(tmp_path):
    local = sweep(tmp_path / "local")
    # two networks per block: four Ray tasks on a local Ray instance
    ray = sweep(tmp_path / "ray", "hydra.launcher.executor=ray", "hydra.launcher.block_networks=2")
    assert len(ray) == 8 and (ray["engine"] == "batched").all()
    pd.testing.assert_frame_equal(ray, local)


@pytest.mark.slow
def test_joblib_launcher_gives_the_rows_of_the_basic_launcher(tmp_path):
    basic = sweep(tmp_path / "basic", "hydra/launcher=basic")
    joblib = sweep(tmp_path / "joblib", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert len(joblib) == 8 and (joblib["engine"] == "keras").all()
    pd.testing.assert_frame_equal(joblib, basic)
