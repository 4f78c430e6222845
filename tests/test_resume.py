"""Sweeps that survive: resume after SIGKILL, failures, bad input, other sweeps' folders."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.storage import store
from experiments.variants.registry import ConfigError

ROOT = Path(__file__).resolve().parents[1]
GRID = ["init=zeros,constant,glorot,he_normal", "lr=0.1,1", "replicates=2", "epochs=3",
        "dataset.n_samples=128"]
VOLATILE = ["duration_s", "sweep"]  # differ between two runs of the same sweep by design


def run(*args, out, env=None, **kw):
    return subprocess.run([sys.executable, "run.py", "-m", *args, f"hydra.sweep.dir={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env, **kw)


def rows(out):
    frame = pd.concat(pd.read_parquet(p) for p in sorted(Path(out, "runs").glob("*.parquet")))
    return frame.sort_values(["config_id", "replicate"], ignore_index=True)


def snapshot(folder):
    """Hash of every file under folder, to show that nothing was changed."""
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "sweep"
    proc = run(*GRID, out=out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.mark.slow
def test_killed_sweep_resumes_to_exactly_the_uninterrupted_rows(tmp_path, uninterrupted):
    out = tmp_path / "sweep"
    # one configuration per block, so rows appear while the sweep runs
    args = [*GRID, "hydra.launcher.block_networks=2", "hydra.launcher.progress=false"]
    proc = subprocess.Popen([sys.executable, "run.py", "-m", *args, f"hydra.sweep.dir={out}"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(out.glob("runs/*.parquet"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list(out.glob("runs/*.parquet")))
    assert 2 <= partial < 8, "the kill should land part-way through the sweep"
    again = run(*args, out=out)
    assert again.returncode == 0, again.stderr[-3000:]
    log = again.stdout + again.stderr
    assert "resume: " in log and "networks already stored" in log
    resumed, whole = rows(out), rows(uninterrupted)
    assert not resumed.duplicated(["config_id", "replicate"]).any()
    assert len(resumed) == 16
    pd.testing.assert_frame_equal(resumed.drop(columns=VOLATILE), whole.drop(columns=VOLATILE))


@pytest.mark.slow
def test_rerun_of_a_finished_sweep_trains_nothing_and_changes_no_row(tmp_path, uninterrupted):
    before = snapshot(uninterrupted / "runs")
    again = run(*GRID, out=uninterrupted)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resume: 16 networks already stored, 0 to train" in again.stdout + again.stderr
    assert snapshot(uninterrupted / "runs") == before


@pytest.mark.slow
def test_fresh_sets_earlier_results_aside_and_starts_over(tmp_path):
    out = tmp_path / "sweep"
    small = ["init=zeros", "lr=0.1", "replicates=1", "epochs=2", "dataset.n_samples=64"]
    assert run(*small, out=out).returncode == 0
    first = snapshot(out / "runs")
    again = run(*small, "fresh=true", out=out)
    assert again.returncode == 0, again.stderr[-3000:]
    kept = next((out / "previous").iterdir())
    assert snapshot(kept / "runs") == first  # nothing lost
    assert len(list((out / "runs").glob("*.parquet"))) == 1


BAD = [
    (["init=nope"], "collapse-lab: init='nope' is not an option; allowed: constant, "),
    (["lr=-1"], "collapse-lab: lr=-1: must be a number > 0"),
    (["model.width=0"], "collapse-lab: model.width=0: must be an integer >= 1"),
    (["dataset.imbalance=1.5"], "collapse-lab: dataset.imbalance=1.5: must be a number in (0, 1)"),
    (["lr=abc"], "collapse-lab: lr='abc': must be a number > 0"),
]


@pytest.mark.slow
def test_bad_inputs_stop_with_one_line_and_leave_results_untouched(tmp_path, uninterrupted):
    before = snapshot(uninterrupted)
    for args, message in BAD:
        proc = run(*GRID, *args, out=uninterrupted)
        assert proc.returncode != 0, args
        assert message in proc.stderr, (args, proc.stderr[-2000:])
        assert snapshot(uninterrupted) == before, args


@pytest.mark.slow
def test_a_truncated_results_file_is_named_and_nothing_is_touched(tmp_path, uninterrupted):
    out = tmp_path / "sweep"
    (out / "runs").mkdir(parents=True)
    # one file per configuration (as the Keras path writes them), so that one can be cut short
    for cid, part in rows(uninterrupted).groupby("config_id"):
        part.to_parquet(out / "runs" / f"{cid}.parquet", index=False)
    source = sorted((out / "runs").glob("*.parquet"))[0]
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    (out / "sweep.json").write_bytes((uninterrupted / "sweep.json").read_bytes())
    before = snapshot(out)
    proc = run(*GRID, out=out)
    assert proc.returncode == 2
    assert f"collapse-lab: {out / 'runs' / source.name} is not a readable Parquet file" in (
        proc.stderr
    )
    assert snapshot(out) == before
    with pytest.warns(UserWarning, match=source.name):  # the analysis skips it, by name
        from analysis.load import load_runs

        assert len(load_runs(out)) == 14


@pytest.mark.slow
def test_another_sweep_in_the_same_folder_is_refused(tmp_path, uninterrupted):
    before = snapshot(uninterrupted)
    proc = run("init=zeros", "lr=0.5", out=uninterrupted)
    assert proc.returncode == 2
    assert "holds another sweep" in proc.stderr and "\n" not in proc.stderr.strip().splitlines()[-1]
    assert snapshot(uninterrupted) == before


def test_rows_of_another_schema_version_are_refused(tmp_path):
    frame = pd.DataFrame({"replicate": [0], "schema_version": [0]})
    (tmp_path / "runs").mkdir()
    frame.to_parquet(tmp_path / "runs" / "abc.parquet")
    with pytest.raises(ConfigError, match=r"abc.parquet holds rows of schema version \[0\]"):
        store.stored_runs(tmp_path)


def test_more_replicates_extend_the_same_sweep(tmp_path):
    store.check_sweep(tmp_path, ["init=zeros,glorot", "replicates=2", "hydra.sweep.dir=x"])
    store.check_sweep(tmp_path, ["replicates=5", "init=zeros,glorot"])  # same sweep
    with pytest.raises(store.StoreError, match="holds another sweep"):
        store.check_sweep(tmp_path, ["init=zeros"])


BROKEN = """
import runpy, sys
from experiments.variants.init import INIT

@INIT.register("broken")
def broken(params, seed):
    raise RuntimeError("deliberately broken initializer")

sys.argv = ["run.py", *sys.argv[1:]]
runpy.run_path("run.py", run_name="__main__")
"""


@pytest.mark.slow
def test_a_failing_configuration_is_recorded_and_the_sweep_goes_on(tmp_path):
    extra = tmp_path / "conf" / "init"
    extra.mkdir(parents=True)
    (extra / "broken.yaml").write_text("name: broken\n")
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [sys.executable, "-c", BROKEN, "-m", "init=zeros,broken,glorot", "lr=0.1",
         "replicates=2", "epochs=2", "dataset.n_samples=64",
         f"hydra.searchpath=[file://{tmp_path / 'conf'}]", f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 1
    assert "collapse-lab: 2 of 6 networks failed" in proc.stderr
    assert (out / "report.html").exists()
    got = rows(out).set_index(["init", "replicate"]).sort_index()
    assert (got.loc["broken", "status"] == "error").all()
    assert got.loc["broken", "error"].str.contains("deliberately broken initializer").all()
    assert (got.drop(index="broken")["status"] == "ok").all()
    job_logs = [p.read_text() for p in out.glob("jobs/*/*.log")]
    assert sum("RuntimeError: deliberately broken initializer" in t for t in job_logs) == 1
