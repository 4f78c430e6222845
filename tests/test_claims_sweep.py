"""Claims presets end to end in a subprocess: the shrunk seed_claims preset, and a user's own."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.claims import CSV_COLUMNS, VERDICTS

ROOT = Path(__file__).resolve().parents[1]


def run_sweep(*args, timeout=900):
    return subprocess.run([sys.executable, "run.py", "-m", *args, "hydra.launcher.progress=false"],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_shrunk_seed_claims_sweep_reports_a_verdict_for_every_claim(tmp_path):
    out = tmp_path / "claims"
    proc = run_sweep("experiment=seed_claims", "replicates=2", "epochs=2",
                     f"hydra.sweep.dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    preset = yaml.safe_load((ROOT / "conf/experiment/seed_claims.yaml").read_text())["claims"]
    runs = pd.concat(pd.read_parquet(p) for p in (out / "runs").glob("*.parquet"))
    gridded = {c["id"] for c in preset if c.get("grid")}
    assert set(runs["claim"].dropna()) == gridded
    # replicates=2 from the command line, unless a claim's grid sets its own
    own = {c["id"]: g["replicates"][0] for c in preset if c.get("grid")
           for g in (c["grid"] if isinstance(c["grid"], list) else [c["grid"]])
           if "replicates" in g}
    sizes = runs.groupby("config_id").agg(n=("replicate", "size"), claim=("claim", "first"))
    assert (sizes["n"] == sizes["claim"].map(own).fillna(2)).all()
    # tiny data trains every size for the same number of steps: 640 / ceil(n / 32) epochs
    tiny = runs[runs["claim"] == "tiny_data"].groupby("n_samples")["epochs"].first()
    assert tiny.to_dict() == {8: 640, 16: 640, 64: 320, 256: 80, 1024: 20}
    assert (runs["eval_samples"] == 1000).all()  # one fixed held-out set size everywhere
    html = (out / "report.html").read_text()
    claims_at = html.index("Claims: what the measurements say")
    assert claims_at < html.index("Which factors cause collapse")  # the claims table first
    verdict_cells = re.findall(r'<span class="verdict">([^<]+)</span>', html)
    assert len(verdict_cells) == len(preset)
    assert set(verdict_cells) <= set(VERDICTS)
    table = pd.read_csv(out / "claims.csv")
    assert list(table.columns) == CSV_COLUMNS
    assert set(table["claim"]) == {c["id"] for c in preset}
    outcomes = table.groupby("claim")["outcome"].first()
    assert outcomes["imbalanced_data"] == "decision_collapsed"
    assert outcomes["zeros_init"] == "collapsed"
    # a dose ladder is one level per dose: 5 imbalance levels against one control
    assert (table["claim"] == "imbalanced_data").sum() == 5


USER_PRESET = """# @package _global_
# A user's own claims in the documented format (old keys only for the first one).
replicates: 30
claims:
  - id: zeros_init
    text: All-zero initialization gives the same output
    grid: {init: [zeros, glorot]}
    cause: {init: zeros}
    control: {init: glorot}
    mechanism: identical_units
    mechanism_direction: higher
  - id: imbalance
    text: A 2% minority class gives the same prediction
    grid: {dataset.imbalance: [0.02, null]}
    cause: {imbalance: 0.02}
    control: {imbalance: null}
    outcome: decision_collapsed
  - id: placebo
    text: 1,000 vs 1,024 training rows at learning rate 10 (should not matter)
    grid: {lr: [10], dataset.n_samples: [1000, 1024]}
    cause: {n_samples: 1000}
    control: {n_samples: 1024}
hydra:
  sweeper:
    grids: ${claims}
"""


@pytest.mark.slow
def test_a_user_preset_gets_verdicts_from_30_pairs(tmp_path):
    conf = tmp_path / "conf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "my_claims.yaml").write_text(USER_PRESET)
    out = tmp_path / "sweep"
    proc = run_sweep("experiment=my_claims", f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
                     f"hydra.sweep.dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(out / "claims.csv").set_index("claim")
    assert table.loc["zeros_init", "n_pairs"] == 30
    assert table.loc["zeros_init", "verdict"] == "supported"  # zeros: every output the same
    assert table.loc["zeros_init", "rate_cause"] == 1.0
    assert table.loc["imbalance", "outcome"] == "decision_collapsed"
    assert table.loc["placebo", "verdict"] not in ("supported", "contradicted")
