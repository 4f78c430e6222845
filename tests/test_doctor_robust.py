"""The doctor never crashes: every output layer x loss x label form is diagnosed or refused
with one line (DoctorInputError), on Dense, Conv, BatchNorm, recurrent and nested models."""

import itertools

import keras
import numpy as np
import pytest

from experiments.doctor import diagnose
from experiments.doctor.evidence import DoctorInputError

N = 48
UNITS = (1, 2, 4)
ACTIVATIONS = ("sigmoid", "softmax", "linear", "relu", "tanh")
LOSSES = [(name, logits) for name in ("binary_crossentropy", "categorical_crossentropy",
                                      "sparse_categorical_crossentropy")
          for logits in (False, True)] + [(name, False) for name in (
              "mean_squared_error", "mean_absolute_error", "hinge")] + [(None, False)]
LABELS = ("flat", "column", "one_hot", "floats")


def labels(form, units, rng):
    classes = max(units, 2)
    y = np.arange(N) % classes
    if form == "flat":
        return y
    if form == "column":
        return y.reshape(-1, 1)
    if form == "one_hot":
        return np.eye(classes)[y]
    return rng.normal(5.0, 10.0, size=N)


def dense_model(units, activation, loss, logits):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(units, activation=activation)])
    if loss is not None:
        fn = keras.losses.get({"class_name": "".join(p.title() for p in loss.split("_")).replace(
            "Crossentropy", "Crossentropy"), "config": {"from_logits": logits}}) if logits else loss
        model.compile(optimizer="adam", loss=fn)
    return model


@pytest.mark.parametrize("units", UNITS)
def test_every_head_loss_and_label_form_is_diagnosed_or_refused(units):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 3)).astype("float32")
    outcomes = {"diagnosed": 0, "refused": 0}
    for activation, (loss, logits), form in itertools.product(ACTIVATIONS, LOSSES, LABELS):
        keras.utils.set_random_seed(0)
        model = dense_model(units, activation, loss, logits)
        y = labels(form, units, rng)
        case = (units, activation, loss, logits, form)
        try:
            report = diagnose(model, x, y)
        except DoctorInputError as exc:
            message = str(exc)
            assert "\n" not in message and message, case
            outcomes["refused"] += 1
            continue
        assert report["kind"] in ("output", "decision", "diverged", "none"), case
        assert isinstance(report["summary"], str) and report["summary"], case
        outcomes["diagnosed"] += 1
    total = len(ACTIVATIONS) * len(LOSSES) * len(LABELS)
    assert sum(outcomes.values()) == total
    # only y columns that match no output are refused: one-hot rows of another width
    assert outcomes["refused"] <= len(ACTIVATIONS) * len(LOSSES), outcomes


def test_softmax_over_one_unit_and_categorical_loss_on_one_unit_are_named():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, 3)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    softmax = dense_model(1, "softmax", "binary_crossentropy", False)
    report = diagnose(softmax, x, y)
    assert report["kind"] == "output"
    assert report["causes"][0]["cause"] == "softmax_single_unit"
    sigmoid_cce = dense_model(1, "sigmoid", "categorical_crossentropy", False)
    causes = [c["cause"] for c in diagnose(sigmoid_cce, x, y)["causes"]]
    assert "loss_output_mismatch" in causes[:1] or diagnose(sigmoid_cce, x, y)["kind"] == "none"


def layered_models():
    """Models of every common layer kind, untrained (the doctor must read each)."""
    img = keras.Input((8, 8, 1))
    inner = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
                              keras.layers.BatchNormalization(), keras.layers.ReLU(),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten()],
                             name="backbone")
    h = inner(img)
    a, b = keras.layers.Dense(6, activation="relu")(h), keras.layers.Dense(6)(h)
    merged = keras.layers.Concatenate()([keras.layers.Add()([a, b]), a])
    nested = keras.Model(img, keras.layers.Dense(3, activation="softmax")(merged))
    seq = keras.Input((10, 2))
    recurrent = keras.Model(seq, keras.layers.Dense(1)(keras.layers.Bidirectional(
        keras.layers.LSTM(5))(keras.layers.GRU(4, return_sequences=True)(seq))))
    tokens = keras.Sequential([keras.Input((12,)), keras.layers.Embedding(30, 4),
                               keras.layers.SimpleRNN(5), keras.layers.Dropout(0.3),
                               keras.layers.LayerNormalization(),
                               keras.layers.Dense(1, activation="sigmoid")])
    volume = keras.Sequential([keras.Input((4, 4, 4, 1)), keras.layers.Conv3D(2, 2,
                                                                              activation="relu"),
                               keras.layers.GlobalAveragePooling3D(), keras.layers.Dense(2),
                               keras.layers.Activation("softmax")])
    conv1d = keras.Sequential([keras.Input((10, 2)), keras.layers.Conv1D(3, 3,
                                                                         activation="tanh"),
                               keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1)])
    rng = np.random.default_rng(0)
    return {
        "nested_branches": (nested, rng.normal(size=(N, 8, 8, 1)), np.arange(N) % 3,
                            "sparse_categorical_crossentropy"),
        "recurrent": (recurrent, rng.normal(size=(N, 10, 2)), rng.normal(size=N), "mse"),
        "tokens": (tokens, rng.integers(0, 30, size=(N, 12)), np.arange(N) % 2,
                   "binary_crossentropy"),
        "conv3d": (volume, rng.normal(size=(N, 4, 4, 4, 1)), np.eye(2)[np.arange(N) % 2],
                   "categorical_crossentropy"),
        "conv1d": (conv1d, rng.normal(size=(N, 10, 2)), rng.normal(size=N), None),
    }


@pytest.mark.parametrize("name", ["nested_branches", "recurrent", "tokens", "conv3d",
                                  "conv1d"])
def test_every_common_layer_is_measured(name):
    keras.utils.set_random_seed(0)
    model, x, y, loss = layered_models()[name]
    if loss:
        model.compile(optimizer="adam", loss=loss)
    report = diagnose(model, x.astype("float32"), y)
    net = report["measurements"]
    kinds = set(net["layer_kinds"])
    expected = {"nested_branches": {"conv", "dense"}, "recurrent": {"recurrent"},
                "tokens": {"recurrent"}, "conv3d": {"conv"}, "conv1d": {"conv"}}[name]
    assert expected <= kinds, (name, net["layers"], kinds)
    assert len(net["dead_share"]) == len(net["layers"]) == len(net["identical"])
    assert all(0.0 <= s <= 1.0 for s in net["dead_share"])
    if loss:  # gradients of every trainable kernel (embeddings apart)
        assert net["grad_norms"] and all(g >= 0 for g in net["grad_norms"])
    if name == "nested_branches":
        assert len(net["batchnorm"]) == 1 and net["batch_stats"] is not None
        # the activation of the backbone's linear Conv2D is read after BatchNorm and ReLU
        assert net["layer_activations"][net["layer_kinds"].index("conv")] == "relu"
    if name in ("recurrent", "tokens"):
        gates = {g["cell"] for g in net["gates"]}
        assert gates and all(0.0 <= share <= 1.0 for g in net["gates"]
                             for key, share in g.items() if key not in ("layer", "cell"))


# -----------------------------------------------------------------------------
# the causes real programs hit, on models trained here


def trained(model, x, y, loss, epochs=5, **fit):
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, **fit)
    return model


def mlp(units=1, activation="sigmoid", hidden=16, dropout=None, features=4):
    layers = [keras.Input((features,)), keras.layers.Dense(hidden, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(units, activation=activation)])


def blobs(n=400, seed=0, classes=2):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.normal(size=(n, 4)) + 2.0 * np.eye(4)[y % 4]
    return x.astype("float32"), y


def top(report):
    return [c["cause"] for c in report["causes"]][:3]


def test_non_finite_rows_are_diagnosed_with_their_share():
    x, y = blobs()
    x[::40, 1] = np.nan  # 10 of 400 rows
    keras.utils.set_random_seed(0)
    model = trained(mlp(), x, y, "binary_crossentropy", epochs=2)
    report = diagnose(model, x, y)
    assert report["data"]["non_finite_rows"] == 10
    assert report["data"]["non_finite_share"] == pytest.approx(0.025)
    assert report["kind"] == "diverged" and top(report)[0] == "non_finite_data"
    assert "10 of 400 rows (2.5%)" in report["causes"][0]["evidence"][0]
    assert report["rows_measured"] == 390


def test_raw_regression_targets_and_a_sigmoid_regression_head():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4)).astype("float32")
    y = 5000 + 1000 * (x[:, 0] + 0.5 * x[:, 1])
    keras.utils.set_random_seed(0)
    raw = diagnose(trained(mlp(activation="linear"), x, y, "mse"), x, y)
    assert "unscaled_targets" in top(raw)
    keras.utils.set_random_seed(0)
    sigmoid = diagnose(trained(mlp(activation="sigmoid"), x, y, "mse"), x, y)
    assert sigmoid["kind"] == "output" and top(sigmoid)[0] == "output_range_mismatch"
    assert "a sigmoid output can only give 0..1" in sigmoid["causes"][0]["evidence"][0]


def test_sorted_labels_with_validation_split_are_unshuffled_data():
    from experiments.doctor.diagnosis import rank_causes

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [200, 200, 100])  # class blocks: validation_split=0.2 holds
    x = (rng.normal(size=(500, 4)) + 2.0 * np.eye(4)[y]).astype("float32")  # out class 2
    keras.utils.set_random_seed(0)
    model = trained(mlp(units=3, activation="softmax"), x, y,
                    "sparse_categorical_crossentropy", validation_split=0.2)
    report = diagnose(model, x, y)
    data = report["data"]
    assert data["runs_ratio"] < 0.01  # 3 runs where a shuffled order has ~320
    assert data["tail_classes_unseen"] == pytest.approx(100 / 100)  # the tail is class 2 only
    assert "unshuffled_data" in top(report)
    # the same evidence with the one-class prediction a collapsed copy shows: ranked first
    net = dict(report["measurements"], kind="decision")
    assert rank_causes(report["model"], data, net)[0]["cause"] == "unshuffled_data"


def test_one_class_on_a_one_percent_minority_is_a_decision_collapse():
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.01).astype(int)
    x = rng.normal(size=(2000, 4)).astype("float32") + y[:, None] * 0.3
    keras.utils.set_random_seed(0)
    model = trained(mlp(), x, y, "binary_crossentropy", epochs=3)
    report = diagnose(model, x, y)
    net = report["measurements"]
    assert net["majority_fraction"] >= 0.99 and net["one_class"]
    assert report["kind"] == "decision" and top(report)[0] == "class_imbalance"
    assert "balanced accuracy 0.5" in report["summary"] and "chance 0.5" in report["summary"]


def test_dropout_090_ranks_dropout_too_high():
    x, y = blobs()
    keras.utils.set_random_seed(0)
    model = mlp(dropout=0.9, hidden=4)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    report = diagnose(model, x, y)
    causes = {c["cause"]: c["score"] for c in report["causes"]}
    assert "dropout_too_high" in causes and "90%" not in str(report["causes"])


def test_batchnorm_moving_statistics_that_never_settled():
    rng = np.random.default_rng(0)
    y = np.arange(256) % 2
    x = (rng.normal(size=(256, 4)) + 1.5 * y[:, None] + 40.0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16),
                              keras.layers.BatchNormalization(momentum=0.999),
                              keras.layers.ReLU(), keras.layers.Dense(1, activation="sigmoid")])
    trained(model, x, y, "binary_crossentropy", epochs=2)
    report = diagnose(model, x, y)
    net = report["measurements"]
    assert net["batchnorm"][0]["mean_shift"] > 3
    assert net["batch_stats"]["rel_output_std"] > net["rel_output_std"]
    assert "batchnorm_statistics" in top(report)


# -----------------------------------------------------------------------------
# fixes on a CNN, TensorBoard, notebooks


def test_try_fixes_on_a_cnn_with_softmax_over_one_unit():
    from experiments.doctor import evidence as ev
    from experiments.doctor.fixes import applicable_changes, try_fixes

    rng = np.random.default_rng(0)
    y = np.arange(120) % 2
    x = rng.normal(size=(120, 8, 8, 1)).astype("float32")
    x[y == 1, 2:6, 2:6, 0] += 2.0
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(1, activation="softmax")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    facts = ev.model_facts(model)
    data = ev.data_facts(x, y, facts["task"], facts["output_units"])
    assert {"sigmoid_output", "two_softmax_units"} <= set(applicable_changes(facts, data))
    results, _ = try_fixes(model, x, y, seeds=2, epochs=10,
                           changes=["as_is", "sigmoid_output", "two_softmax_units"])
    by = {r["change"]: r for r in results}
    assert by["as_is"]["collapsed"] == 2
    assert by["sigmoid_output"]["collapsed"] == 0 and by["two_softmax_units"]["collapsed"] == 0


def test_monitor_writes_tensorboard_scalars(tmp_path):
    import tensorflow as tf

    from experiments.doctor import CollapseMonitor

    x, y = blobs(n=128)
    keras.utils.set_random_seed(0)
    model = mlp()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    monitor = CollapseMonitor(x[:64], y[:64], log_dir=tmp_path / "tb")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    events = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert len(events) == 1
    seen = {}
    for record in tf.compat.v1.train.summary_iterator(str(events[0])):
        for value in record.summary.value:
            seen.setdefault(value.tag, []).append(record.step)
    assert seen["collapse/rel_output_std"] == [0, 1, 2]
    assert len(monitor.history) == 3


def test_diagnosis_shows_itself_as_html_in_a_notebook():
    x, y = blobs(n=64)
    keras.utils.set_random_seed(0)
    model = mlp()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    report = diagnose(model, x, y)
    page = report._repr_html_()
    assert page.startswith("<!doctype html>") and "collapse-doctor" in page
    assert __import__("json").loads(__import__("json").dumps(report)) == dict(report)


def test_a_model_with_two_inputs_is_diagnosed_with_a_list_of_arrays():
    rng = np.random.default_rng(0)
    a, b = keras.Input((3,)), keras.Input((2, 2))
    merged = keras.layers.Concatenate()([keras.layers.Dense(4, activation="relu")(a),
                                         keras.layers.Flatten()(b)])
    model = keras.Model([a, b], keras.layers.Dense(1, activation="softmax")(merged))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    xa, xb = rng.normal(size=(N, 3)), rng.normal(size=(N, 2, 2))
    y = np.arange(N) % 2
    report = diagnose(model, [xa, xb], y)
    assert report["data"]["n_features"] == 7
    assert report["causes"][0]["cause"] == "softmax_single_unit"
    with pytest.raises(DoctorInputError, match="x holds 1 array"):
        diagnose(model, xa, y)
