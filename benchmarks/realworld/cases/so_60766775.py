"""Four-target regression through sigmoid hidden layers and a softmax output, MSE loss.

Source: https://stackoverflow.com/questions/60766775 ("Neural network loss value not changing"),
in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/60766775/bug.py
Symptom, as reported: the title: the loss value does not change during training.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program regresses four unbounded make_regression targets through a softmax
output, whose four values lie in [0, 1] and sum to 1, so it cannot reach the targets.
-> output_range_mismatch
Original code (the benchmark's bug.py), relevant lines:
    x_train, y_train = make_regression(1000, 8, n_targets=4)
    x_train_std = StandardScaler().fit_transform(x_train)
    model.add(layers.Dense(32, activation='sigmoid', input_shape=input_shape)); Dropout(0.1)
    model.add(layers.Dense(20, activation='sigmoid')); Dropout(0.1)
    model.add(layers.Dense(15, activation='sigmoid')); Dropout(0.1)
    model.add(layers.Dense(4, activation='softmax'))
    sgd = optimizers.SGD(learning_rate=0.01, momentum=0.87, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd)
    history = model.fit(x_train_std, y_train, validation_split=0.1, epochs=100, batch_size=1)
Port: same data recipe (inputs standardized, targets raw as the original); 100 epochs reduced
to 2 (batch_size=1 makes 900 steps an epoch).
"""

import keras
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

CASE = {
    "id": "so_60766775",
    "source": "https://stackoverflow.com/questions/60766775",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/60766775/bug.py",
    "cause": "output_range_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_regression(1000, 8, n_targets=4, random_state=seed)
    x = StandardScaler().fit_transform(x)
    model = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(32, activation="sigmoid"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(20, activation="sigmoid"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(15, activation="sigmoid"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(4, activation="softmax"),
    ])
    sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.87, nesterov=True)
    model.compile(loss="mean_squared_error", optimizer=sgd)
    return model, x, y, {"epochs": 2, "batch_size": 1, "validation_split": 0.1}
