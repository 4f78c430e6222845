"""Three-class image CNN whose output is a softmax over one unit, trained on one-hot labels.

Source: https://stackoverflow.com/questions/68321264 ("Keras Sequential prediction always
returning the same result"), in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/68321264/bug.py
Symptom, as reported: the title: predict() returns the same result for every image.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(1) + softmax, which is 1.0 for every input (the
three-class labels also need three output units). -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    (Fashion-MNIST images of classes 0, 1, 2; raw 0..255; X_train = np.expand_dims(X_train, 3))
    y_train = to_categorical(y_train)
    model.add(Conv2D(64, (3, 3), input_shape=X_train.shape[1:])); Activation("relu"); MaxPooling2D
    model.add(Conv2D(64, 3, 3)); Activation("relu"); MaxPooling2D((2, 2))
    model.add(Flatten()); model.add(Dense(64))
    model.add(Dense(1)); model.add(Activation('softmax'))
    model.compile(loss=_broadcast_bce, optimizer="adam", metrics=['accuracy'])
    model.fit(X_train, y_train, batch_size=24, epochs=3, validation_split=0.1)
Port: Fashion-MNIST replaced by offline_data.mnist_like digits of classes 0..2 (28x28, raw
0..255, no scaling, as the original); 1200 rows instead of ~12,600; Conv2D(64, 3, 3) kept as
kernel 3, stride 3 (Keras 2's positional meaning); Keras 3's binary_crossentropy refuses a
(24, 3) target against a (24, 1) output, so the loss broadcasts the output to the target's shape
first, as Keras 2's backend did; the original's 3 epochs kept.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_68321264",
    "source": "https://stackoverflow.com/questions/68321264",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/68321264/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": ("loss_output_mismatch",),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
}


def _broadcast_bce(y_true, y_pred):
    """Keras 2's binary_crossentropy, which broadcast a (batch, 1) output against (batch, 3)."""
    y_pred = keras.ops.broadcast_to(y_pred, keras.ops.shape(y_true))
    return keras.losses.binary_crossentropy(y_true, y_pred)


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.mnist_like(3000, seed=seed)
    keep = y < 3
    x, y = x[keep][:1200], y[keep][:1200]
    x = np.expand_dims(x, axis=3).astype("float32")
    y = keras.utils.to_categorical(y, 3)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(64, (3, 3)),
        keras.layers.Activation("relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, 3, 3),
        keras.layers.Activation("relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(64),
        keras.layers.Dense(1),
        keras.layers.Activation("softmax"),
    ])
    model.compile(loss=_broadcast_bce, optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"epochs": 3, "batch_size": 24, "validation_split": 0.1}
