"""Real multiruns in a subprocess, exactly as a user types them."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def sweep(tmp_path, *overrides):
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", *overrides, f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = pd.concat(pd.read_parquet(p) for p in sorted((out / "runs").glob("*.parquet")))
    return out, runs, proc


@pytest.mark.slow
def test_readme_sweep_trains_exactly_the_grid_and_writes_the_report(tmp_path):
    out, runs, proc = sweep(tmp_path, "init=constant,glorot", "lr=1e-5,10")
    assert len(runs) == 12 and runs["config_id"].nunique() == 4
    assert runs.groupby(["init", "lr"]).size().to_dict() == {
        ("constant", 1e-5): 3, ("constant", 10.0): 3, ("glorot", 1e-5): 3, ("glorot", 10.0): 3
    }
    for name in ("activation", "optimizer", "dataset", "regularization", "depth", "width"):
        assert runs[name].nunique() == 1, name  # nothing else swept
    html = (out / "report.html").read_text()
    assert f"report: {out / 'report.html'}" in proc.stdout
    assert (out / "figures" / "heatmap_init__lr.png").stat().st_size > 1000
    # the init x lr pair's heatmaps (one figure), the factor-importance chart and the
    # threshold curve
    assert html.count('<img src="data:image/png;base64,') == 3
    assert "12 networks in 4 configurations" in html


@pytest.mark.slow
def test_collapse_causes_show_in_the_rows(tmp_path):
    _, runs, _ = sweep(tmp_path, "init=zeros,constant,glorot", "lr=0.1", "replicates=2")
    by_init = runs.set_index(["init", "replicate"])
    assert by_init.loc["zeros", "collapsed"].all()
    assert not by_init.loc["glorot", "collapsed"].any()
    assert (by_init.loc["glorot", "score"] > 0.8).all()
    assert (by_init.loc["constant", "neuron_similarity"] > 0.999).all()
    assert (by_init.loc["glorot", "neuron_similarity"] < 0.9).all()


@pytest.mark.slow
def test_a_bad_value_in_a_sweep_stops_before_any_training(tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", "lr=0.1,-1", f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    assert "collapse-lab: lr=-1: must be a number > 0 (job: lr=-1); nothing was trained" in (
        proc.stderr
    )
    assert not (out / "runs").exists()
