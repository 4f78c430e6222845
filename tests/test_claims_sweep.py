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


def shrunk_preset(conf_dir):
    """conf_dir/experiment/seed_claims_shrunk.yaml: the preset with 2 networks per grid point
    and 2 epochs wherever a grid sets its own (a grid's values beat the command line's)."""
    text = (ROOT / "conf/experiment/seed_claims.yaml").read_text()
    text = re.sub(r"replicates: \[\d+\]", "replicates: [2]", text)
    text = text.replace("epochs: [200]", "epochs: [2]").replace("epochs: [10]", "epochs: [2]")
    (conf_dir / "experiment").mkdir(parents=True, exist_ok=True)
    (conf_dir / "experiment" / "seed_claims_shrunk.yaml").write_text(text)
    return f"hydra.searchpath=[file://{conf_dir}]"


@pytest.mark.slow
def test_shrunk_seed_claims_sweep_reports_a_verdict_for_every_claim(tmp_path):
    out = tmp_path / "claims"
    proc = run_sweep("experiment=seed_claims_shrunk", shrunk_preset(tmp_path / "conf"),
                     "replicates=2", "epochs=2", f"hydra.sweep.dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    preset = yaml.safe_load((ROOT / "conf/experiment/seed_claims.yaml").read_text())
    claims = preset["claims"]
    assert preset["verdict_rule"] == {"alpha": 0.05, "margin": 0.1, "learn_margin": 0.05}
    runs = pd.concat(pd.read_parquet(p) for p in (out / "runs").glob("*.parquet"))
    gridded = {c["id"] for c in claims if c.get("grid")}
    assert set(runs["claim"].dropna()) == gridded
    assert (runs.groupby("config_id")["replicate"].size() == 2).all()
    # tiny data trains every size for the same number of steps: 640 / ceil(n / 32) epochs
    tiny = runs[runs["claim"] == "tiny_data"].groupby("n_samples")["epochs"].first()
    assert tiny.to_dict() == {8: 640, 16: 640, 64: 320, 256: 80, 1024: 20}
    assert (runs["eval_samples"] == 1000).all()  # one fixed held-out set size everywhere
    # the tuning grid and the A/A placebo train on seeds no other claim uses
    seeds = runs.groupby("claim")["seed"].agg(["min", "max"])
    assert seeds.loc["lr_tuning", "min"] == 20000
    aa = runs[runs["claim"] == "placebo_aa"]
    assert sorted(aa["seed"]) == [0, 1, 5000, 5001]
    tag = runs[runs["claim"] == "placebo_tag"]
    assert sorted(tag["tag"]) == ["a", "a", "b", "b"]
    html = (out / "report.html").read_text()
    claims_at = html.index("Claims: what the measurements say")
    assert claims_at < html.index("Which factors cause collapse")  # the claims first
    assert html.index('alt="forest plot') < html.index('<details class="claim">')
    table = pd.read_csv(out / "claims.csv")
    assert list(table.columns) == CSV_COLUMNS
    tested = {c["id"] for c in claims if c.get("kind") != "tuning"}
    assert set(table["claim"]) == tested
    first = table.groupby("claim").first()
    assert set(first["verdict"]) <= set(VERDICTS)
    assert (first["confirm_verdict"] == "not run").all()
    assert first.loc["constant_init", "outcome"] == "failed"
    assert first.loc["imbalanced_data", "secondary"] == "auroc"
    assert first.loc["weight_spread_diagnostic", "verdict"] == "diagnostic"
    # 3 doses x 2 datasets; the tuned control is named in the report, not in the level
    assert (table["claim"] == "constant_init").sum() == 6
    low = table[table["claim"] == "low_lr"]["level_text"]
    assert len(low) == 8 and low.str.endswith("vs lr tuned").all()


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
    text: A/A at learning rate 3, two disjoint sets of seeds (should not matter)
    grid: {lr: [3], seed_offset: [0, 5000]}
    cause: {seed_offset: 5000}
    control: {seed_offset: 0}
    outcome: failed
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
    # the confirmation: the same preset on fresh seeds, judged beside the exploration
    again = tmp_path / "confirm"
    proc = run_sweep("experiment=my_claims", f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
                     "seed=10000", f"+confirms={out}", f"hydra.sweep.dir={again}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = pd.read_parquet(out / "runs")
    second = pd.read_parquet(again / "runs")
    assert set(first["seed"]).isdisjoint(second["seed"])
    both = pd.read_csv(again / "claims.csv").set_index("claim")
    assert both.loc["zeros_init", "verdict"] == table.loc["zeros_init", "verdict"]
    assert both.loc["zeros_init", "confirm_verdict"] == "supported"
    assert bool(both.loc["zeros_init", "settled"])
    assert both.loc["placebo", "confirm_verdict"] not in ("supported", "contradicted")
    assert "Confirmation: " in (again / "report.html").read_text()
