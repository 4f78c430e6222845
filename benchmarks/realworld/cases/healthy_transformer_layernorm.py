"""Healthy: the Transformer encoder classifier of keras.io "Timeseries classification with a
Transformer model" (MultiHeadAttention, Dropout, LayerNormalization(epsilon=1e-6) and residual
sums, a Conv1D feed-forward part, GlobalAveragePooling1D, a Dense/Dropout head, softmax,
sparse categorical cross-entropy).

Source: https://keras.io/examples/timeseries/timeseries_classification_transformer/
(keras-team/keras-io, examples/timeseries/timeseries_classification_transformer.py)
Original code, relevant lines:
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res
    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    model = build_model(input_shape, head_size=256, num_heads=4, ff_dim=4,
        num_transformer_blocks=4, mlp_units=[128], mlp_dropout=0.4, dropout=0.25)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-4), ...)
    model.fit(x_train, y_train, validation_split=0.2, epochs=200, batch_size=64, ...)
Port: FordA (500 steps, 1 channel) replaced by generated z-normalized series of 50 steps and
4 channels (with one channel, LayerNormalization over a single feature outputs only its beta,
so 4 channels keep the normalization meaningful); the two classes differ in whether
channel 1 follows channel 0 or its negative, under noise, random periods and phases (the
model has no positional encoding and pools globally, so what tells the classes apart must
show within time steps, as the sign of a channel correlation does); head_size 256 -> 16,
num_heads 4 -> 2, blocks 4 -> 2, mlp_units [128] -> [32], dropout 0.25 -> 0.1, mlp_dropout
0.4 -> 0.2; 200 epochs (early stopping) -> 10 and learning rate 1e-4 -> 1e-3 so that the short
run converges; batch 64 kept.
"""

import keras
import numpy as np
from keras import layers

CASE = {
    "id": "healthy_transformer_layernorm",
    "source": "https://keras.io/examples/timeseries/timeseries_classification_transformer/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("MultiHeadAttention", "Dropout", "LayerNormalization", "Add", "Conv1D",
               "GlobalAveragePooling1D", "Dense"),
}


def _series(n, length, channels, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    y = rng.integers(0, 2, n)
    x = np.empty((n, length, channels))
    for i in range(n):
        for c in range(channels):
            period = rng.uniform(8, 20)
            x[i, :, c] = (np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
                          + 0.5 * rng.normal(size=length))
        sign = 1.0 if y[i] else -1.0
        x[i, :, 1] = sign * x[i, :, 0] + 0.5 * rng.normal(size=length)
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    return x.astype("float32"), y.astype(np.int64)


def _encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads,
                                  dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build(seed):
    """Two small Transformer encoder blocks with LayerNormalization, two classes."""
    keras.utils.set_random_seed(seed)
    x, y = _series(800, 50, 4, seed)
    inputs = keras.Input(shape=(50, 4))
    h = inputs
    for _ in range(2):
        h = _encoder(h, head_size=16, num_heads=2, ff_dim=4, dropout=0.1)
    h = layers.GlobalAveragePooling1D(data_format="channels_last")(h)
    h = layers.Dense(32, activation="relu")(h)
    h = layers.Dropout(0.2)(h)
    outputs = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=["sparse_categorical_accuracy"])
    return model, x, y, {"validation_split": 0.2, "epochs": 10, "batch_size": 64}
