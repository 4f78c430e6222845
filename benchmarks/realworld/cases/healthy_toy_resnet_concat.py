"""Healthy: the "toy ResNet" of the Keras functional API guide (two residual blocks joined by
layers.add, GlobalAveragePooling2D, Dropout, a linear Dense(10) with one-hot categorical
cross-entropy from_logits=True), with a GlobalMaxPooling2D branch joined to the head by
layers.concatenate, as the guide's multi-input section joins its branches.

Source: https://keras.io/guides/functional_api/ ("A toy ResNet model"; keras-team/keras-io,
guides/functional_api.py)
Original code, relevant lines:
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    ...
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["acc"])
    model.fit(x_train[:1000], y_train[:1000], batch_size=64, epochs=1, validation_split=0.2)
Port: CIFAR-10 replaced by offline_data.cifar_like(800) (scaled / 255, labels one-hot, as the
original); filters 32/64/64 reduced to 16/32/32 and Dense(256) to Dense(64); the
concatenated GlobalMaxPooling2D branch is an addition (the guide's `layers.concatenate`
pattern); 1 epoch raised to 14 and batch 64 lowered to 32 so that
the toy model learns in a short run.
"""

import keras
from keras import layers

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_toy_resnet_concat",
    "source": "https://keras.io/guides/functional_api/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Add", "GlobalAveragePooling2D",
               "GlobalMaxPooling2D", "Concatenate", "Dense", "Dropout"),
}


def build(seed):
    """Toy ResNet with an Add-joined residual pair and a Concatenate-joined pooling head."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.cifar_like(800, seed=seed)
    x = x.astype("float32") / 255.0
    y = keras.utils.to_categorical(y, 10)
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    h = layers.Conv2D(16, 3, activation="relu")(inputs)
    h = layers.Conv2D(32, 3, activation="relu")(h)
    block_1_output = layers.MaxPooling2D(3)(h)
    h = layers.Conv2D(32, 3, activation="relu", padding="same")(block_1_output)
    h = layers.Conv2D(32, 3, activation="relu", padding="same")(h)
    block_2_output = layers.add([h, block_1_output])
    h = layers.Conv2D(32, 3, activation="relu", padding="same")(block_2_output)
    h = layers.Conv2D(32, 3, activation="relu", padding="same")(h)
    block_3_output = layers.add([h, block_2_output])
    h = layers.Conv2D(32, 3, activation="relu")(block_3_output)
    pooled = layers.concatenate([layers.GlobalAveragePooling2D()(h),
                                 layers.GlobalMaxPooling2D()(h)])
    h = layers.Dense(64, activation="relu")(pooled)
    h = layers.Dropout(0.5)(h)
    outputs = layers.Dense(10)(h)
    model = keras.Model(inputs, outputs, name="toy_resnet")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["acc"])
    return model, x, y, {"batch_size": 32, "epochs": 14, "validation_split": 0.2}
