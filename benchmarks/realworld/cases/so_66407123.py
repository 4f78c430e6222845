"""Two-hidden-layer binary classifier trained with plain SGD, output a softmax over one unit.

Source: https://stackoverflow.com/questions/66407123 ("Keras accuracy returning 0"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/66407123/bug.py
Symptom, as reported: the title: the accuracy does not move (reported as 0).
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(1, activation='softmax'), which is 1.0 for every
input. -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(1000, 5, random_state=42)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.1, random_state=42)
    Dense(32, activation='relu'), Dense(32, activation='relu'), Dense(1, activation='softmax'),
    model.compile(optimizer='sgd', loss='binary_crossentropy', metrics=['accuracy'])
    history = model.fit(X_train, y_train, batch_size=64, epochs=100, validation_data=(X_val, y_val))
Port: same data recipe (90% training split); validation_data dropped; 100 epochs reduced to 10.
With this data the accuracy shown is the share of label 1 (about 0.5), constant over epochs,
rather than the 0 of the title.
"""

import keras
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_66407123",
    "source": "https://stackoverflow.com/questions/66407123",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/66407123/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(1000, 5, random_state=42)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.1, random_state=42)
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return model, x_train, y_train, {"epochs": 10, "batch_size": 64}
