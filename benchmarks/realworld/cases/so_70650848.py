"""Iris classifier with BatchNormalization, one sigmoid output unit and categorical cross-entropy.

Source: https://stackoverflow.com/questions/70650848 ("Cross-entropy validation losses comes out
as a straight line"), in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/70650848/bug.py
Symptom, as reported: the title: the (validation) loss curve is a flat line.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program pairs Dense(1, activation='sigmoid') with categorical_crossentropy on
the integer labels 0..2: the loss normalizes the single output to 1, so it is constant and sends
no gradient; three classes need Dense(3, softmax) with a matching loss.
-> loss_output_mismatch
Original code (the benchmark's bug.py), relevant lines:
    sc.fit_transform(X_train); sc.fit_transform(X_test)   # results discarded: inputs stay raw
    nn_model = Sequential([Dense(4, activation='relu', input_shape=[X.shape[1]]),
                           BatchNormalization(), Dropout(.3),
                           Dense(4, activation='relu'), BatchNormalization(), Dropout(.3),
                           Dense(1, activation='sigmoid')])
    nn_model.compile(optimizer='sgd', loss='categorical_crossentropy', metrics=['categorical_accuracy'])
    fit = nn_model.fit(X_train, y_train, validation_data=(X_test, y_test),
                       batch_size=16, epochs=200, callbacks=[early_stopping], verbose=1)
Port: seaborn's iris replaced by scikit-learn's (same 150 x 4 raw cm, labels 0..2), the same
70% training split (random_state=69); validation_data and the EarlyStopping callback
(patience=10, which stops a flat loss after 11 epochs) dropped, and 200 epochs set to 11 instead.
"""

import keras
from sklearn.model_selection import train_test_split

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_70650848",
    "source": "https://stackoverflow.com/questions/70650848",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/70650848/bug.py",
    "cause": "loss_output_mismatch",
    "healthy": False,
    "also": ("unscaled_inputs",),
    "layers": ("Dense", "BatchNormalization", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.iris()
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.3, random_state=69)
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  metrics=["categorical_accuracy"])
    y_train = y_train.reshape(-1, 1).astype("float32")
    return model, x_train, y_train, {"epochs": 11, "batch_size": 16}
