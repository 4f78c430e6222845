"""XLA programs kept on disk: found again by an identical process, same numbers, and a damaged
entry costs a compile, never a result."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.training.engine import compile_cache

ROOT = Path(__file__).resolve().parents[1]

# Trains a small grid with the engine in a fresh process; prints each network's numbers.
SCRIPT = """
import json, sys
from hydra import compose, initialize_config_dir
jobs = []
with initialize_config_dir(version_base="1.3", config_dir=sys.argv[1]):
    for activation in ("relu", "tanh"):
        for lr in ("0.01", "1"):
            cfg = compose(config_name="config", overrides=[
                "epochs=3", "dataset.n_samples=96", "batch_size=16",
                f"activation={activation}", f"lr={lr}"])
            jobs += [(cfg, 0), (cfg, 1)]
from experiments.training.engine import train_many
out = [{k: v for k, v in result.items() if isinstance(v, float) and k != "duration_s"}
       for result, _ in train_many(jobs)]
print(json.dumps(out))
"""


def train_in_fresh_process(cache):
    env = {**os.environ, "COLLAPSE_XLA_CACHE": str(cache)}
    env.pop("TF_XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "conf")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def entries(cache):
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in cache.glob("*.pb")}


def test_an_identical_process_loads_the_program_and_gets_the_same_numbers(tmp_path):
    cache = tmp_path / "xla"
    first, _ = train_in_fresh_process(cache)
    written = entries(cache)
    assert len(written) == 1  # one shape, one training program (the probes are not XLA)
    name = next(iter(written))
    assert name.startswith(f"collapse-tf{compile_cache.tensorflow_version()}-"
                           f"{compile_cache.cpu_fingerprint()}__")

    second, _ = train_in_fresh_process(cache)
    assert entries(cache) == written  # loaded, not compiled and written again
    assert second == first
    assert len(first) == 8 and len({row["loss"] for row in first}) == 8

    # a damaged entry (e.g. half written by a process beside this one): compiled again
    path = cache / name
    path.write_bytes(path.read_bytes()[: written[name][1] // 3])
    third, stderr = train_in_fresh_process(cache)
    assert third == first
    assert "the cache was emptied and the program is compiled again" in stderr
    rewritten = entries(cache)
    assert name not in rewritten and len(rewritten) == 1
    assert next(iter(rewritten.values()))[1] > written[name][1] // 2


@pytest.mark.parametrize("value", ["off", "0", "", "none"])
def test_the_cache_can_be_turned_off(value):
    assert compile_cache.cache_dir({"COLLAPSE_XLA_CACHE": value}) is None


def test_where_the_cache_goes():
    assert compile_cache.cache_dir({"COLLAPSE_XLA_CACHE": "/x/y"}) == Path("/x/y")
    assert compile_cache.cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/collapse-lab/xla")
    assert compile_cache.cache_dir({}) == Path.home() / ".cache" / "collapse-lab" / "xla"


def test_prune_removes_the_oldest_files_beyond_the_budget(tmp_path):
    for age, name in enumerate(["new", "mid", "old", "oldest"]):
        path = tmp_path / f"{name}.pb"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1e9 - age * 10, 1e9 - age * 10))
    (tmp_path / "other.txt").write_bytes(b"x" * 1000)  # not an entry: left alone
    compile_cache.prune(tmp_path, max_bytes=250)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mid.pb", "new.pb", "other.txt"]


def test_enable_does_nothing_once_tensorflow_is_loaded(monkeypatch, tmp_path):
    import tensorflow  # noqa: F401

    monkeypatch.setenv("COLLAPSE_XLA_CACHE", str(tmp_path / "xla"))
    monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    assert compile_cache.enable() is None
    assert "TF_XLA_FLAGS" not in os.environ and not (tmp_path / "xla").exists()


def test_the_version_in_the_names_is_tensorflows():
    import tensorflow as tf

    assert compile_cache.tensorflow_version() == tf.__version__


def test_cache_flags_set_by_a_parent_process_give_way_to_this_ones():
    ours = ("--xla_x=1 --tf_xla_persistent_cache_directory=/parent "
            "--tf_xla_persistent_cache_prefix=collapse-tf2-abc")
    assert compile_cache.with_cache(ours, Path("/child"), "collapse-tf2-abc") == (
        "--xla_x=1 --tf_xla_persistent_cache_directory=/child "
        "--tf_xla_persistent_cache_prefix=collapse-tf2-abc")
    assert compile_cache.with_cache(ours, None, "") == "--xla_x=1"  # COLLAPSE_XLA_CACHE=off
    theirs = "--tf_xla_persistent_cache_directory=/mine"
    assert compile_cache.with_cache(theirs, Path("/child"), "collapse-x") == theirs
    assert compile_cache.with_cache("", Path("/c"), "collapse-x") == (
        "--tf_xla_persistent_cache_directory=/c --tf_xla_persistent_cache_prefix=collapse-x")
