"""Binary MLP on stock indicators ending in a softmax over one unit: constant probabilities.

Source: https://github.com/keras-team/keras/issues/10607 ("Why the predict_proba() doesn't
work")
Symptom, as reported: predict_proba on the test set prints the same value for every row
("[[0.] [0.] [0.] ... [0.]]"); the asker wanted per-row class probabilities.
Settled cause: the reply in the thread (the only answer; the issue was closed on it): "the
correct activation to use for the final layer in binary classification is `sigmoid`" -- the
output layer is Dense(1, activation='softmax'). -> softmax_single_unit
Original code, relevant lines:
    model.add(Dense(512, activation='relu', input_dim=34))
    model.add(Dense(200, activation='relu'))
    model.add(Dense(200, activation='relu'))
    model.add(Dense(128, activation='relu'))
    model.add(Dense(1, activation='softmax'))
    model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['binary_accuracy'])
    model.fit(x_train, y_train, epochs=2, batch_size=50, verbose=0)
Port: the asker's 34 technical-indicator columns with up/down labels become
offline_data.tabular(2000, 34) (units unknown from the thread, so make_classification's own);
epochs and batch size as the original. (Keras 3's softmax over one unit gives 1.0 for every
row; the asker's printout showed 0.0 -- constant either way.)
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "gh_keras-team_keras_10607",
    "source": "https://github.com/keras-team/keras/issues/10607",
    "benchmark": "",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tabular(2000, 34, informative=8, seed=seed)
    model = keras.Sequential([
        keras.Input((34,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(200, activation="relu"),
        keras.layers.Dense(200, activation="relu"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["binary_accuracy"])
    return model, x, y, {"epochs": 2, "batch_size": 50}
