"""Regression of y = x**2 + 3 (values 3 .. 103) with a sigmoid output unit.

Source: https://stackoverflow.com/questions/48221692 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/48221692)
Symptom, as reported (benchmark table): MSE stuck at 2311; the network outputs the same
value (the sigmoid's ceiling) for every x.
Settled cause: the benchmark's Correct Code (and patch table) change the output layer from
Activation('sigmoid') to 'linear': a sigmoid cannot reach targets up to 103.
-> output_range_mismatch
Original code, relevant lines:
    dataset = pd.read_csv("Linear_Data.csv", header=None).values    # x in [-10, 10], y = x**2 + 3
    X_train, X_test, Y_train, Y_test = train_test_split(dataset[:,0:1], dataset[:,1],
                                                        test_size=0.25)
    neural_network.add(Dense(5, input_dim=1)) # hidden layer
    neural_network.add(Activation('sigmoid'))
    neural_network.add(Dense(1)) # output layer
    neural_network.add(Activation('sigmoid'))
    neural_network.compile(loss='mean_squared_error', optimizer='sgd', metrics=['accuracy'])
    neural_network.fit(X_train, Y_train, epochs=1000, verbose=1, batch_size=X_train.shape[0])
Port: Linear_Data.csv (201 rows, x = -10 .. 10 step 0.1, y = x**2 + 3 exactly) is generated in
place; the same 75 % train split; 1000 full-batch epochs reduced to 100 for speed (the output is
flat at the sigmoid's ceiling after 100 epochs as after 1000).
"""

import keras
import numpy as np
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_48221692",
    "source": "https://stackoverflow.com/questions/48221692",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/48221692",
    "cause": "output_range_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    xs = np.round(np.arange(-100, 101) / 10.0, 1)
    dataset = np.column_stack([xs, np.round(xs**2 + 3, 2)])
    x_train, _, y_train, _ = train_test_split(dataset[:, 0:1], dataset[:, 1], test_size=0.25,
                                              random_state=seed)
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(5),
        keras.layers.Activation("sigmoid"),
        keras.layers.Dense(1),
        keras.layers.Activation("sigmoid"),
    ])
    model.compile(loss="mean_squared_error", optimizer="sgd", metrics=["accuracy"])
    return model, x_train, y_train, {"epochs": 100, "batch_size": x_train.shape[0]}
