"""Healthy: the keras.io "Bidirectional LSTM on IMDB" model (Embedding(., 128), two
Bidirectional(LSTM(64)) layers, one sigmoid unit, binary cross-entropy, Adam).

Source: https://keras.io/examples/nlp/bidirectional_lstm_imdb/ (keras-team/keras-io,
examples/nlp/bidirectional_lstm_imdb.py)
Original code, relevant lines:
    max_features = 20000  # Only consider the top 20k words
    maxlen = 200  # Only consider the first 200 words of each movie review
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 128)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    x_train = keras.preprocessing.sequence.pad_sequences(x_train, maxlen=maxlen)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val))
Port: IMDB replaced by offline_data.tokens(1000, length=40, vocab=2000), re-padded at the
front as pad_sequences does; max_features 20000 -> 2000 (the offline vocabulary), maxlen 200
-> 40; LSTM units 64 -> 32 for speed; 2 epochs raised to 3 for the smaller data.
"""

import keras
import numpy as np
from keras import layers

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_bilstm_imdb",
    "source": "https://keras.io/examples/nlp/bidirectional_lstm_imdb/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Embedding", "Bidirectional", "LSTM", "Dense"),
}


def _pad_front(x):
    """Move each row's tokens to the end (zeros in front), as pad_sequences(padding='pre')."""
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        words = row[row != 0]
        out[i, len(row) - len(words):] = words
    return out


def build(seed):
    """Two-layer bidirectional LSTM sentiment classifier."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tokens(1000, length=40, vocab=2000, seed=seed)
    x = _pad_front(x)
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = layers.Embedding(2000, 128)(inputs)
    h = layers.Bidirectional(layers.LSTM(32, return_sequences=True))(h)
    h = layers.Bidirectional(layers.LSTM(32))(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model, x, y, {"batch_size": 32, "epochs": 3}
