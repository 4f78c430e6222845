"""Healthy: the SimpleRNN IMDB classifier of "Deep Learning with Python" section 6.2
(Embedding(., 32), SimpleRNN(32), one sigmoid unit, RMSprop, binary cross-entropy,
validation_split=0.2).

Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/6.2-understanding-recurrent-neural-networks.ipynb
Original code, relevant lines:
    max_features = 10000  # number of words to consider as features
    maxlen = 500  # cut texts after this many words
    input_train = sequence.pad_sequences(input_train, maxlen=maxlen)
    model = Sequential()
    model.add(Embedding(max_features, 32))
    model.add(SimpleRNN(32))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['acc'])
    history = model.fit(input_train, y_train, epochs=10, batch_size=128, validation_split=0.2)
Port: IMDB replaced by offline_data.tokens(3000, length=20, vocab=2000), re-padded at the
front as pad_sequences does; max_features 10000 -> 2000 (the offline vocabulary), maxlen 500
-> 20; 10 epochs and batch 128 kept. (With 1,500 rows of 40 tokens the RNN memorized the
training rows and stayed at chance on held-out rows; 3,000 rows of 20 tokens generalize.)
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_simplernn_imdb",
    "source": "https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/6.2-understanding-recurrent-neural-networks.ipynb",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Embedding", "SimpleRNN", "Dense"),
}


def _pad_front(x):
    """Move each row's tokens to the end (zeros in front), as pad_sequences(padding='pre')."""
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        words = row[row != 0]
        out[i, len(row) - len(words):] = words
    return out


def build(seed):
    """Embedding + SimpleRNN sentiment classifier."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tokens(3000, length=20, vocab=2000, seed=seed)
    x = _pad_front(x)
    model = keras.Sequential([
        keras.Input(shape=(20,), dtype="int32"),
        keras.layers.Embedding(2000, 32),
        keras.layers.SimpleRNN(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model, x, y, {"epochs": 10, "batch_size": 128, "validation_split": 0.2}
