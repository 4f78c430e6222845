"""Two sigmoid outputs trained with categorical cross-entropy on non-one-hot targets.

Source: https://github.com/keras-team/keras/issues/6421 ("Discrepancies between "evaluate"
accuracy and "predict" result")
Symptom, as reported: evaluate() reports 100% categorical accuracy, but model.predict on the
training rows gives [1. 0.] for every row shown (targets [0. 0.]).
Settled cause: the collaborator's reply (bstriner), which closed the thread: "You're using
categorical crossentropy" -- categorical cross-entropy on sigmoid outputs with targets that
are not one-hot rows (rows of [0, 0] give a loss of exactly 0 whatever the output), so the
loss does not fit the output layer and labels. -> loss_output_mismatch
Original code, relevant lines:
    X = dataset[:,0:31]
    Y = dataset[:,[31,32]]
    model.add(Dense(40, activation='relu', kernel_initializer='uniform', input_dim=31))
    model.add(Dense(31, activation='relu', kernel_initializer='uniform'))
    model.add(Dense(2, activation='sigmoid', kernel_initializer='uniform'))
    model.compile(loss='categorical_crossentropy', optimizer='adam',
                  metrics=['categorical_accuracy'])
    model.fit(X, Y, epochs=1, batch_size=10, verbose=2)
Port: the asker's numerical data set (31 features, two 0/1 target columns, mostly [0, 0]
rows) becomes offline_data.tabular(4000, 31, classes=3) with class 0 -> [0, 0] (60% of rows),
class 1 -> [1, 0], class 2 -> [0, 1]; Keras 1's init 'uniform' is RandomUniform(-0.05, 0.05);
epochs and batch size as the original. (In Keras 3 categorical cross-entropy rescales the
outputs to sum 1, so both sigmoids are driven to ~0 rather than to the asker's [1, 0]: the
same output for every row either way.)
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "gh_keras-team_keras_6421",
    "source": "https://github.com/keras-team/keras/issues/6421",
    "benchmark": "",
    "cause": "loss_output_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    keras.utils.set_random_seed(seed)
    x, c = offline_data.tabular(4000, 31, classes=3, seed=seed, weights=[0.6, 0.2, 0.2])
    y = np.zeros((len(c), 2), "float32")
    y[c == 1, 0] = 1.0
    y[c == 2, 1] = 1.0
    init = keras.initializers.RandomUniform(-0.05, 0.05)
    model = keras.Sequential([
        keras.Input((31,)),
        keras.layers.Dense(40, activation="relu", kernel_initializer=init),
        keras.layers.Dense(31, activation="relu", kernel_initializer=init),
        keras.layers.Dense(2, activation="sigmoid", kernel_initializer=init),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam",
                  metrics=["categorical_accuracy"])
    return model, x, y, {"epochs": 1, "batch_size": 10}
