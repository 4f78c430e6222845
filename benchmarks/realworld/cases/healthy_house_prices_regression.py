"""Healthy: the keras.io "Regression Model on Boston Housing Dataset" MLP (Dense(32, relu)
twice, a linear Dense(1), MSE, Adam, validation_split=0.3) on house prices, with the inputs
standardized by StandardScaler and the dollar prices standardized too.

Source: https://github.com/keras-team/keras-io/blob/master/examples/structured_data/regression_boston_housing.py
Original code, relevant lines:
    layers.Dense(32, activation="relu", input_shape=[x_train.shape[1]]),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
    early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
    history = model.fit(x_train, y_train, batch_size=32, epochs=100, verbose=0,
                        validation_split=0.3, callbacks=[early_stop])
Port: Boston housing replaced by offline_data.house_prices(1000) (8 raw features, prices
~1e5..1e6 dollars); preprocessing done right (the original fed raw features): StandardScaler
on the inputs and the price standardized; 100 epochs with early stopping reduced to 30 without
it; batch 32 and validation_split 0.3 kept.
"""

import keras
from sklearn.preprocessing import StandardScaler

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_house_prices_regression",
    "source": "https://github.com/keras-team/keras-io/blob/master/examples/structured_data/regression_boston_housing.py",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """Dense(32)x2 price regressor, standardized inputs and targets."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.house_prices(1000, seed=seed)
    x = StandardScaler().fit_transform(x).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
    return model, x, y, {"batch_size": 32, "epochs": 30, "validation_split": 0.3}
