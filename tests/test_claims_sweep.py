"""The seed_claims preset, shrunk, end to end in a subprocess."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = {"supported", "partly supported", "not supported", "contradicted"}


@pytest.mark.slow
def test_shrunk_seed_claims_sweep_reports_a_verdict_for_every_claim(tmp_path):
    out = tmp_path / "claims"
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", "experiment=seed_claims", "replicates=2", "epochs=2",
         "hydra.launcher.progress=false", f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    preset = yaml.safe_load((ROOT / "conf/experiment/seed_claims.yaml").read_text())["claims"]
    runs = pd.concat(pd.read_parquet(p) for p in (out / "runs").glob("*.parquet"))
    gridded = {c["id"] for c in preset if c.get("grid")}
    assert set(runs["claim"].dropna()) == gridded
    assert (runs.groupby("config_id").size() == 2).all()
    html = (out / "report.html").read_text()
    claims_at = html.index("Claims: what the measurements say")
    assert claims_at < html.index("Which factors cause collapse")  # the claims table first
    verdict_cells = re.findall(r'<span class="verdict">([^<]+)</span>', html)
    assert len(verdict_cells) == len(preset)
    assert set(verdict_cells) <= VERDICTS
