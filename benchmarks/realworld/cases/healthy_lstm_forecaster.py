"""Healthy: the keras.io "Timeseries forecasting for weather prediction" model (LSTM(32) and a
Dense(1) on standardized features, MSE, Adam(learning_rate=0.001)).

Source: https://keras.io/examples/timeseries/timeseries_weather_forecasting/
(keras-team/keras-io, examples/timeseries/timeseries_weather_forecasting.py)
Original code, relevant lines:
    learning_rate = 0.001
    batch_size = 256
    epochs = 10
    def normalize(data, train_split):
        data_mean = data[:train_split].mean(axis=0)
        data_std = data[:train_split].std(axis=0)
        return (data - data_mean) / data_std
    inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
Port: the Jena climate CSV replaced by offline_data.series(1500, window=24) in raw units
(level 5000, scale 1000), standardized with the first 80% of the windows' statistics, as the
original's normalize(); windows shuffled (timeseries_dataset_from_array batches are drawn
from the whole training range); batch 256 lowered to 64 and 10 epochs raised to 20 so that a
1,500-row run makes ~470 steps.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_lstm_forecaster",
    "source": "https://keras.io/examples/timeseries/timeseries_weather_forecasting/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("LSTM", "Dense"),
}


def build(seed):
    """LSTM(32) next-value forecaster on a standardized series."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.series(1500, window=24, seed=seed, level=5000.0, scale=1000.0)
    split = int(0.8 * len(x))
    mean, std = x[:split].mean(), x[:split].std()
    x, y = (x - mean) / std, (y - mean) / std
    rows = np.random.default_rng(seed).permutation(len(x))
    x, y = x[rows].astype("float32"), y[rows].astype("float32")
    inputs = keras.layers.Input(shape=(24, 1))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    return model, x, y, {"epochs": 20, "batch_size": 64}
