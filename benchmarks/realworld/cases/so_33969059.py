"""Linear regression network whose output layer is a softmax over one unit.

Source: https://stackoverflow.com/questions/33969059 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/33969059)
Symptom, as reported (benchmark table): MSE loss stays at 7.2e7; the network predicts the
same value for every input of a plain linear relationship y = 2 x1 + x2 + 0.5 x3 + 2.2.
Settled cause: the benchmark's Correct Code (and patch table) change the last
Activation('softmax') on Dense(1) to 'linear'; a softmax over one unit always outputs 1.
-> softmax_single_unit
Original code, relevant lines:
    X_train, y_train = get_data(100000, WS, XNO, 10000)      # x uniform in [0, 10000)
    model.add(Dense(INDIM, input_dim=INDIM, init='uniform'))
    model.add(Activation('tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(2, init='uniform'))
    model.add(Activation('tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(1, init='uniform'))
    model.add(Activation('softmax'))
    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd, metrics=['accuracy'])
    model.fit(X_train, y_train, shuffle="batch", nb_epoch=EPOCHS)        # EPOCHS = 20
Port: the program generates its data; 100000 rows reduced to 2000 (same generator, same
raw units); init='uniform' is Keras 1's RandomUniform(-0.05, 0.05); decay=1e-6 is
InverseTimeDecay(0.1, 1, 1e-6); shuffle="batch" (an HDF5 option) becomes shuffle=True;
20 epochs reduced to 5 (the output is exactly 1 from the first step).
"""

import keras
import numpy as np

CASE = {
    "id": "so_33969059",
    "source": "https://stackoverflow.com/questions/33969059",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/33969059",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    ws = np.array([2.0, 1.0, 0.5])
    x = 10000 * rng.random((2000, 3))
    y = x @ ws + 2.2
    init = lambda: keras.initializers.RandomUniform(-0.05, 0.05)  # noqa: E731
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(3, kernel_initializer=init()),
        keras.layers.Activation("tanh"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(2, kernel_initializer=init()),
        keras.layers.Activation("tanh"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, kernel_initializer=init()),
        keras.layers.Activation("softmax"),
    ])
    lr = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=1e-6)
    sgd = keras.optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True)
    model.compile(loss="mean_squared_error", optimizer=sgd, metrics=["accuracy"])
    return model, x, y, {"epochs": 5, "batch_size": 32, "shuffle": True}
