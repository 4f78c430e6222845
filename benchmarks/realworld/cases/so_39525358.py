"""Binary classifier of three raw integer features (65 .. 70) with uniform-initialized ReLU layers.

Source: https://stackoverflow.com/questions/39525358 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/39525358)
Symptom, as reported (benchmark table): loss 0.672, accuracy 0.6154 (8 of the 13 training rows,
the majority class): the same prediction for every row.
Settled cause: the benchmark's Correct Code (and patch table) only add
StandardScaler().fit_transform(X) (the original has these lines commented out).
-> unscaled_inputs
Original code, relevant lines:
    dataset =  np.loadtxt('sorted output.csv', delimiter=',', skiprows=1)
    X = dataset[:,0:3]
    Y = dataset[:,3]
    #scaler = StandardScaler()
    #X = scaler.fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.33, random_state=seed)
    model.add(Dense(12, input_dim=3, init='uniform'))
    model.add(Activation('relu'))
    model.add(Dense(3, init='uniform'))
    model.add(Activation('relu'))
    model.add(Dense(1, init='uniform'))
    model.add(Activation('sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['acc'])
    model.fit(X_train, y_train,  nb_epoch=150, batch_size=1, verbose =2, ...)
Port: the 20 data rows of 'sorted output.csv' are rebuilt in place (each row is one of four
patterns: 65,66,67 -> 0; 65,66,70 -> 0; 68,69,70 -> 1; 68,69,67 -> 1, in the file's order);
the same split (random_state 7); init='uniform' is Keras 1's RandomUniform(-0.05, 0.05);
150 epochs reduced to 60 for speed.
"""

import keras
import numpy as np
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_39525358",
    "source": "https://stackoverflow.com/questions/39525358",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/39525358",
    "cause": "unscaled_inputs",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}

_PATTERNS = {"a": [65, 66, 67, 0], "b": [65, 66, 70, 0], "c": [68, 69, 70, 1], "d": [68, 69, 67, 1]}
_ORDER = "cacaaacacabdbccacaaa"  # the file's 20 data rows after its header line


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    dataset = np.array([_PATTERNS[k] for k in _ORDER], dtype=float)
    x, y = dataset[:, 0:3], dataset[:, 3]
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.33, random_state=7)
    init = lambda: keras.initializers.RandomUniform(-0.05, 0.05)  # noqa: E731
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(12, kernel_initializer=init()),
        keras.layers.Activation("relu"),
        keras.layers.Dense(3, kernel_initializer=init()),
        keras.layers.Activation("relu"),
        keras.layers.Dense(1, kernel_initializer=init()),
        keras.layers.Activation("sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
    return model, x_train, y_train, {"epochs": 60, "batch_size": 1}
