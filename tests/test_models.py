"""The new models and datasets from the command line, as a user sweeps them: rows, report and
heatmaps for a CNN on images and a recurrent network on a forecast and on tokens."""

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.training.keras import train_keras
from experiments.variants.optimizer import make_optimizer

ROOT = Path(__file__).resolve().parents[1]


def sweep(tmp_path, *overrides):
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [sys.executable, "run.py", "-m", *overrides, f"hydra.sweep.dir={out}",
         "hydra.launcher.progress=false"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = pd.concat(pd.read_parquet(p) for p in sorted((out / "runs").glob("*.parquet")))
    return out, runs, proc


@pytest.mark.slow
def test_cnn_sweep_on_images_writes_rows_report_and_heatmaps(tmp_path):
    out, runs, _ = sweep(tmp_path, "model=cnn", "dataset=digits_images",
                         "init=zeros,glorot,he_normal", "lr=0.05,0.5", "replicates=2",
                         "epochs=2", "dataset.n_samples=200")
    assert len(runs) == 12 and set(runs["model"]) == {"cnn"}
    assert set(runs["conv_layers"]) == {2} and set(runs["pooling"]) == {"max"}
    by_init = runs.set_index("init")
    zeros, glorot = by_init.loc["zeros"], by_init.loc["glorot"]
    assert zeros["dead_fraction"].eq(1.0).all() and zeros["decision_collapsed"].all()
    assert glorot["channel_similarity"].between(0, 0.99).all()
    assert runs["saturated_gates"].isna().all()  # no recurrent layer
    html = (out / "report.html").read_text()
    assert "12 networks in 6 configurations" in html
    assert (out / "figures" / "heatmap_init__lr.png").stat().st_size > 1000


@pytest.mark.slow
def test_recurrent_forecaster_sweep_shows_the_baselines(tmp_path):
    out, runs, _ = sweep(tmp_path, "model=rnn", "model.cell=lstm,gru", "dataset=sine_forecast",
                         "optimizer=adam", "replicates=2", "epochs=3",
                         "dataset.n_samples=128")
    assert len(runs) == 4 and set(runs["cell"]) == {"lstm", "gru"}
    assert set(runs["engine"]) == {"keras"}  # recurrent layers train on the Keras path
    assert runs["persistence_score"].between(0.3, 1.0).all()
    assert runs["saturated_gates"].between(0, 1).all()
    html = (out / "report.html").read_text()
    assert 'id="baselines"' in html and "persistence R²" in html


def test_clipnorm_clips_each_gradient_as_keras_does():
    import keras
    import numpy as np

    optimizer = make_optimizer({"name": "sgd", "clipnorm": 1.0}, 0.1)
    weights = keras.Variable(np.zeros(3, np.float32))
    optimizer.apply_gradients([(np.array([3.0, 4.0, 0.0], np.float32), weights)])
    np.testing.assert_allclose(np.asarray(weights), [-0.06, -0.08, 0.0], rtol=1e-6)


def test_token_classifier_trains_on_the_keras_path(make_cfg):
    cfg = make_cfg("model=rnn", "model.cell=gru", "model.embedding=8", "dataset=tokens",
                   "dataset.n_samples=128", "epochs=2", "optimizer=adam")
    result, history = train_keras(cfg, 0)
    assert result["status"] == "ok" and result["task"] == "multiclass"
    assert 0 <= result["saturated_gates"] <= 1
    assert math.isnan(result["channel_similarity"])
    assert {m for _, m, _ in history} >= {"loss", "rel_output_std", "dead_fraction"}
