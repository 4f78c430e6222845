"""Binary classifier on 10 x 150 sequences whose output layer is a softmax over one unit.

Source: https://stackoverflow.com/questions/66087653 ("My image classification model written in
tensorflow don't learn"), in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/66087653/bug.py
Symptom, as reported: the title: the model does not learn (accuracy stays where it starts).
Settled cause: deepmufl's bug.py and its labelled fault; the thread itself was not available.
The benchmark's reduced program keeps one fault, the single-unit softmax output
(exp(x)/exp(x) = 1 for every input). -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    train_x, train_y = make_classification(1000, 10 * 150, random_state=42)
    train_x = train_x.reshape(-1, 10, 150)
    model.add(Dense(32, input_shape=(len(train_x[0]), 150), activation="relu"))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(128, activation="relu"))
    model.add(Flatten())
    model.add(Dense(1, activation="softmax"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    hist = model.fit(train_x, train_y, epochs=200, batch_size=2, verbose=1)
Port: same make_classification data (1000 x 1500 reshaped to 10 x 150); 200 epochs reduced to 2
(the output is 1 for every input from the first step).
"""

import keras
from sklearn.datasets import make_classification

CASE = {
    "id": "so_66087653",
    "source": "https://stackoverflow.com/questions/66087653",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/66087653/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense", "Flatten", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(1000, 10 * 150, random_state=42 + seed)
    x = x.reshape(-1, 10, 150)
    model = keras.Sequential([
        keras.Input((10, 150)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"epochs": 2, "batch_size": 2}
