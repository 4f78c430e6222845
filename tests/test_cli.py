"""The command line answers quickly and quietly: real processes, their exit status, stderr and
what they leave on disk."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

RUN = str(Path(__file__).resolve().parents[1] / "run.py")
TF_STARTUP = ("WARNING: All log messages before absl::InitializeLog()", "I0000 ", "cuInit",
              "oneDNN custom operations", "cpu_feature_guard")
TF_LOG = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] ")  # absl's prefix


def run(tmp_path, *args, env=None, importtime=False):
    """`python run.py args` with the working directory `tmp_path` (where results would go)."""
    flags = ["-X", "importtime"] if importtime else []
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, *flags, RUN, *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env={**environ, **(env or {})})


def imported(stderr):
    """Top-level package names in a `-X importtime` listing."""
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in stderr.splitlines() if line.startswith("import time:")}


def messages(stderr):
    return [line for line in stderr.splitlines() if not line.startswith("import time:")]


def test_help_answers_without_tensorflow(tmp_path):
    proc = run(tmp_path, "--help", importtime=True)
    assert proc.returncode == 0
    assert "init: " in proc.stdout and "== Config ==" in proc.stdout
    assert "tensorflow" not in imported(proc.stderr) and "keras" not in imported(proc.stderr)
    assert messages(proc.stderr) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, group, value", [
    (["init=foo"], "init", "foo"),
    (["-m", "activation=relu,nope", "lr=0.1"], "activation", "nope"),
    (["experiment=nah"], "experiment", "nah"),
])
def test_an_unknown_option_is_one_line_exit_2_and_nothing_on_disk(tmp_path, args, group, value):
    proc = run(tmp_path, *args, importtime=True)
    assert proc.returncode == 2
    lines = messages(proc.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"collapse-lab: {group}={value!r} is not an option; allowed: ")
    options = sorted(p.stem for p in (Path(RUN).parent / "conf" / group).glob("[!_]*.yaml"))
    assert lines[0].endswith(", ".join(options))
    assert "tensorflow" not in imported(proc.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["lr=-1"], "collapse-lab: lr=-1: must be a number > 0"),
    (["model.width=0", "init=zeros"], "collapse-lab: model.width=0: must be an integer >= 1"),
])
def test_a_refused_single_run_is_one_line_exit_2_and_leaves_nothing(tmp_path, args, message):
    proc = run(tmp_path, *args)
    assert proc.returncode == 2
    assert messages(proc.stderr) == [message]
    assert list(tmp_path.iterdir()) == []  # no results/single/<time>/run.log


def test_a_key_hydra_cannot_set_in_a_sweep_is_one_line(tmp_path):
    proc = run(tmp_path, "-m", "lr=0.1,1", "lr2=3,4", f"hydra.sweep.dir={tmp_path / 's'}")
    assert proc.returncode == 2
    assert messages(proc.stderr) == [
        "collapse-lab: Could not override 'lr2'. To append to your config use +lr2=3 "
        "(job: lr=0.1 lr2=3); nothing was trained"]
    assert list(tmp_path.iterdir()) == []


TINY = ["epochs=1", "dataset.n_samples=64", "replicates=1", "batch_size=32"]


def test_tensorflow_start_up_lines_are_not_shown_unless_asked_for(tmp_path):
    (tmp_path / "quiet").mkdir()
    quiet = run(tmp_path / "quiet", *TINY)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not [line for line in quiet.stderr.splitlines()
                if any(mark in line for mark in TF_STARTUP)], quiet.stderr
    assert "results: " in quiet.stdout
    # sweeps: TensorFlow loads in the training process, which compiles its program into the
    # engine's compile cache the first time and loads it from there the second time
    for name in ("compiles", "loads"):
        (tmp_path / name).mkdir()
        sweep = run(tmp_path / name, "-m", "init=zeros,glorot", *TINY,
                    "hydra.launcher.progress=false",
                    env={"COLLAPSE_XLA_CACHE": str(tmp_path / "cache")})
        assert sweep.returncode == 0, sweep.stderr[-2000:]
        assert "report: " in sweep.stdout
        assert not [line for line in sweep.stderr.splitlines()
                    if any(mark in line for mark in TF_STARTUP) or TF_LOG.match(line)], (
            sweep.stderr)
    assert len(list((tmp_path / "cache").glob("*.pb"))) == 1
    (tmp_path / "loud").mkdir()
    loud = run(tmp_path / "loud", *TINY, env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert loud.returncode == 0
    assert "oneDNN custom operations" in loud.stderr  # what the default keeps off the terminal
