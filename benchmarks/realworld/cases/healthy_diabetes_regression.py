"""Healthy: the DNN regressor of the TensorFlow "Basic regression: Predict fuel efficiency"
tutorial (normalized inputs, Dense(64, relu) twice, a linear Dense(1), mean absolute error,
Adam(0.001), validation_split=0.2), on the diabetes data with standardized targets.

Source: https://www.tensorflow.org/tutorials/keras/regression ("Regression with a deep neural
network (DNN)"; tensorflow/docs, site/en/tutorials/keras/regression.ipynb)
Original code, relevant lines:
    normalizer = tf.keras.layers.Normalization(axis=-1)
    normalizer.adapt(np.array(train_features))
    def build_and_compile_model(norm):
      model = keras.Sequential([
          norm,
          layers.Dense(64, activation='relu'),
          layers.Dense(64, activation='relu'),
          layers.Dense(1)
      ])
      model.compile(loss='mean_absolute_error', optimizer=tf.keras.optimizers.Adam(0.001))
    history = dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0,
                            epochs=100)
Port: the Auto MPG CSV replaced by offline_data.diabetes() (442 rows, 10 raw features, target
25..346); the Normalization layer's feature-wise standardization done with scikit-learn's
StandardScaler before the model; the target standardized too (raw disease-progression units
~150 +- 77); rows shuffled; 100 epochs reduced to 15 (Keras' default batch size 32). Held-out R^2 of this
model over 5 folds is 0.46 on average (0.38..0.58), against 0.50 for ordinary least squares
on the same folds: the diabetes data's ceiling is about R^2 0.5.
"""

import keras
import numpy as np
from sklearn.preprocessing import StandardScaler

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_diabetes_regression",
    "source": "https://www.tensorflow.org/tutorials/keras/regression",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """Two-hidden-layer regression MLP, standardized inputs and targets."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.diabetes()
    rows = np.random.default_rng(seed).permutation(len(x))
    x, y = x[rows], y[rows]
    x = StandardScaler().fit_transform(x).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(10,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(loss="mean_absolute_error", optimizer=keras.optimizers.Adam(0.001))
    return model, x, y, {"validation_split": 0.2, "epochs": 15}
