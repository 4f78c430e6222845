"""Binary classifier of all-ones vs all-zeros rows whose output is a softmax over one unit.

Source: https://stackoverflow.com/questions/31880720 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/31880720)
Symptom, as reported (benchmark table): loss 7.67, accuracy stuck at 0.5 on a task that is
trivially separable; the model gives the same answer for every row.
Settled cause: the benchmark's Correct Code (and its patch table) replace the final
Activation('softmax') on Dense(1) with sigmoid: a softmax over a single unit is always 1.
-> softmax_single_unit
Original code, relevant lines:
    X_train = numpy.array([[1] * 128] * (10 ** 4) + [[0] * 128] * (10 ** 4))
    Y_train = numpy.array([True] * (10 ** 4) + [False] * (10 ** 4))
    model.add(Dense(units=50,activation='relu', input_dim=128))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    ...
    model.add(Dense(1))
    model.add(Activation('softmax'))
    model.compile(loss='binary_crossentropy', optimizer=rms,metrics=['accuracy'])
    model.fit(X_train, Y_train, batch_size=batch_size, epochs=3, ...)   # batch_size = 1
Port: the program generates its own data; 2 x 10**4 rows reduced to 2 x 300 (same rows,
same order, same float32 / bool encoding); validation_data dropped (it does not affect
training); RMSprop defaults, batch_size 1 and 3 epochs kept.
"""

import keras
import numpy as np

CASE = {
    "id": "so_31880720",
    "source": "https://stackoverflow.com/questions/31880720",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/31880720",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    n = 300
    x = np.array([[1] * 128] * n + [[0] * 128] * n).astype("float32")
    y = np.array([True] * n + [False] * n).astype("bool").astype("float32")
    model = keras.Sequential([
        keras.Input((128,)),
        keras.layers.Dense(50, activation="relu"),
        keras.layers.Activation("relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(50),
        keras.layers.Activation("relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(1),
        keras.layers.Activation("softmax"),
    ])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.RMSprop(),
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 3, "batch_size": 1}
