"""Healthy: the keras.io "Simple MNIST convnet" (two Conv2D + MaxPooling2D, Flatten, Dropout,
softmax), one-hot labels with categorical cross-entropy.

Source: https://keras.io/examples/vision/mnist_convnet/ (keras-team/keras-io,
examples/vision/mnist_convnet.py)
Original code, relevant lines:
    x_train = x_train.astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, num_classes)
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(num_classes, activation="softmax"),
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1)
Port: MNIST replaced by offline_data.mnist_like(1500) (28x28 uint8, scaled / 255 as the
original); 15 epochs reduced to 10.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_mnist_convnet",
    "source": "https://keras.io/examples/vision/mnist_convnet/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"),
}


def build(seed):
    """Simple MNIST convnet on MNIST-like digits, one-hot targets."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.mnist_like(1500, seed=seed)
    x = np.expand_dims(x.astype("float32") / 255, -1)
    y = keras.utils.to_categorical(y, 10)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"batch_size": 128, "epochs": 10, "validation_split": 0.1}
