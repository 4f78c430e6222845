"""The collapse doctor on models written with plain Keras here, not with the project's code.

Covers the CollapseMonitor callback (warning when collapsed, none when healthy, history), the
collapse-doctor command (JSON contract, HTML, exit status 2 on bad input), --try-fixes on a
zero-initialized model, and AUTOTRAINER's rules and the cause ranking on literal numbers.
"""

import json
import logging
import math
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

from experiments.doctor import CAUSES, CollapseMonitor, autotrainer, cli
from experiments.doctor.diagnosis import KINDS, rank_causes
from experiments.doctor.fixes import try_fixes

LOGGER = "experiments.doctor"


def blobs(n=240, seed=0):
    """Two Gaussian blobs, labels 0/1 alternating: an easy, balanced, standardized task."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return x.astype("float32"), y


def mlp(kernel_initializer="glorot_uniform", optimizer=None, width=8):
    """A user's model: Dense(8, relu) -> Dense(1, sigmoid), plain Keras."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(width, activation="relu", kernel_initializer=kernel_initializer),
        keras.layers.Dense(1, activation="sigmoid", kernel_initializer=kernel_initializer),
    ])
    model.compile(optimizer=optimizer or keras.optimizers.Adam(0.05),
                  loss="binary_crossentropy")
    return model


# -----------------------------------------------------------------------------
# the callback


def test_monitor_warns_once_with_causes_when_collapsed(caplog):
    x, y = blobs()
    model = mlp(kernel_initializer="zeros")
    monitor = CollapseMonitor(x[:128], y[:128])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[monitor])
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "output collapse at initialization" in text
    assert "same_value_init" in text and "Try:" in text
    assert monitor.collapsed_since == 0
    assert monitor.diagnosis[0]["cause"] == "same_value_init"
    # history: epoch 0 (before training) and every epoch, with per-layer measurements
    assert [row["epoch"] for row in monitor.history] == [0, 1, 2, 3]
    last = monitor.history[-1]
    assert last["rel_output_std"] < 1e-12 and last["dead_share"] == [1.0]
    assert last["identical"] == [True] and len(last["grad_norms"]) == 2
    frame = monitor.frame()
    assert list(frame["epoch"]) == [0, 1, 2, 3]
    assert any(c.startswith("dead_share[") for c in frame.columns)


def test_monitor_silent_on_healthy_model(caplog):
    x, y = blobs()
    model = mlp()
    monitor = CollapseMonitor(x[:128], y[:128])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[monitor])
    assert [r for r in caplog.records if r.name == LOGGER] == []
    assert monitor.diagnosis is None and len(monitor.history) == 5
    assert monitor.history[-1]["kind"] == "none"
    assert monitor.history[-1]["rel_output_std"] > 0.5


# -----------------------------------------------------------------------------
# the command


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Data and three trained, saved models: healthy, constant-init, learning rate 50."""
    folder = tmp_path_factory.mktemp("doctor")
    x, y = blobs()
    np.savez(folder / "data.npz", x=x, y=y)
    paths = {}
    for name, model in {
        "healthy": mlp(),
        "constant": mlp(kernel_initializer=keras.initializers.Constant(0.5)),
        "lr_high": mlp(optimizer=keras.optimizers.SGD(learning_rate=50.0)),
    }.items():
        model.fit(x, y, epochs=5, batch_size=32, verbose=0)
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    return folder, paths


def run_cli(args, capsys):
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def doctor_json(saved, name, capsys):
    folder, paths = saved
    code, out, err = run_cli([paths[name], "--data", folder / "data.npz", "--json", "-"], capsys)
    assert code == 0, err
    return json.loads(out)


def check_contract(report):
    assert isinstance(report["collapsed"], bool)
    assert report["kind"] in KINDS
    assert report["collapsed"] == (report["kind"] != "none")
    scores = [c["score"] for c in report["causes"]]
    assert scores == sorted(scores, reverse=True)
    for cause in report["causes"]:
        assert set(cause) >= {"cause", "score", "evidence", "fix"}
        assert cause["cause"] in CAUSES and 0 < cause["score"] <= 1
        assert isinstance(cause["evidence"], list) and cause["fix"]


def test_cli_healthy_model(saved, capsys):
    report = doctor_json(saved, "healthy", capsys)
    check_contract(report)
    assert report["collapsed"] is False and report["kind"] == "none"
    assert all(c["score"] <= 0.5 for c in report["causes"])
    assert report["measurements"]["rel_output_std"] > 0.5
    assert report["model"]["optimizer"] == "adam" and report["data"]["n_rows"] == 240


def test_cli_constant_init_names_same_value_init(saved, capsys):
    report = doctor_json(saved, "constant", capsys)
    check_contract(report)
    top = report["causes"][0]
    assert top["cause"] == "same_value_init"
    assert any("same weights" in e for e in top["evidence"])
    assert any("Constant" in e for e in top["evidence"])
    assert "constant_init" in top["fix"]  # the seed claim that measured it
    assert report["measurements"]["identical"] == [True]


def test_cli_high_learning_rate(saved, capsys):
    report = doctor_json(saved, "lr_high", capsys)
    check_contract(report)
    assert report["collapsed"] is True and report["kind"] in ("output", "diverged")
    assert report["causes"][0]["cause"] == "learning_rate_too_high"
    assert report["causes"][0]["score"] > 0.5
    assert report["model"]["learning_rate"] == 50.0


def test_cli_writes_json_and_html(saved, capsys, tmp_path):
    folder, paths = saved
    out_json, out_html = tmp_path / "d.json", tmp_path / "d.html"
    code, out, _ = run_cli([paths["lr_high"], "--data", folder / "data.npz", "--json", out_json,
                            "--html", out_html], capsys)
    assert code == 0 and out.startswith("collapse-doctor: ")
    report = json.loads(out_json.read_text())
    page = out_html.read_text()
    assert page.startswith("<!doctype html>") and "learning_rate_too_high" in page
    assert report["summary"] in page.replace("&#x27;", "'")


def bad_inputs(folder, paths):
    x, y = blobs()
    np.savez(folder / "no_y.npz", x=x)
    np.savez(folder / "no_x.npz", y=y)
    np.savez(folder / "rows.npz", x=x, y=y[:100])
    np.savez(folder / "features.npz", x=np.c_[x, x], y=y)
    np.savez(folder / "text.npz", x=x, y=np.where(y == 1, "cat", "dog"))
    np.savez(folder / "all_nan.npz", x=np.full_like(x, np.nan), y=y)
    (folder / "garbage.keras").write_bytes(b"not a model")
    with zipfile.ZipFile(folder / "empty.keras", "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a Keras model")
    model, data = paths["healthy"], folder / "data.npz"
    return {
        "missing model": ([folder / "nope.keras", "--data", data], "does not exist"),
        "missing data": ([model, "--data", folder / "nope.npz"], "does not exist"),
        "no y": ([model, "--data", folder / "no_y.npz"], "no array 'y'"),
        "no x": ([model, "--data", folder / "no_x.npz"], "no array 'x'"),
        "rows differ": ([model, "--data", folder / "rows.npz"], "240 rows but y has 100"),
        "features differ": ([model, "--data", folder / "features.npz"], "the model takes"),
        "text labels": ([model, "--data", folder / "text.npz"], "y has dtype <U3"),
        "every row NaN": ([model, "--data", folder / "all_nan.npz"], "every one of the 240"),
        "not a zip": ([folder / "garbage.keras", "--data", data], "cannot load"),
        "not a model": ([folder / "empty.keras", "--data", data], "cannot load"),
    }


def test_cli_bad_input_exits_2_with_one_line(saved, capsys):
    folder, paths = saved
    for case, (args, expected) in bad_inputs(folder, paths).items():
        code, out, err = run_cli(args, capsys)
        assert code == 2, case
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("collapse-doctor: error: "), (case, err)
        assert expected in lines[0], (case, lines[0])
        assert out == "", case


def test_console_script_exits_2(tmp_path):
    bin_dir = __import__("pathlib").Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / "collapse-doctor"), str(tmp_path / "nope.keras"),
                             "--data", str(tmp_path / "nope.npz")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"collapse-doctor: error: data file {tmp_path / 'nope.npz'} does not exist"]


# -----------------------------------------------------------------------------
# fixes tested


def test_try_fixes_reinitialization_removes_zero_init_collapse():
    x, y = blobs()
    model = mlp(kernel_initializer="zeros")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    results, notes = try_fixes(model, x, y, seeds=5, epochs=3,
                               changes=["as_is", "reinitialize"])
    by_change = {r["change"]: r for r in results}
    assert by_change["as_is"]["collapsed"] == 5 and by_change["as_is"]["runs"] == 5
    fixed = by_change["reinitialize"]
    assert fixed["collapsed"] == 0 and fixed["verdict"] == "removes the collapse"
    low, high = fixed["interval"]
    assert low == 0 and high == pytest.approx(1 - 0.025 ** (1 / 5))  # exact 95% for 0/5
    assert notes == []


# -----------------------------------------------------------------------------
# the numpy pass against TensorFlow's


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "selu", "sigmoid", "tanh",
                                        "gelu", "silu", "softplus"])
@pytest.mark.parametrize("head, loss, n_out", [
    ("sigmoid", "binary_crossentropy", 1),
    ("softmax", "sparse_categorical_crossentropy", 3),
    ("linear", "mean_squared_error", 1),
])
def test_numpy_pass_equals_tensorflow(activation, head, loss, n_out):
    """The callback's numpy forward/backward pass gives Keras's activations and gradients."""
    from experiments.doctor import evidence as ev

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.integers(0, n_out, 32) if n_out > 1 else (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation=activation),
                              keras.layers.Dropout(0.5), keras.layers.Dense(4),
                              keras.layers.Activation(activation),
                              keras.layers.Dense(n_out, activation=head)])
    model.compile(optimizer="sgd", loss=loss)
    prober = ev.Prober(model, ev.model_facts(model))
    assert prober.chain is not None
    fast = prober.read(x, y)
    prober.chain = None  # TensorFlow's pass
    slow = prober.read(x, y)
    np.testing.assert_allclose(fast.outputs, slow.outputs, atol=1e-6)
    hidden = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dense)][:2]
    assert [u.name for u in fast.units] == [u.name for u in slow.units] == hidden
    assert [u.activation for u in slow.units] == [activation, activation]
    for a, b in zip(fast.units, slow.units):
        np.testing.assert_allclose(a.values, b.values, rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(a.kernel, b.kernel)
    assert len(fast.grads) == len(slow.grads) == 3
    for (_, a), (_, b) in zip(fast.grads, slow.grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# -----------------------------------------------------------------------------
# rules on literal numbers


def test_autotrainer_gradient_rules():
    features = autotrainer.Features()
    # first kernel 1e-5, last kernel 1: ratio 1e-5 < 1e-3 and first norm < 1e-4 -> vanish
    features.gradients([np.full((2, 1), 1e-5 / math.sqrt(2)), np.ones(1),
                        np.ones((1, 1)), np.ones(1)])
    assert (features.vanish_gradient, features.explode_gradient, features.died_relu) == (1, 0, 0)
    # 8 of 10 entries exactly zero >= 70% -> dying ReLU; ratio 0/1 -> not explode
    features.gradients([np.zeros((2, 3)), np.zeros(1), np.ones((1, 1)), np.r_[0.0, 1.0, 1.0]])
    assert features.died_relu == 1
    features.gradients([np.full((1, 1), 100.0), np.ones(1), np.ones((1, 1)), np.ones(1)])
    assert features.explode_gradient == 1  # ratio 100 > 70
    # not converged (best accuracy < 0.7): dying ReLU wins (the authors' order)
    features.not_converge = True
    assert features.problems() == ["relu"]
    features.nan_loss = True  # explode (priority 2) is found first; relu (2) does not replace it
    assert features.problems() == ["explode"]


def test_autotrainer_history_rules():
    assert autotrainer.max_delta_acc([0.5, 0.52, 0.51, 0.6]) == pytest.approx(0.09)
    assert autotrainer.ol_judge([0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5], 0.03, 0.2)
    assert not autotrainer.ol_judge([0.5, 0.6, 0.7, 0.8, 0.9], 0.03, 0.2)
    features = autotrainer.Features()
    flat = {"loss": [0.69] * 10, "acc": [0.5] * 10, "val_loss": [0.69] * 10,
            "val_acc": [0.5] * 10}
    features.history(flat, total_epochs=20)  # 10 >= 30% of 20: judged
    assert features.not_converge and features.sc_accuracy and not features.unstable_loss
    assert features.problems() == ["not_converge"]


def evidence(**changes):
    """Literal evidence of a healthy-looking one-layer ReLU network, with changes."""
    model = {"learning_rate": 0.01, "optimizer": "sgd", "max_l1": 0.0, "max_l2": 0.0,
             "same_value_init": [], "hidden_activations": ["relu"], "widths": [10],
             "output_activation": "sigmoid", "output_units": 1, "task": "binary",
             "loss": "binary_crossentropy", "from_logits": False, "batchnorm_layers": 0,
             "layers": [{"name": "h", "kind": "Dense", "activation": "relu", "units": 10},
                        {"name": "out", "kind": "Dense", "activation": "sigmoid", "units": 1}]}
    data = {"n_rows": 1000, "input_rms_max": 1.2, "input_scale_ratio": 1.5,
            "duplicate_share": 0.0, "majority_share": 0.5, "label_predictability": 0.9,
            "n_classes": 2, "non_finite_rows": 0, "y_columns": 1, "y_encoding": "labels",
            "runs_ratio": 1.0, "tail_classes_unseen": 0.0, "target_mean": 0.5,
            "target_std": 0.5, "target_min": 0.0, "target_max": 1.0}
    net = {"kind": "output", "layers": ["h"], "layer_activations": ["relu"],
           "dead_share": [0.0], "similarity": [0.4], "identical": [False], "unit_std": [1.0],
           "diverged": False, "max_abs_weight": 2.0, "weight_spread": 0.3,
           "grad_norm_ratio": 1.0, "dead_fraction": 0.0, "loss": 0.6, "baseline_loss": 0.69,
           "output_std": 0.1, "mismatches": [], "mismatch_notes": [], "batch_stats": None,
           "batchnorm": [], "measured_task": "binary"}
    for key, value in changes.items():
        part, name = key.split("__")
        {"model": model, "data": data, "net": net}[part][name] = value
    return model, data, net


@pytest.mark.parametrize("changes, expected", [
    ({"data__input_rms_max": 1000.0, "net__dead_share": [1.0]}, "unscaled_inputs"),
    ({"model__learning_rate": 10.0, "net__dead_share": [1.0]}, "learning_rate_too_high"),
    ({"model__max_l2": 1.0, "net__weight_spread": 1e-5}, "strong_regularization"),
    ({"data__majority_share": 0.98}, "class_imbalance"),
    ({"net__dead_share": [1.0]}, "dead_relu"),
    ({"data__label_predictability": 0.01}, "label_noise"),
    ({"data__n_rows": 12}, "too_little_data"),
    ({"model__learning_rate": 1e-6, "net__loss": 0.69}, "learning_rate_too_low"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_rank_causes_names_the_cause(changes, expected):
    ranked = rank_causes(*evidence(**changes))
    assert ranked[0]["cause"] == expected and ranked[0]["score"] > 0.5


def test_fixes_cite_claims_of_the_seed_claims_preset():
    """Every claim id a fix cites exists in conf/experiment/seed_claims.yaml."""
    from pathlib import Path

    import yaml

    preset = Path(__file__).resolve().parents[1] / "conf" / "experiment" / "seed_claims.yaml"
    ids = {claim["id"] for claim in yaml.safe_load(preset.read_text())["claims"]}
    cited = {claim for cause in CAUSES.values() for claim in cause.claims}
    assert cited <= ids, sorted(cited - ids)


def test_not_collapsed_scores_are_at_most_half():
    ranked = rank_causes(*evidence(net__kind="none", data__input_rms_max=1000.0))
    assert ranked[0]["cause"] == "unscaled_inputs" and ranked[0]["score"] == 0.5
