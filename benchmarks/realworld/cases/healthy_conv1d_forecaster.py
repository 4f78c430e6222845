"""Healthy: the Conv1D single-step forecaster of the TensorFlow "Time series forecasting"
tutorial (Conv1D over the input window, Dense(32), Dense(1); inputs and target standardized
with the training mean and std; MSE, Adam).

Source: https://www.tensorflow.org/tutorials/structured_data/time_series ("Convolution neural
network"; tensorflow/docs, site/en/tutorials/structured_data/time_series.ipynb)
Original code, relevant lines:
    train_mean = train_df.mean()
    train_std = train_df.std()
    train_df = (train_df - train_mean) / train_std
    conv_model = tf.keras.Sequential([
        tf.keras.layers.Conv1D(filters=32, kernel_size=(CONV_WIDTH,), activation='relu'),
        tf.keras.layers.Dense(units=32, activation='relu'),
        tf.keras.layers.Dense(units=1),
    ])
    model.compile(loss=tf.keras.losses.MeanSquaredError(),
                  optimizer=tf.keras.optimizers.Adam(), metrics=[tf.keras.metrics.MeanAbsoluteError()])
Port: the Jena weather CSV replaced by offline_data.series(1500, window=24) in raw units
(level 5000, scale 1000), standardized as the tutorial does; the tutorial's 3-step window
(CONV_WIDTH = 3) widened to 24 steps, so Conv1D(32, kernel_size=3) slides over it and a
Flatten joins the steps before the Dense head; windows shuffled (the tutorial's
timeseries_dataset_from_array(shuffle=True)); MAX_EPOCHS 20 with early stopping reduced to 10,
batch 32 as the tutorial's.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_conv1d_forecaster",
    "source": "https://www.tensorflow.org/tutorials/structured_data/time_series",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Conv1D", "Flatten", "Dense"),
}


def build(seed):
    """Conv1D next-value forecaster on a standardized series."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.series(1500, window=24, seed=seed, level=5000.0, scale=1000.0)
    mean, std = x.mean(), x.std()
    x, y = (x - mean) / std, (y - mean) / std
    rows = np.random.default_rng(seed).permutation(len(x))
    x, y = x[rows].astype("float32"), y[rows].astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(24, 1)),
        keras.layers.Conv1D(filters=32, kernel_size=(3,), activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(units=32, activation="relu"),
        keras.layers.Dense(units=1),
    ])
    model.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Adam(),
                  metrics=[keras.metrics.MeanAbsoluteError()])
    return model, x, y, {"epochs": 10, "batch_size": 32}
