"""XOR network whose output layer is a softmax over one unit: it outputs 1 for every input.

Source: https://stackoverflow.com/questions/34311586 (in mohmehmo/defects4ml, bugs/084; also
neuralint/neuralint sample_buggy_scripts/SO Samples/34311586.py)
Symptom, as reported: the benchmark: "model does not reach the expected accuracy level"; the
loss stays put because every prediction is the same (1.0).
Settled cause: defects4ml bug 084, root cause "Wrong type of activation function": the fix
removes activation='softmax' from the one-unit output layer (the buggy file's own comment:
"softmax cannot be used for 1-D vector"); NeuraLint flags the same line.
-> softmax_single_unit
Original code, relevant lines:
    X = numpy.array([[1., 1.], [0., 0.], [1., 0.], [0., 1.], [1., 1.], [0., 0.]])
    y = numpy.array([[0.], [0.], [1.], [1.], [0.], [0.]])
    model.add(Dense(2, input_dim=2, init='uniform', activation='sigmoid'))
    model.add(Dense(3, init='uniform', activation='sigmoid'))
    model.add(Dense(1, init='uniform', activation='softmax'))
    sgd = SGD(lr=0.001, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd)
    history = model.fit(X, y, nb_epoch=20)
Port: the program's own six rows. init='uniform' is Keras 1's RandomUniform(-0.05, 0.05);
decay=1e-6 is left out (Keras 3 has no per-step decay argument; over 20 steps it changes the
learning rate by 0.002 %). Nothing reduced. (DeepFD's table lists, for the same post, a fix
that swaps SGD for Adam; this port follows defects4ml's fix.)
"""

import keras
import numpy as np

CASE = {
    "id": "so_34311586",
    "source": "https://stackoverflow.com/questions/34311586",
    "benchmark": "mohmehmo/defects4ml: bugs/084",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x = np.array([[1., 1.], [0., 0.], [1., 0.], [0., 1.], [1., 1.], [0., 0.]])
    y = np.array([[0.], [0.], [1.], [1.], [0.], [0.]])
    uniform = lambda: keras.initializers.RandomUniform(-0.05, 0.05)  # Keras 1 'uniform'
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(2, kernel_initializer=uniform(), activation="sigmoid"),
        keras.layers.Dense(3, kernel_initializer=uniform(), activation="sigmoid"),
        keras.layers.Dense(1, kernel_initializer=uniform(), activation="softmax"),
    ])
    sgd = keras.optimizers.SGD(learning_rate=0.001, momentum=0.9, nesterov=True)
    model.compile(loss="mean_squared_error", optimizer=sgd)
    return model, x, y, {"epochs": 20}
