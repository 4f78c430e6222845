"""Healthy: a toy-sized version of keras.io "3D image classification from CT scans" (Conv3D ->
MaxPool3D -> BatchNormalization blocks, GlobalAveragePooling3D, Dense, Dropout(0.3), one
sigmoid unit, binary cross-entropy, Adam), on tiny generated volumes.

Source: https://keras.io/examples/vision/3D_image_classification/ (keras-team/keras-io,
examples/vision/3D_image_classification.py)
Original code, relevant lines:
    def normalize(volume):
        min = -1000
        max = 400
        volume[volume < min] = min
        volume[volume > max] = max
        volume = (volume - min) / (max - min)
    x = layers.Conv3D(filters=64, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)
    ... (Conv3D 64, 128, 256 blocks the same)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(units=1, activation="sigmoid")(x)
    initial_learning_rate = 0.0001
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=lr_schedule), ...)
    model.fit(train_dataset, validation_data=validation_dataset, epochs=100, ...)  # batch_size = 2
Port: the MosMedData CT volumes (128x128x64) replaced by generated 16x16x16 volumes in
Hounsfield-like units (lung background ~ -800 HU with small bright vessels; class 1 also has
a dense ~40 HU ball, a "lesion", at a random place), normalized with the original's
normalize(); 4 blocks 64/64/128/256 -> 2 blocks 8/16, Dense 512 -> 32; initial learning rate
1e-4 -> 1e-3 (the decay over 100000 steps is negligible here and dropped) and 100 epochs -> 15,
batch 2 -> 8, for a run of a few seconds. (At 10 epochs of batch 16, ~380 steps, training
accuracy was 1.0 but inference-mode outputs were near chance: BatchNormalization's moving
variance, momentum 0.99, still carried its initial 1.0 against activations of variance
~1e-3; ~900 steps let it settle.)
"""

import keras
import numpy as np
from keras import layers

CASE = {
    "id": "healthy_conv3d_volumes",
    "source": "https://keras.io/examples/vision/3D_image_classification/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Conv3D", "MaxPool3D", "BatchNormalization", "GlobalAveragePooling3D", "Dense",
               "Dropout"),
}


def _volumes(n, size, seed):
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.mgrid[0:size, 0:size, 0:size]
    y = rng.integers(0, 2, n)
    vols = rng.normal(-800, 60, size=(n, size, size, size))
    for i in range(n):
        for _ in range(6):  # vessels: small bright dots in both classes
            cz, cy, cx = rng.integers(0, size, 3)
            vols[i][(zz - cz) ** 2 + (yy - cy) ** 2 + (xx - cx) ** 2 <= 1] = rng.normal(-100, 50)
        if y[i]:
            cz, cy, cx = rng.uniform(4, size - 4, 3)
            r = rng.uniform(2.5, 4.0)
            ball = (zz - cz) ** 2 + (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
            vols[i][ball] = rng.normal(40, 30, int(ball.sum()))
    return vols, y.astype(np.int64)


def _normalize(volume):
    lo, hi = -1000, 400
    volume = np.clip(volume, lo, hi)
    return ((volume - lo) / (hi - lo)).astype("float32")


def build(seed):
    """Two Conv3D blocks with BatchNormalization on tiny CT-like volumes, binary."""
    keras.utils.set_random_seed(seed)
    vols, y = _volumes(600, 16, seed)
    x = _normalize(vols)[..., None]
    inputs = keras.Input((16, 16, 16, 1))
    h = layers.Conv3D(filters=8, kernel_size=3, activation="relu")(inputs)
    h = layers.MaxPool3D(pool_size=2)(h)
    h = layers.BatchNormalization()(h)
    h = layers.Conv3D(filters=16, kernel_size=3, activation="relu")(h)
    h = layers.MaxPool3D(pool_size=2)(h)
    h = layers.BatchNormalization()(h)
    h = layers.GlobalAveragePooling3D()(h)
    h = layers.Dense(units=32, activation="relu")(h)
    h = layers.Dropout(0.3)(h)
    outputs = layers.Dense(units=1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs, name="3dcnn")
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=["acc"])
    return model, x, y, {"batch_size": 8, "epochs": 15}
