"""Binary Conv1D classifier ending in a softmax over one unit: every prediction is 1.

Source: https://stackoverflow.com/questions/45378493 ("Why does a binary Keras CNN always
predict 1?")
Symptom, as reported: "Why are all predictions the same?" -- the confusion matrix on the
test set is [[0 362] [0 608]]: every row is predicted as class 1.
Settled cause: the (only, accepted) answer: the last layer is a Dense with one neuron and a
softmax activation; softmax normalizes over the units, so with one unit it always outputs 1.
Use a sigmoid (or two units). -> softmax_single_unit
Original code, relevant lines:
    model.add(Convolution1D(input_shape=(10, 4), nb_filter=16, filter_length=4, border_mode='same'))
    model.add(BatchNormalization()); model.add(LeakyReLU()); model.add(Dropout(0.2))
    model.add(Convolution1D(nb_filter=8, filter_length=4, border_mode='same'))
    ... model.add(Flatten()); model.add(Dense(64)); model.add(BatchNormalization()); model.add(LeakyReLU())
    model.add(Dense(1))
    model.add(Activation('softmax'))
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    model.fit(X_train, y_train, nb_epoch=100, batch_size=128, ..., shuffle=True)
Port: the asker's ~6000 windows of 10 steps x 4 standardized price columns are replaced by
2000 windows of offline_data.series (4 noisy copies of the series, standardized as the
asker's were) labelled 1 when the next value rises; 100 epochs reduced to 5; the
ReduceLROnPlateau callback (patience 30) and validation_data are dropped (no effect on
training within 5 epochs).
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_45378493",
    "source": "https://stackoverflow.com/questions/45378493",
    "benchmark": "",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Conv1D", "BatchNormalization", "LeakyReLU", "Dropout", "Flatten", "Dense",
               "Activation"),
}


def build(seed):
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x1, nxt = offline_data.series(2000, window=10, seed=seed)
    x = np.concatenate([x1 + 0.05 * rng.normal(size=x1.shape) for _ in range(4)], axis=2)
    x = (x - x.mean()) / x.std()
    y = (nxt > x1[:, -1, 0]).astype("int64")
    model = keras.Sequential([
        keras.Input((10, 4)),
        keras.layers.Conv1D(16, 4, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(),
        keras.layers.Dropout(0.2),
        keras.layers.Conv1D(8, 4, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(),
        keras.layers.Dropout(0.2),
        keras.layers.Flatten(),
        keras.layers.Dense(64),
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(),
        keras.layers.Dense(1),
        keras.layers.Activation("softmax"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model, x, y, {"epochs": 5, "batch_size": 128, "shuffle": True}
