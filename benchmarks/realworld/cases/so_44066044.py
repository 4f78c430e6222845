"""Packet classifier on raw IP-address integers with a ReLU output under binary cross-entropy.

Source: https://stackoverflow.com/questions/44066044 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/44066044)
Symptom, as reported (benchmark table): loss 9.55, accuracy 0.381 on a 21-row data set
(8 benign, 13 attack packets): the model does not learn and answers one class.
Settled cause: the benchmark's Correct Code (and patch table) add X = preprocessing.scale(X)
(the first features are IPv4 addresses as integers, ~3.2e9) and change the output
activation from relu to sigmoid. -> unscaled_inputs (also: output_range_mismatch)
Original code, relevant lines:
    dataset = numpy.loadtxt("NetworkPackets.csv", delimiter=",")
    X = dataset[:, 0:11].astype(float)
    Y = dataset[:, 11]
    model.add(Dense(12, input_dim=11, kernel_initializer='normal'))
    model.add(Activation('relu'))
    model.add(Dense(12, kernel_initializer='normal'))
    model.add(Activation('relu'))
    model.add(Dense(1, kernel_initializer='normal'))
    model.add(Activation('relu'))
    model.compile(loss='binary_crossentropy', optimizer='Adam', metrics=['accuracy'])
    model.fit(X, Y, nb_epoch=100, batch_size=5, ...)
Port: NetworkPackets.csv (21 rows, 11 raw fields: source/destination IPv4 as integers,
protocol 6, TTL 128, window ~5e5, port, header fields; label 0 for the first 8 rows, 1 for the
last 13) is regenerated with the same fields, units and row order; kernel_initializer='normal'
is RandomNormal(0, 0.05); 100 epochs of batch 5 kept.
"""

import keras
import numpy as np

CASE = {
    "id": "so_44066044",
    "source": "https://stackoverflow.com/questions/44066044",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/44066044",
    "cause": "unscaled_inputs",
    "healthy": False,
    "also": ("output_range_mismatch",),
    "layers": ("Dense",),
}


def _packets(seed):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(21):
        attack = i >= 8
        src = 3232235781 if attack else rng.choice([3232235773, 3232235778])
        windows = [8192, 525558, 525568] if attack else [524032, 524288, 524544]
        window = rng.choice(windows)
        port = rng.choice([502, 55924]) if attack else rng.choice([502, 55783, 56783])
        if i % 2:  # a packet with header options
            extra = [12, rng.choice([0, 0.860417, 61, 65280]), rng.choice([5, 6]), 0,
                     rng.integers(100, 208)]
        else:
            extra = [0, 0, 0, 0, 0]
        rows.append([src, 3232235779, 6, 128, window, port] + extra + [int(attack)])
    return np.array(rows, dtype=float)


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    dataset = _packets(seed)
    x = dataset[:, 0:11].astype(float)
    y = dataset[:, 11]
    init = lambda: keras.initializers.RandomNormal(0.0, 0.05)  # noqa: E731
    model = keras.Sequential([
        keras.Input((11,)),
        keras.layers.Dense(12, kernel_initializer=init()),
        keras.layers.Activation("relu"),
        keras.layers.Dense(12, kernel_initializer=init()),
        keras.layers.Activation("relu"),
        keras.layers.Dense(1, kernel_initializer=init()),
        keras.layers.Activation("relu"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="Adam", metrics=["accuracy"])
    return model, x, y, {"epochs": 100, "batch_size": 5}
