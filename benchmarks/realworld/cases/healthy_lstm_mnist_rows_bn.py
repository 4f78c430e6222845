"""Healthy: the LSTM of the Keras "Working with RNNs" guide reading MNIST images row by row
(LSTM(64), BatchNormalization, a linear Dense(10), sparse categorical cross-entropy with
from_logits=True, SGD).

Source: https://keras.io/guides/working_with_rnns/ ("Using CuDNN kernels when available";
keras-team/keras-io, guides/working_with_rnns.py)
Original code, relevant lines:
    batch_size = 64
    input_dim = 28
    units = 64
    output_size = 10  # labels are from 0 to 9
    lstm_layer = keras.layers.LSTM(units, input_shape=(None, input_dim))
    model = keras.models.Sequential(
        [lstm_layer, keras.layers.BatchNormalization(), keras.layers.Dense(output_size)])
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer="sgd", metrics=["accuracy"])
    model.fit(x_train, y_train, validation_data=(x_test, y_test), batch_size=batch_size, epochs=1)
Port: MNIST replaced by offline_data.mnist_like(1000) (28 rows of 28 pixels, / 255 as the
original); 1 epoch of 60,000 images (~940 steps) replaced by 20 epochs of 1,000 at batch 32
(~630 steps).
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_lstm_mnist_rows_bn",
    "source": "https://keras.io/guides/working_with_rnns/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("LSTM", "BatchNormalization", "Dense"),
}


def build(seed):
    """Row-by-row LSTM digit classifier with BatchNormalization and a logits output."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.mnist_like(1000, seed=seed)
    x = x.astype("float32") / 255.0
    model = keras.models.Sequential([
        keras.Input(shape=(None, 28)),
        keras.layers.LSTM(64),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(10),
    ])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer="sgd", metrics=["accuracy"])
    return model, x, y, {"batch_size": 32, "epochs": 20}
