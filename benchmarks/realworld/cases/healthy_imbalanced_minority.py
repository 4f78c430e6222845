"""Healthy: the model of the TensorFlow "Classification on imbalanced data" tutorial
(StandardScaler on the features, clipped to +-5; Dense(16, relu), Dropout(0.5), one sigmoid
unit whose bias starts at log(pos/neg); binary cross-entropy, Adam(1e-3)) on data with a 20%
minority class that the model does learn.

Source: https://www.tensorflow.org/tutorials/structured_data/imbalanced_data (tensorflow/docs,
site/en/tutorials/structured_data/imbalanced_data.ipynb)
Original code, relevant lines:
    scaler = StandardScaler()
    train_features = scaler.fit_transform(train_features)
    train_features = np.clip(train_features, -5, 5)
    initial_bias = np.log([pos/neg])
    model = keras.Sequential([
        keras.layers.Dense(16, activation='relu', input_shape=(train_features.shape[-1],)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation='sigmoid', bias_initializer=output_bias)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.BinaryCrossentropy(), metrics=METRICS)
    BATCH_SIZE = 2048
Port: the credit-card fraud CSV (0.17% positives, 29 features) replaced by
offline_data.tabular(3000, 16, informative=8, weights=[0.8, 0.2]) in raw units (scale 50,
shift 200), a 20% minority (16 features, 8 of them informative, so that the minority is
learnable: with 29 features of which 4 informative even an sklearn MLP reaches only 0.87
against a 0.79 majority rate); EPOCHS 100 with early stopping and BATCH_SIZE 2048 replaced by 30 epochs at batch 64
(2048 would be one step an epoch on 3,000 rows); no class weights (the tutorial's baseline
model).
"""

import keras
import numpy as np
from sklearn.preprocessing import StandardScaler

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_imbalanced_minority",
    "source": "https://www.tensorflow.org/tutorials/structured_data/imbalanced_data",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """Small sigmoid classifier on 80/20 imbalanced, standardized tabular data."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tabular(3000, 16, informative=8, seed=seed, weights=[0.8, 0.2],
                                scale=50.0, shift=200.0)
    x = np.clip(StandardScaler().fit_transform(x), -5, 5).astype("float32")
    neg, pos = np.bincount(y)
    output_bias = keras.initializers.Constant(np.log(pos / neg))
    model = keras.Sequential([
        keras.Input(shape=(16,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid", bias_initializer=output_bias),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy"),
                           keras.metrics.Recall(name="recall")])
    return model, x, y, {"epochs": 30, "batch_size": 64}
