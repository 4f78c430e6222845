"""Binary classifier on 22 features whose output layer is a softmax over one unit.

Source: https://stackoverflow.com/questions/58055105 ("Keras model producing same output"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/58055105/bug.py
Symptom, as reported: the title: the model produces the same output for every input.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program keeps one fault, the single-unit softmax output (exp(x)/exp(x) = 1
for every input). -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(1000, 22)
    model.add(Dense(48, input_shape=(22,), activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(1, activation='softmax'))
    optim = Adam(learning_rate=0.0001)
    model.compile(optimizer=optim, loss='binary_crossentropy', metrics=['accuracy'])
    model.fit(X_train, y_train, epochs=20, batch_size=5, validation_data=(X_test, y_test))
Port: same make_classification data (1000 x 22, its 67% training split kept as the fit data);
validation_data dropped (it does not change training); 20 epochs reduced to 3.
"""

import keras
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_58055105",
    "source": "https://stackoverflow.com/questions/58055105",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/58055105/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(1000, 22, random_state=seed)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.33, random_state=42)
    model = keras.Sequential([
        keras.Input((22,)),
        keras.layers.Dense(48, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0001),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model, x_train, y_train, {"epochs": 3, "batch_size": 5}
