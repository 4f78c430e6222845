"""Healthy: the Keras "imdb_lstm.py" example with the GRU its comment suggests (Embedding(., 128),
a recurrent layer of 128 units with dropout, Dense(1) then Activation('sigmoid'), binary
cross-entropy, Adam).

Source: https://github.com/keras-team/keras/blob/2.0.0/examples/imdb_lstm.py
(keras-team/keras, examples/imdb_lstm.py)
Original code, relevant lines:
    max_features = 20000
    maxlen = 80  # cut texts after this number of words
    batch_size = 32
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    model.add(Embedding(max_features, 128, dropout=0.2))
    model.add(LSTM(128, dropout_W=0.2, dropout_U=0.2))  # try using a GRU instead, for fun
    model.add(Dense(1))
    model.add(Activation('sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    model.fit(x_train, y_train, batch_size=batch_size, nb_epoch=15, validation_data=...)
Port: IMDB replaced by offline_data.tokens(1000, length=40, vocab=2000) (token ids, binary
labels), re-padded at the front as pad_sequences does; max_features 20000 -> 2000 (the offline
vocabulary), maxlen 80 -> 40; LSTM swapped for GRU as the comment suggests (dropout_W/dropout_U
-> dropout/recurrent_dropout; Embedding's old dropout argument has no Keras 3 equivalent and
is dropped); 15 epochs reduced to 3.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_embedding_gru",
    "source": "https://github.com/keras-team/keras/blob/2.0.0/examples/imdb_lstm.py",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Embedding", "GRU", "Dense", "Activation"),
}


def _pad_front(x):
    """Move each row's tokens to the end (zeros in front), as pad_sequences(padding='pre')."""
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        words = row[row != 0]
        out[i, len(row) - len(words):] = words
    return out


def build(seed):
    """Embedding + GRU sentiment classifier on generated token sequences."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tokens(1000, length=40, vocab=2000, seed=seed)
    x = _pad_front(x)
    model = keras.Sequential([
        keras.Input(shape=(40,), dtype="int32"),
        keras.layers.Embedding(2000, 128),
        keras.layers.GRU(128, dropout=0.2, recurrent_dropout=0.2),
        keras.layers.Dense(1),
        keras.layers.Activation("sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"batch_size": 32, "epochs": 3}
