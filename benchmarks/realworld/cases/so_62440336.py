"""Raw-audio Conv1D + LSTM network whose output is a softmax over one unit.

Source: https://stackoverflow.com/questions/62440336 ("Tensorflow model not improving"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/62440336/bug.py
Symptom, as reported: the title: the model does not improve (loss and accuracy stay put).
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(1, activation='softmax'), which is 1.0 for every input
(its BinaryCrossentropy(from_logits=True) is a second misfit with that output).
-> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_regression(100, 1323000); X = X.reshape(-1, 1323000, 1)
    keras.layers.Conv1D(filters=100, kernel_size=10000, strides=5000, input_shape=(1323000, 1),
                        activation='relu'),
    keras.layers.Conv1D(filters=100, kernel_size=10, strides=3, activation='relu'),
    keras.layers.LSTM(1000),
    keras.layers.Dense(500, activation='relu'), keras.layers.Dense(250, activation='relu'),
    keras.layers.Dense(1, activation='softmax')
    model.compile(optimizer='adam', loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    model.fit(X, y, epochs=1000)
Port: the signal shortened 100-fold to 13,230 samples with the first kernel and stride shortened
likewise (100 / 50), so the LSTM still sees 85 steps of 100 channels; same make_regression
recipe; 1000 epochs reduced to 2.
"""

import keras
from sklearn.datasets import make_regression

CASE = {
    "id": "so_62440336",
    "source": "https://stackoverflow.com/questions/62440336",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/62440336/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": ("loss_output_mismatch",),
    "layers": ("Conv1D", "LSTM", "Dense"),
}

LENGTH = 13230


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_regression(100, LENGTH, random_state=seed)
    x = x.reshape(-1, LENGTH, 1).astype("float32")
    model = keras.Sequential([
        keras.Input((LENGTH, 1)),
        keras.layers.Conv1D(filters=100, kernel_size=100, strides=50, activation="relu"),
        keras.layers.Conv1D(filters=100, kernel_size=10, strides=3, activation="relu"),
        keras.layers.LSTM(1000),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dense(250, activation="relu"),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model, x, y.astype("float32"), {"epochs": 2}
