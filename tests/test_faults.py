"""When the machine fails: a full disk at every kind of write, a report that fails, a memory
budget, Ctrl-C and SIGTERM. Each fault is provoked for real (a write that fails with ENOSPC,
a signal to the process group) and the test reads the line, the exit status and the rows."""

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from experiments.storage import atomic, records
from experiments.sweep import budget
from experiments.training import memory

ROOT = Path(__file__).resolve().parents[1]
# 4 configurations x 2 replicates, 2 networks per block: 4 blocks, 4 runs files
GRID = ["init=zeros,glorot", "lr=0.1,1", "replicates=2", "epochs=2", "dataset.n_samples=64",
        "hydra.launcher.progress=false"]
BLOCKS = "hydra.launcher.block_networks=2"
VOLATILE = ["duration_s", "sweep"]  # differ between two runs of the same sweep by design
ENOSPC = os.strerror(errno.ENOSPC)

# run.py with the disk full at the FULL_NTH-th write whose path contains FULL_AT: the file's
# bytes are written to its temporary name, then the write fails as a full disk fails it.
# FULL_AT=hydra fails Hydra's own job files (.hydra/*.yaml), which Hydra writes itself.
# SIGINT_AFTER=n sends SIGINT to the whole process group after the n-th runs file, as a
# terminal does on Ctrl-C, while the training process trains the next block; SIGTERM_AFTER=n
# sends SIGTERM to the sweep's process alone, as `kill PID` does.
WRAPPER = """
import errno, os, runpy, signal, sys
from experiments.storage import atomic

at, nth, seen = os.environ.get("FULL_AT"), int(os.environ.get("FULL_NTH", "1")), [0]
interrupt_after = int(os.environ.get("SIGINT_AFTER", "0"))
terminate_after = int(os.environ.get("SIGTERM_AFTER", "0"))
real_write, runs_written = atomic.write_atomic, [0]

def write_atomic(path, fill):
    if at and at in str(path):
        seen[0] += 1
        if seen[0] >= nth:
            def full(tmp):
                fill(tmp)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
            return real_write(path, full)
    out = real_write(path, fill)
    if "/runs/" in str(path):
        runs_written[0] += 1
        if runs_written[0] == interrupt_after:
            os.killpg(os.getpgrp(), signal.SIGINT)
        if runs_written[0] == terminate_after:
            os.kill(os.getpid(), signal.SIGTERM)
    return out

atomic.write_atomic = write_atomic
if at == "hydra":
    import hydra.core.utils as hydra_utils

    def save_config(cfg, filename, output_dir):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(output_dir / filename))

    hydra_utils._save_config = save_config
sys.argv = ["run.py", *sys.argv[1:]]
runpy.run_path("run.py", run_name="__main__")
"""


def sweep(out, *args, env=None, wrapped=False):
    """`python run.py -m GRID args hydra.sweep.dir=out` (through WRAPPER if `wrapped`)."""
    program = ["-c", WRAPPER] if wrapped else ["run.py"]
    return subprocess.run([sys.executable, *program, "-m", *GRID, *args,
                           f"hydra.sweep.dir={out}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, **(env or {})},
                          start_new_session=True)


def rows(out):
    frame = pd.concat(pd.read_parquet(p) for p in sorted(Path(out, "runs").glob("*.parquet")))
    return frame.sort_values(["config_id", "replicate"], ignore_index=True).drop(
        columns=VOLATILE)


def lines(proc):
    """stderr's lines that are not Hydra's log lines (which start with a time stamp)."""
    return [line for line in proc.stderr.splitlines() if not line.startswith("[20")]


def leftovers(out):
    """Temporary files: none may outlive a failed write."""
    return sorted(str(p) for p in Path(out).rglob(".*.tmp"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The rows of the sweep run without any fault."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    proc = sweep(out, BLOCKS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return rows(out)


# -----------------------------------------------------------------------------
# a full disk


@pytest.mark.parametrize("where, nth, kept", [("/runs/", 3, 2), ("/history/", 2, 1)])
def test_a_full_disk_while_rows_are_written_keeps_every_finished_block_and_resumes(
        tmp_path, reference, where, nth, kept):
    """The runs file of the third block; the history file of the second (written first: a
    block without its runs file is trained again). Exactly the blocks before are kept."""
    out = tmp_path / "sweep"
    proc = sweep(out, BLOCKS, wrapped=True, env={"FULL_AT": where, "FULL_NTH": str(nth)})
    assert proc.returncode == 1, proc.stderr[-3000:]
    (line,) = lines(proc)
    assert re.fullmatch(
        re.escape(f"collapse-lab: could not write {out / where.strip('/')}/") + r"[0-9a-f]{12}"
        + re.escape(f".parquet: {ENOSPC}; {2 * kept} networks are stored in {out / 'runs'} "
                    f"and kept: free space, then run the same command with "
                    f"hydra.sweep.dir={out} to train the rest"), line), line
    assert "Traceback" not in proc.stderr
    assert len(list((out / "runs").glob("*.parquet"))) == kept
    assert leftovers(out) == [] and not (out / "report.html").exists()
    # the rerun after space is freed: test_a_real_full_disk_...


def tmpfs(folder, size):
    """Mount a tmpfs of `size` at `folder`; False where the tests may not (not root, or a
    container without the right to mount)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def test_a_real_full_disk_keeps_every_finished_block_and_the_rerun_resumes(tmp_path,
                                                                          reference):
    """The issue's reproduction: the sweep folder on an 80 kB tmpfs, then more space. Where
    the tests cannot mount one, the third runs file fails as a full disk fails it (WRAPPER)
    and the rerun runs without the fault."""
    disk = tmp_path / "disk"
    mounted = tmpfs(disk, "80k")
    out = disk / "sweep"
    try:
        proc = sweep(out, BLOCKS, wrapped=not mounted, env={"FULL_AT": "/runs/",
                                                             "FULL_NTH": "3"})
        assert proc.returncode == 1, proc.stderr[-3000:]
        (line,) = lines(proc)
        found = re.fullmatch(
            re.escape(f"collapse-lab: could not write {out}/") + r"(runs|history)/[0-9a-f]{12}"
            + re.escape(f".parquet: {ENOSPC}; ") + r"(\d) networks are stored in "
            + re.escape(f"{out / 'runs'} and kept: free space, then run the same command "
                        f"with hydra.sweep.dir={out} to train the rest"), line)
        assert found, line
        kept = len(list((out / "runs").glob("*.parquet")))
        assert 1 <= kept < 4 and int(found.group(2)) == 2 * kept
        assert leftovers(out) == [] and not (out / "report.html").exists()
        if mounted:  # space freed
            subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
        again = sweep(out, BLOCKS)
        assert again.returncode == 0, again.stderr[-3000:]
        resumed = f"resume: {2 * kept} networks already stored, {8 - 2 * kept} to train"
        assert resumed in again.stdout + again.stderr
        pd.testing.assert_frame_equal(rows(out), reference)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.mark.parametrize("where", ["multirun.yaml", "hydra"])
def test_a_full_disk_at_the_sweeps_own_files_is_one_line_and_exit_1(tmp_path, where):
    """multirun.yaml (the sweeper; sweep.json goes the same way, see below), and Hydra's own
    job files, which the Keras path writes for every job (hydra.launcher.engine=keras)."""
    out = tmp_path / "sweep"
    extra = ["hydra.launcher.engine=keras"] if where == "hydra" else []
    proc = sweep(out, *extra, wrapped=True, env={"FULL_AT": where})
    assert proc.returncode == 1, proc.stderr[-3000:]
    (line,) = lines(proc)
    target = out / "jobs" / "0" / ".hydra" / "config.yaml" if where == "hydra" else out / where
    assert line.startswith(f"collapse-lab: could not write {target}: {ENOSPC}; 0 networks "
                           f"are stored in {out / 'runs'} and kept: free space, then run")
    assert leftovers(out) == [] and not (out / "runs").exists()


def test_a_full_disk_at_sweep_json_leaves_no_file(tmp_path, monkeypatch):
    from experiments.storage import store

    full_at(monkeypatch, "sweep.json")
    with pytest.raises(atomic.WriteError, match=f"could not write .*sweep.json: {ENOSPC}"):
        store.prepare_folder(tmp_path, ["init=zeros"], fresh=False)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_at_the_report_exits_1_and_the_report_can_be_written_again(tmp_path):
    out = tmp_path / "sweep"
    proc = sweep(out, wrapped=True, env={"FULL_AT": "report.html"})
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert lines(proc) == [
        f"collapse-lab: the report could not be written (could not write "
        f"{out / 'report.html'}: {ENOSPC}); the rows are safe (8 networks are stored in "
        f"{out / 'runs'}): python -m analysis.report {out} writes the report again"]
    assert not (out / "report.html").exists() and leftovers(out) == []
    from analysis import report

    assert report.main([str(out)]) == 0  # what the line says to run
    assert "<img" in (out / "report.html").read_text()


@pytest.fixture(scope="module")
def claims_sweep(tmp_path_factory):
    """A claims sweep's folder (runs, history, multirun.yaml) with its report written."""
    from analysis.report import write_report
    from tests.test_claims import write_claims_sweep

    folder = write_claims_sweep(tmp_path_factory.mktemp("claims") / "claims")
    write_report(folder)
    return folder


@pytest.fixture
def claims_folder(claims_sweep, tmp_path):
    """A copy of claims_sweep, with its report, figures and claims.csv."""
    return Path(shutil.copytree(claims_sweep, tmp_path / "claims"))


def full_at(monkeypatch, where):
    """Make the write of every path containing `where` fail as a full disk does, after its
    bytes reached the temporary file."""
    real = atomic.write_atomic

    def write_atomic(path, fill):
        if where not in str(path):
            return real(path, fill)

        def full(tmp):
            fill(tmp)
            assert Path(tmp).stat().st_size > 0
            raise OSError(errno.ENOSPC, ENOSPC, str(tmp))

        return real(path, full)

    monkeypatch.setattr(atomic, "write_atomic", write_atomic)


@pytest.mark.parametrize("where", ["figures/", "claims.csv"])
def test_every_write_of_the_report_is_whole_or_absent(claims_folder, monkeypatch, where):
    """An earlier report, claims.csv and figures stay as they were; no temporary file
    (report.html itself: test_a_full_disk_at_the_report_exits_1_...)."""
    from analysis.report import write_report

    before = {p: p.read_bytes() for p in claims_folder.rglob("*") if p.is_file()}
    full_at(monkeypatch, where)
    with pytest.raises(atomic.WriteError, match=f"could not write .*{where}.*: {ENOSPC}"):
        write_report(claims_folder)
    after = {p: p.read_bytes() for p in claims_folder.rglob("*") if p.is_file()}
    assert leftovers(claims_folder) == []
    changed = [p for p in after if before.get(p) != after[p]]
    assert all(where not in str(p) for p in changed), changed  # the failed file: as it was
    assert set(after) == set(before)


def test_reproduction_csv_is_whole_or_absent(tmp_path, monkeypatch):
    from analysis import reproduction

    rows_out = [dict.fromkeys(reproduction.CSV_COLUMNS, 1.0)]
    reproduction.write_csv(rows_out, tmp_path)
    before = (tmp_path / reproduction.CSV_NAME).read_bytes()
    full_at(monkeypatch, reproduction.CSV_NAME)
    with pytest.raises(atomic.WriteError, match=f"reproduction.csv: {ENOSPC}"):
        reproduction.write_csv(rows_out * 2, tmp_path)
    assert (tmp_path / reproduction.CSV_NAME).read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_report_that_fails_is_exit_1_and_one_line_never_a_warning(
        claims_sweep, claims_folder, monkeypatch, capsys):
    """A figure that cannot render: Hydra would turn the callback's exception into a
    UserWarning and exit 0."""
    from analysis import figures
    from analysis.callback import ReportCallback

    def cannot_render(fig):
        raise ValueError("Image size of 90000x400 pixels is too large")

    monkeypatch.setattr(figures, "png", cannot_render)
    monkeypatch.setattr(figures, "can_fork", lambda: False)
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(claims_folder)}}})
    with pytest.raises(SystemExit) as stopped:
        ReportCallback().on_multirun_end(config)
    assert stopped.value.code == 1
    n = sum(len(pd.read_parquet(p)) for p in (claims_folder / "runs").glob("*.parquet"))
    assert capsys.readouterr().err.splitlines() == [
        "collapse-lab: the report could not be written (ValueError: Image size of 90000x400 "
        f"pixels is too large); the rows are safe ({n} networks are stored in "
        f"{claims_folder / 'runs'}): python -m analysis.report {claims_folder} writes the "
        "report again"]
    for name in ("report.html", "claims.csv"):  # the earlier report, as it was
        assert (claims_folder / name).read_bytes() == (claims_sweep / name).read_bytes()


# -----------------------------------------------------------------------------
# memory


def test_a_memory_budget_that_fits_two_networks_trains_in_four_blocks_with_the_same_rows(
        tmp_path, reference):
    shape = ("binary", 2, 1, 1, 10, 48, 16, 2, 32)  # the grid's networks (48 training rows)
    gb = 0.0002
    assert budget.Budget.of(gb).block_networks(2, 2000) == 2
    assert memory.least_bytes(shape) < budget.Budget.of(gb).total
    out = tmp_path / "sweep"
    proc = sweep(out, f"hydra.launcher.max_memory_gb={gb}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ("memory budget 0.205 MB (hydra.launcher.max_memory_gb=0.0002): blocks of at most "
            "2 networks") in proc.stdout + proc.stderr
    assert len(list((out / "runs").glob("*.parquet"))) == 4  # 2000 per block without it: 1
    pd.testing.assert_frame_equal(rows(out), reference)


@pytest.mark.parametrize("mode", ["sweep", "single run"])
def test_a_network_too_large_for_the_budget_is_refused_by_name_before_anything(tmp_path, mode):
    """The batched engine trains a lone network beside a padding copy (12.3 GB); a single
    run trains it alone with Keras (6.13 GB)."""
    out = tmp_path / "out"
    args = (["-m", "epochs=0", "model.depth=200", "model.width=1000,10",
             f"hydra.sweep.dir={out}"] if mode == "sweep"
            else ["epochs=0", "model.depth=200", "model.width=1000", f"hydra.run.dir={out}"])
    proc = subprocess.run([sys.executable, "run.py", *args, "hydra.launcher.max_memory_gb=4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    need, job = (("12.3", " (job: epochs=0 model.depth=200 model.width=1000)")
                 if mode == "sweep" else ("6.13", ""))
    assert proc.stderr.splitlines() == [
        f"collapse-lab: one network of model.depth=200 model.width=1000 needs about {need} GB "
        "to train, more than the memory budget, 4 GB (hydra.launcher.max_memory_gb=4): make it "
        "smaller, or raise hydra.launcher.max_memory_gb if the machine has the memory"
        f"{job}; nothing was trained"]
    assert not out.exists()


def test_the_default_budget_is_a_share_of_the_available_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 * budget.GB)
    machine = budget.Budget.of(None)
    assert machine.total == 8 * budget.GB and machine.chunk == budget.CHUNK_BYTES
    assert machine.block_networks(20, 2000) == 2000
    assert machine.source == "80% of the memory available"
    small = budget.Budget.of(0.5)  # a small machine: chunks of 256 MB, ~5,500 networks' rows
    assert (small.total, small.chunk) == (budget.GB // 2, budget.GB // 4)
    assert small.block_networks(20, 20000) == (budget.GB // 4) // (2 * (16384 + 21 * 8 * 256))
    monkeypatch.undo()
    meminfo = Path("/proc/meminfo").read_text()
    available = int(re.search(r"MemAvailable:\s+(\d+) kB", meminfo).group(1)) * 1024
    assert 0 < memory.available_bytes() <= available


# -----------------------------------------------------------------------------
# Ctrl-C and SIGTERM


def group_members(pgid):
    """Processes still in a process group (a training process left behind would be one)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_ctrl_c_keeps_finished_blocks_exits_130_leaves_no_process_and_resumes(tmp_path,
                                                                             reference):
    out = tmp_path / "sweep"
    program = [sys.executable, "-c", WRAPPER, "-m", *GRID, BLOCKS, f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen(program, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            env={**os.environ, "SIGINT_AFTER": "2"})
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 130, stderr[-3000:]
    assert group_members(proc.pid) == []
    assert [line for line in stderr.splitlines() if not line.startswith("[20")] == [
        f"collapse-lab: interrupted; 4 networks are stored in {out / 'runs'} and kept: run the "
        f"same command with hydra.sweep.dir={out} to train the rest"]
    assert len(list((out / "runs").glob("*.parquet"))) == 2 and leftovers(out) == []
    again = sweep(out, BLOCKS)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resume: 4 networks already stored, 4 to train" in again.stdout + again.stderr
    pd.testing.assert_frame_equal(rows(out), reference)


def test_sigterm_stops_the_sweep_like_ctrl_c_with_exit_143(tmp_path):
    """`kill PID` (or a batch scheduler) to the sweep's process alone: it stops its training
    process itself."""
    out = tmp_path / "sweep"
    program = [sys.executable, "-c", WRAPPER, "-m", *GRID, BLOCKS, f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen(program, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            env={**os.environ, "SIGTERM_AFTER": "1"})
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 143, stderr[-3000:]
    assert group_members(proc.pid) == []
    assert [line for line in stderr.splitlines() if not line.startswith("[20")] == [
        f"collapse-lab: terminated; 2 networks are stored in {out / 'runs'} and kept: run the "
        f"same command with hydra.sweep.dir={out} to train the rest"]
    assert len(list((out / "runs").glob("*.parquet"))) == 1 and leftovers(out) == []


# -----------------------------------------------------------------------------
# the benchmarks and the doctor


def test_records_survive_a_full_disk_and_a_torn_line(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    records.append(path, {"id": 1})
    real_write = os.write

    def full(fd, data):
        real_write(fd, bytes(data)[:5])  # part of the line reaches the file
        raise OSError(errno.ENOSPC, ENOSPC)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(atomic.WriteError, match=f"could not write {path}: {ENOSPC}"):
        records.append(path, {"id": 2, "text": "a longer record"})
    monkeypatch.undo()
    assert path.read_text() == '{"id": 1}\n'  # cut back to the last whole line
    with path.open("a") as out:
        out.write('{"id": 3, "te')  # what a kill -9 during a write leaves
    with pytest.warns(UserWarning, match="the last line was cut short"):
        assert records.read(path) == [{"id": 1}]


def test_an_interrupted_benchmark_resumes_from_what_it_finished(tmp_path, monkeypatch,
                                                                capsys):
    from benchmarks import fault_benchmark as bench
    from experiments import faults

    monkeypatch.setattr(bench, "RECORDS", tmp_path / "records.jsonl")
    all_jobs = bench.jobs()[:5]
    monkeypatch.setattr(bench, "jobs", lambda: all_jobs)
    calls = []

    def record(job):  # Ctrl-C while the fourth network trains
        calls.append(job[0])
        if len(calls) == 4:
            raise KeyboardInterrupt
        return {"id": job[0]}

    monkeypatch.setattr(bench, "record", record)
    status = faults.resumable(lambda: bench.train_missing(), "fault_benchmark",
                              lambda: bench.RECORDS)
    assert status == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"fault_benchmark: interrupted; 3 finished records kept in {bench.RECORDS}: run the "
        "same command again to go on from there")
    assert bench.train_missing() == 2  # the rerun trains only the other two
    assert [r["id"] for r in records.read(bench.RECORDS)] == [j[0] for j in all_jobs]
    assert calls == [j[0] for j in all_jobs[:4]] + [j[0] for j in all_jobs[3:]]


def test_the_doctor_interrupted_or_on_a_full_disk_is_one_line(tmp_path, monkeypatch, capsys):
    import keras
    import numpy as np

    from experiments.doctor import cli

    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.save(tmp_path / "m.keras")
    args = [str(tmp_path / "m.keras"), "--data", str(tmp_path / "data.npz")]

    from experiments.doctor import fixes

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(fixes, "try_fixes", interrupted)
    assert cli.main([*args, "--try-fixes", "--json", str(tmp_path / "d.json")]) == 130
    assert capsys.readouterr().err.splitlines() == [
        "collapse-doctor: interrupted while trying fixes; nothing was written"]
    assert not (tmp_path / "d.json").exists()
    full_at(monkeypatch, "d.html")
    assert cli.main([*args, "--json", str(tmp_path / "d.json"),
                     "--html", str(tmp_path / "d.html")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"collapse-doctor: error: could not write {tmp_path / 'd.html'}: {ENOSPC}; nothing was "
        "written under that name"]
    assert (tmp_path / "d.json").exists() and not (tmp_path / "d.html").exists()
    assert leftovers(tmp_path) == []
