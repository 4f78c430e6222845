"""Conv2D binary classifier ending in a softmax over one unit, trained with categorical CE.

Source: https://stats.stackexchange.com/questions/481881 (Cross Validated, "Convolutional
neural network fails even when given answer")
Symptom, as reported: the CNN gives "the prediction as true for everything regardless of
input", even after the asker put the answer (the output boolean) into the input.
Settled cause: the (only) answer: the last layer is a fully connected layer with 1 output
unit and softmax activation; softmax over one unit is e^x / e^x = 1 for every input; use a
sigmoid for a single-unit binary output. -> softmax_single_unit
Original code, relevant lines:
    Conv2D(30, kernel_size=3, activation="relu", input_shape=(99, 25, 2)),
    Conv2D(64, kernel_size=3, activation="relu"),
    Flatten(),
    Dense(1, activation='softmax')
    model.compile('adam', loss='categorical_crossentropy', metrics=['accuracy'])
    model.fit(train_X, train_y, epochs=1)
Port: the asker's (99, 25, 2) arrays, whose third dimension carries the boolean answer, are
generated: channel 0 is noise, channel 1 holds the label (0/1) in every cell plus noise; 600
rows; architecture, loss, optimizer and the 1 epoch (default batch size 32) as the original.
The categorical cross-entropy on one unit is the asker's too (it is exactly 0 for a softmax
output of 1), so nothing is learned either way.
"""

import keras
import numpy as np

CASE = {
    "id": "cv_481881",
    "source": "https://stats.stackexchange.com/questions/481881",
    "benchmark": "",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "Flatten", "Dense"),
}


def build(seed):
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    n = 600
    y = rng.integers(0, 2, size=n)
    x = rng.normal(0, 0.3, size=(n, 99, 25, 2)).astype("float32")
    x[:, :, :, 1] += y[:, None, None]
    model = keras.Sequential([
        keras.Input((99, 25, 2)),
        keras.layers.Conv2D(30, kernel_size=3, activation="relu"),
        keras.layers.Conv2D(64, kernel_size=3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model, x, y.astype("int64"), {"epochs": 1, "batch_size": 32}
