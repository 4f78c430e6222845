"""Healthy: the convnet of keras.io "Introduction to Keras for engineers": four Conv2D with
one MaxPooling2D, GlobalAveragePooling2D, Dropout(0.5), softmax, integer labels with sparse
categorical cross-entropy.

Source: https://keras.io/guides/intro_to_keras_for_engineers/ (keras-team/keras-io,
guides/intro_to_keras_for_engineers.py)
Original code, relevant lines:
    x_train = x_train.astype("float32") / 255
    keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    keras.layers.MaxPooling2D(pool_size=(2, 2)),
    keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
    keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(num_classes, activation="softmax"),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    model.fit(x_train, y_train, batch_size=128, epochs=20, validation_split=0.15, ...)
Port: MNIST replaced by offline_data.mnist_like(1500) (scaled / 255 as the original); filters
64/64/128/128 reduced to 16/16/32/32, 20 epochs (with early stopping) to 14 and batch 128
to 32 (more steps in the short run), for speed on two CPU cores.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_mnist_convnet_gap",
    "source": "https://keras.io/guides/intro_to_keras_for_engineers/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "GlobalAveragePooling2D", "Dropout", "Dense"),
}


def build(seed):
    """The guide's GAP convnet on MNIST-like digits, integer labels."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.mnist_like(1500, seed=seed)
    x = np.expand_dims(x.astype("float32") / 255, -1)
    model = keras.Sequential([
        keras.layers.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(),
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    return model, x, y, {"batch_size": 32, "epochs": 14, "validation_split": 0.15}
