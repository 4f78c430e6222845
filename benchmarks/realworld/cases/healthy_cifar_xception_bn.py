"""Healthy: a miniature of keras.io "Image classification from scratch" (Rescaling(1/255) in
the model, Conv2D + BatchNormalization + Activation("relu"), SeparableConv2D blocks with
projected residuals joined by add, GlobalAveragePooling2D, Dropout, one sigmoid unit for two
classes with binary cross-entropy).

Source: https://keras.io/examples/vision/image_classification_from_scratch/
(keras-team/keras-io, examples/vision/image_classification_from_scratch.py)
Original code, relevant lines:
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for size in [128, 256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        ...
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(units, activation=activation)(x)   # 1 unit, sigmoid for 2 classes
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", ...)
Port: the cats-vs-dogs photos (180x180) replaced by offline_data.cifar_like(800, classes=2)
(32x32x3 uint8, raw; the model's own Rescaling layer scales them, as in the original); the
block sizes [128, 256, 512, 728] and the 1024-filter head reduced to [32, 64] and 64, the
entry convs 32/64 to 16/32, no data augmentation; 25 epochs reduced to 5, batch 32.
BatchNormalization momentum 0.99 set to 0.9 (PyTorch's default) so that the moving
statistics settle within this short run's ~100 steps: with 0.99 and ~250 steps the
training-mode accuracy was 1.0 but the inference-mode outputs put every image in one class
(moving statistics still near their initial 0/1).
"""

import keras
from keras import layers

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_cifar_xception_bn",
    "source": "https://keras.io/examples/vision/image_classification_from_scratch/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Rescaling", "Conv2D", "BatchNormalization", "Activation", "SeparableConv2D",
               "MaxPooling2D", "Add", "GlobalAveragePooling2D", "Dropout", "Dense"),
}


def build(seed):
    """Mini Xception-style network on two-class CIFAR-like images."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.cifar_like(800, seed=seed, classes=2)
    inputs = keras.Input(shape=(32, 32, 3))
    h = layers.Rescaling(1.0 / 255)(inputs)
    h = layers.Conv2D(16, 3, strides=2, padding="same")(h)
    h = layers.BatchNormalization(momentum=0.9)(h)
    h = layers.Activation("relu")(h)
    h = layers.Conv2D(32, 3, padding="same")(h)
    h = layers.BatchNormalization(momentum=0.9)(h)
    h = layers.Activation("relu")(h)
    previous = h
    for size in [32, 64]:
        h = layers.Activation("relu")(h)
        h = layers.SeparableConv2D(size, 3, padding="same")(h)
        h = layers.BatchNormalization(momentum=0.9)(h)
        h = layers.Activation("relu")(h)
        h = layers.SeparableConv2D(size, 3, padding="same")(h)
        h = layers.BatchNormalization(momentum=0.9)(h)
        h = layers.MaxPooling2D(3, strides=2, padding="same")(h)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous)
        h = layers.add([h, residual])
        previous = h
    h = layers.SeparableConv2D(64, 3, padding="same")(h)
    h = layers.BatchNormalization(momentum=0.9)(h)
    h = layers.Activation("relu")(h)
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dropout(0.5)(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 5, "batch_size": 32}
