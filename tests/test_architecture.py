"""The architecture record, the Keras builder and probe of every model, and the recurrent
gates recomputed in numpy."""

import numpy as np
import pytest

from experiments import recurrent
from experiments.variants.architecture import (
    architecture,
    check_model_input,
    head_index,
    kernel_shapes,
    output_shapes,
)
from experiments.variants.registry import ConfigError


def test_mlp_record_keeps_the_old_layer_numbers():
    layers = architecture({"name": "mlp", "depth": 2, "width": 5}, "relu", "binary", 2,
                          dropout=0.5)
    assert [(s.kind, s.index) for s in layers] == [
        ("flatten", -1), ("dense", 0), ("dropout", -1), ("dense", 1), ("dropout", -1),
        ("dense", 2)]
    assert [s.follows for s in layers if s.kind == "dropout"] == [0, 1]
    assert layers[-1].head and layers[-1].activation == "sigmoid"
    assert head_index({"name": "mlp", "depth": 2}) == 2


def test_cnn_shapes_follow_same_padding_and_pooling():
    model = {"name": "cnn", "conv_layers": 2, "filters": 4, "kernel_size": 3,
             "pooling": "max", "depth": 1, "width": 7}
    layers = architecture(model, "relu", "multiclass", 10)
    shapes = output_shapes(layers, (8, 8, 1))
    assert shapes == [(8, 8, 4), (4, 4, 4), (4, 4, 4), (2, 2, 4), (16,), (7,), (10,)]
    kernels = kernel_shapes(layers, (8, 8, 1))
    assert kernels == {0: ((3, 3, 1, 4), 9), 1: ((3, 3, 4, 4), 36), 2: ((16, 7), 16),
                       3: ((7, 10), 7)}
    assert head_index(model) == 3
    none = architecture({**model, "pooling": "none"}, "relu", "multiclass", 10)
    assert output_shapes(none, (8, 8, 1))[-3] == (256,)


def test_rnn_record_numbers_embedding_then_cells():
    model = {"name": "rnn", "cell": "gru", "units": 6, "layers": 2, "embedding": 5,
             "depth": 0, "width": 3}
    layers = architecture(model, "relu", "multiclass", 4, vocab=30)
    assert [(s.kind, s.index, s.sequences) for s in layers] == [
        ("embedding", 0, False), ("recurrent", 1, True), ("recurrent", 2, False),
        ("dense", 3, False)]
    assert kernel_shapes(layers, (12,))[1] == ((5, 18), 5)
    assert head_index(model) == 3


@pytest.mark.parametrize("model, kind, message", [
    ({"name": "cnn"}, "table", "model=cnn: not defined on table data; allowed datasets: "
                               "image data"),
    ({"name": "rnn", "embedding": None}, "tokens", "model.embedding=null: token data needs"),
    ({"name": "rnn", "embedding": 8}, "sequence", "model.embedding=8: an Embedding takes"),
    ({"name": "mlp"}, "tokens", "model=mlp: not defined on tokens data"),
])
def test_undefined_combinations_are_refused_in_one_line(model, kind, message):
    with pytest.raises(ConfigError) as error:
        check_model_input(model, kind)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.parametrize("cell, layer", [("lstm", "LSTM"), ("gru", "GRU")])
def test_numpy_gates_reproduce_keras_outputs(cell, layer):
    import keras

    x = np.random.default_rng(0).normal(size=(5, 7, 3)).astype(np.float32)
    keras_layer = getattr(keras.layers, layer)(4, return_sequences=True,
                                              bias_initializer="random_normal")
    expected = np.asarray(keras_layer(x))
    c = keras_layer.cell
    gates, outputs = recurrent.gates(cell, x, c.kernel, c.recurrent_kernel, c.bias,
                                     outputs=True)
    np.testing.assert_allclose(outputs, expected, atol=2e-6)
    assert gates.shape == (5, 7, 3 if cell == "lstm" else 2, 4)
    assert ((gates > 0) & (gates < 1)).all()


def test_unit_kernel_puts_each_units_weights_in_its_column():
    kernel = np.arange(2 * 3 * 2).reshape(2, 6)  # 2 features, 3 blocks, 2 units
    rec = 100 + np.arange(2 * 6).reshape(2, 6)
    out = recurrent.unit_kernel(kernel, rec, 3)
    assert out.shape == (12, 2)
    assert list(out[:, 0]) == [0, 2, 4, 6, 8, 10, 100, 102, 104, 106, 108, 110]


def _image_data(n=48, classes=4):
    from experiments.variants.dataset import Data

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2 * n, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, classes, 2 * n)
    return Data(x[:n], y[:n], x[n:], y[n:], "multiclass", classes, 2 * n)


def _probe(make_cfg, data, *overrides, vocab=0):
    from experiments.training.keras_probe import Probe
    from experiments.variants.model import HEADS, build_model, model_layers

    cfg = make_cfg(*overrides)
    model = build_model(cfg, data.x_train.shape[1:], data.task, data.n_classes, 0, vocab)
    model.compile(optimizer="sgd", loss=HEADS[data.task][1])
    return model, Probe(model, data, 0.01, model_layers(cfg, data.task, data.n_classes,
                                                        vocab)).measure()


def test_constant_cnn_has_identical_channels_and_zero_cnn_is_dead(make_cfg):
    data = _image_data()
    model, constant = _probe(make_cfg, data, "model=cnn", "init=constant", "init.value=0.05")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert constant["identical_units"] == 1.0
    assert constant["channel_similarity"] == pytest.approx(1.0)
    assert constant["saturated_gates"] != constant["saturated_gates"]  # NaN: no gates
    _, zeros = _probe(make_cfg, data, "model=cnn", "init=zeros")
    assert zeros["dead_fraction"] == 1.0 and zeros["dead_layer"] is True
    assert zeros["weight_spread"] == 0.0
    _, glorot = _probe(make_cfg, data, "model=cnn", "init=glorot")
    assert glorot["identical_units"] == 0.0 and 0 < glorot["channel_similarity"] < 1
    assert glorot["jacobian_gain"] != glorot["jacobian_gain"]  # conv then one Dense: NaN


def test_batchnorm_puts_normalization_between_layer_and_activation(make_cfg):
    model, measured = _probe(make_cfg, _image_data(), "model=mlp", "model.batchnorm=true",
                             "model.depth=2", "activation=sigmoid")
    names = [layer.name for layer in model.layers]
    assert names[1:] == ["hidden_0", "batchnorm_0", "activation_0", "hidden_1", "batchnorm_1",
                         "activation_1", "output"]
    assert model.get_layer("hidden_0").activation.__name__ == "linear"
    assert 0 <= measured["input_correlation"] <= 1
    assert measured["jacobian_gain"] > 0  # two Dense hidden layers: defined


def test_recurrent_probe_measures_saturated_gates(make_cfg):
    from experiments.variants.dataset import Data

    rng = np.random.default_rng(1)
    x = rng.integers(0, 20, (64, 10)).astype(np.int32)
    y = rng.integers(0, 3, 64)
    data = Data(x[:32], y[:32], x[32:], y[32:], "multiclass", 3, 64)
    _, gru = _probe(make_cfg, data, "model=rnn", "model.cell=gru", "model.embedding=4",
                    vocab=20)
    assert 0 <= gru["saturated_gates"] < 0.5  # small initial weights: gates near 0.5
    assert gru["dead_relu_fraction"] != gru["dead_relu_fraction"]  # no Dense/Conv hidden
    _, big = _probe(make_cfg, data, "model=rnn", "model.cell=lstm", "model.embedding=4",
                    "init=random_normal_large", vocab=20)
    assert big["saturated_gates"] > gru["saturated_gates"]
