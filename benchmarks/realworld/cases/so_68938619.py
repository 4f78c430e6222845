"""LSTM binary classifier whose output is a softmax over one unit, trained with MSE.

Source: https://stackoverflow.com/questions/68938619 ("Why Epoch showing the same accuracy?"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/68938619/bug.py
Symptom, as reported: the title: every epoch shows the same accuracy.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program keeps one output fault, Dense(1, activation="softmax"), which is 1.0
for every input, so accuracy is the share of label 1 in every epoch. -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(1000, 10); X = normalize(X); X = X.reshape(-1, 10, 1)
    keras.layers.LSTM(80, input_shape=(features, X_train.shape[2]),
                      activation='sigmoid', recurrent_activation='hard_sigmoid'),
    keras.layers.Dense(1, activation="softmax")
    Model.compile(optimizer='rmsprop', loss='mse', metrics=['accuracy'])
    Model.fit(X_train, y_train, epochs=10, batch_size=32)
Port: same data recipe (keras.utils.normalize = row-wise L2 normalization, 90% training split);
10 epochs reduced to 3.
"""

import keras
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_68938619",
    "source": "https://stackoverflow.com/questions/68938619",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/68938619/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("LSTM", "Dense"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(1000, 10, random_state=seed)
    x = keras.utils.normalize(x).reshape(-1, 10, 1)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.1, random_state=42)
    model = keras.Sequential([
        keras.Input((10, 1)),
        keras.layers.LSTM(80, activation="sigmoid", recurrent_activation="hard_sigmoid"),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["accuracy"])
    return model, x_train, y_train, {"epochs": 3, "batch_size": 32}
