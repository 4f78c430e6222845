"""Conv1D + Dense sequence classifier whose output layer is a softmax over one unit.

Source: https://stackoverflow.com/questions/70148149 ("How to fix no validation accuracy?"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/70148149/bug.py
Symptom, as reported: the title: the (validation) accuracy does not move.
Settled cause: deepmufl's bug.py and its labelled fault; the thread itself was not available.
The benchmark's reduced program keeps one fault, the single-unit softmax output
(exp(x)/exp(x) = 1 for every input). -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(100, 560 * 560, random_state=42)
    X = X.reshape(-1, 560, 560)
    y = to_categorical(y)
    Conv1D(320, 8, input_shape=(560, 560), activation="relu"),
    Dense(1500, activation="relu"), Dropout(0.6),
    Dense(750, activation="relu"), Dropout(0.6),
    GlobalMaxPooling1D(keepdims=True),
    Dense(1, activation='softmax')
    model.compile(optimizer=Adam(learning_rate=0.00001), loss="binary_crossentropy", metrics=['accuracy'])
    model.fit(X_train, y_train, batch_size=150, epochs=5, shuffle=True, verbose=1, validation_data=(X_val, y_val))
Port: same make_classification data and 90/10 split (the training part kept as the fit data),
but each row 140 x 140 instead of 560 x 560 (for time); the labels are the 0/1 class index
shaped (n, 1) instead of the original's to_categorical one-hot (n, 2), which Keras 3's
binary_crossentropy refuses against the model's (n, 1, 1) output; validation_data dropped
(it does not change training); epochs, batch size and the rest as the original.
"""

import keras
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_70148149",
    "source": "https://stackoverflow.com/questions/70148149",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/70148149/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Conv1D", "Dense", "Dropout", "GlobalMaxPooling1D"),
}

SIDE = 140  # the original's 560, reduced for time


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(100, SIDE * SIDE, random_state=42 + seed)
    x = x.reshape(-1, SIDE, SIDE).astype("float32")
    y = y.reshape(-1, 1).astype("float32")
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.1, random_state=42)
    model = keras.Sequential([
        keras.Input((SIDE, SIDE)),
        keras.layers.Conv1D(320, 8, activation="relu"),
        keras.layers.Dense(1500, activation="relu"),
        keras.layers.Dropout(0.6),
        keras.layers.Dense(750, activation="relu"),
        keras.layers.Dropout(0.6),
        keras.layers.GlobalMaxPooling1D(keepdims=True),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.00001),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model, x_train, y_train, {"batch_size": 150, "epochs": 5, "shuffle": True}
