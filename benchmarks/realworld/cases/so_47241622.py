"""Stateful LSTM binary classifier ending in a softmax over one unit.

Source: https://stackoverflow.com/questions/47241622 ("Is it okay to use STATEFUL
Recurrent NN (LSTM) for classification")
Symptom, as reported: "I am getting bad accuracy, not more than 55%" whatever activation or
loss is tried (an MLP on the same data reaches 97%).
Settled cause: the accepted answer: "You cannot use softmax as an output when you have only
a single output unit as it will always output you a constant value of 1"; use a sigmoid (or
2 units with categorical cross-entropy). -> softmax_single_unit
Original code, relevant lines:
    model.add(LSTM(128, batch_input_shape=(batch_size, C.shape[1], C.shape[2]),
                   return_sequences=False, stateful=True))
    model.add(Dense(1, activation='softmax'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    model.fit(tr_C, tr_r, batch_size=batch_size, epochs=1, shuffle=True, ...)
Port: the asker's 50,000 binary samples of 128 features (labels 1 / -1) become 1000 samples of
make_classification thresholded to {0,1}, shaped (128, 1) as a sequence, with labels in
{-1, 1} as the asker had them; batch_size 200 and 1 epoch as the original. stateful=True is
dropped: a stateful LSTM fixes the batch size, so predict() on any other batch size fails, and
with one epoch of shuffled batches the carried state has no bearing on the softmax fault.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_47241622",
    "source": "https://stackoverflow.com/questions/47241622",
    "benchmark": "",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("LSTM", "Dense"),
}


def build(seed):
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tabular(1000, 128, informative=8, seed=seed)
    x = (x > 0).astype("float32")[:, :, None]
    y = np.where(y == 1, 1, -1).astype("int64")
    batch_size = 200
    model = keras.Sequential([
        keras.Input((128, 1)),
        keras.layers.LSTM(128, return_sequences=False),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"epochs": 1, "batch_size": batch_size, "shuffle": True}
