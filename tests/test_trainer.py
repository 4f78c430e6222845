"""The training process: same rows as training in-process, a clear error when it dies, and no
trainer left behind when the sweep's process is killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.sweep.blocks import train_block
from experiments.sweep.config import config_id
from experiments.sweep.trainer import Trainer, TrainerDied
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = ["duration_s", "sweep"]


def block(make_cfg):
    configs = [make_cfg(*TINY, "init=zeros"), make_cfg(*TINY, "lr=0.5")]
    return [(cfg, config_id(cfg), [0, 1]) for cfg in configs]


def rows(out):
    frame = pd.concat(pd.read_parquet(p) for p in sorted(Path(out, "runs").glob("*.parquet")))
    return frame.sort_values(["config_id", "replicate"], ignore_index=True).drop(
        columns=VOLATILE)


def test_the_training_process_writes_the_rows_of_training_in_process(make_cfg, tmp_path):
    jobs = block(make_cfg)
    here = train_block(jobs, tmp_path / "here")
    trainer, seen = Trainer(), []
    try:
        there = trainer.train_block(jobs, tmp_path / "there", progress=seen.append)
        # the datasets came with the block and the rows were written here: the training
        # process loaded none of scikit-learn, matplotlib, pandas or pyarrow
        with open(f"/proc/{trainer._process.pid}/maps") as f:
            libraries = f.read()
        assert "/tensorflow/" in libraries
        for unused in ("sklearn", "matplotlib", "pandas", "pyarrow"):
            assert f"/{unused}/" not in libraries, unused
    finally:
        trainer.close()
    assert there == here and set(there) == {cid for _, cid, _ in jobs}
    assert sum(seen) == 4  # every network reported once
    pd.testing.assert_frame_equal(rows(tmp_path / "there"), rows(tmp_path / "here"))


def test_a_killed_training_process_is_a_clear_error(make_cfg, tmp_path):
    trainer = Trainer()
    trainer._process.kill()
    with pytest.raises(TrainerDied, match="exit code -9.*blocks written so far are kept"):
        trainer.train_block(block(make_cfg), tmp_path)
    trainer.close()


def test_the_training_process_ends_with_a_killed_parent(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from experiments.sweep.trainer import Trainer\n"
         "t = Trainer(); print(t._process.pid, flush=True); time.sleep(600)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False
