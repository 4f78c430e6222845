"""Healthy: the BatchNormalization MLP of the Stack Overflow answer "Where do I call the
BatchNormalization function in Keras?" (Dense -> BatchNormalization -> Activation('tanh') ->
Dropout, twice, then a 2-unit softmax; SGD with Nesterov momentum, validation_split=0.2).

Source: https://stackoverflow.com/questions/34716454 (answer
https://stackoverflow.com/a/37979391)
Original code, relevant lines:
    model.add(Dense(64, input_dim=14, init='uniform'))
    model.add(BatchNormalization(epsilon=1e-06, mode=0, momentum=0.9, weights=None))
    model.add(Activation('tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(64, init='uniform'))
    ... (the same BatchNormalization, Activation('tanh'), Dropout(0.5))
    model.add(Dense(2, init='uniform'))
    model.add(BatchNormalization(epsilon=1e-06, mode=0, momentum=0.9, weights=None))
    model.add(Activation('softmax'))
    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='binary_crossentropy', optimizer=sgd)
    model.fit(X_train, y_train, nb_epoch=20, batch_size=16, validation_split=0.2)
Port: the answer's 14-feature data (not shown) replaced by offline_data.breast_cancer() (569
rows, 30 raw features, 2 classes; input_dim 14 -> 30), standardized with scikit-learn's
StandardScaler, rows shuffled, labels one-hot for the 2-unit softmax; init='uniform' -> kernel_initializer="random_uniform"
(Keras 1's uniform is U(-0.05, 0.05), as random_uniform); mode=0 and weights=None dropped
(Keras 3 defaults); lr=0.1 -> learning_rate=0.1; decay=1e-6 dropped (negligible over this
run); loss 'binary_crossentropy' -> 'categorical_crossentropy', the pairing for a softmax
over one-hot labels; 20 epochs and batch 16 kept.
"""

import keras
import numpy as np
from sklearn.preprocessing import StandardScaler

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_bn_mlp_tabular",
    "source": "https://stackoverflow.com/questions/34716454",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Dense", "BatchNormalization", "Activation", "Dropout"),
}


def build(seed):
    """Dense-BN-tanh-Dropout MLP on standardized tabular data, 2-unit softmax."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.breast_cancer()
    x = StandardScaler().fit_transform(x).astype("float32")
    y = keras.utils.to_categorical(y, 2)
    init = keras.initializers.RandomUniform(-0.05, 0.05)
    model = keras.Sequential([keras.Input(shape=(30,))])
    for _ in range(2):
        model.add(keras.layers.Dense(64, kernel_initializer=init))
        model.add(keras.layers.BatchNormalization(epsilon=1e-06, momentum=0.9))
        model.add(keras.layers.Activation("tanh"))
        model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(2, kernel_initializer=init))
    model.add(keras.layers.BatchNormalization(epsilon=1e-06, momentum=0.9))
    model.add(keras.layers.Activation("softmax"))
    sgd = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    rows = np.random.default_rng(seed).permutation(len(x))
    return model, x[rows], y[rows], {"epochs": 20, "batch_size": 16, "validation_split": 0.2}
