"""Two-layer GRU on parity-of-first-digit sequences, output a softmax over one unit, MSE loss.

Source: https://stackoverflow.com/questions/61997645 ("RNN model not learning anything"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/61997645/bug.py
Symptom, as reported: the title: the RNN learns nothing (accuracy does not move).
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(units=1, activation='softmax'), which is 1.0 for every
input. -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    a = np.random.randint(1,10,5); y.append('0' if a[0] % 2 == 0 else '1'); x.append(a.reshape(5, 1))
    model.add(GRU(units=24, activation='relu', return_sequences=True, input_shape=[5,1]))
    model.add(Dropout(rate=0.5))
    model.add(GRU(units=12, activation='relu'))
    model.add(Dropout(rate=0.5))
    model.add(Dense(units=1, activation='softmax'))
    model.compile(optimizer='adam', loss='mse', metrics=['accuracy'])
    history = model.fit(X[:210], Y[:210], epochs=20, validation_split=0.2)
Port: same generated data (300 sequences of 5 digits 1..9, raw, first 210 used); the labels,
strings '0'/'1' in the original, are given as floats 0.0/1.0 (Keras 3 does not cast strings);
20 epochs reduced to 5.
"""

import keras
import numpy as np

CASE = {
    "id": "so_61997645",
    "source": "https://stackoverflow.com/questions/61997645",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/61997645/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("GRU", "Dropout", "Dense"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 10, size=(300, 5))
    x = a.reshape(300, 5, 1).astype("float32")
    y = (a[:, 0] % 2 != 0).astype("float32")
    model = keras.Sequential([
        keras.Input((5, 1)),
        keras.layers.GRU(24, activation="relu", return_sequences=True),
        keras.layers.Dropout(0.5),
        keras.layers.GRU(12, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    return model, x[:210], y[:210], {"epochs": 5, "validation_split": 0.2}
