"""Healthy: the stacked recurrent model of the Keras "Working with RNNs" guide (Embedding,
GRU(return_sequences=True) feeding a SimpleRNN, a linear Dense(10) output), trained here as a
4-topic text classifier with sparse categorical cross-entropy from_logits=True.

Source: https://keras.io/guides/working_with_rnns/ ("Outputs and states"; keras-team/keras-io,
guides/working_with_rnns.py)
Original code, relevant lines:
    model = keras.Sequential()
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    # The output of GRU will be a 3D tensor of shape (batch_size, timesteps, 256)
    model.add(layers.GRU(256, return_sequences=True))
    # The output of SimpleRNN will be a 2D tensor of shape (batch_size, 128)
    model.add(layers.SimpleRNN(128))
    model.add(layers.Dense(10))
Port: the guide only builds the model; it is compiled here as the guide's other models are
(SparseCategoricalCrossentropy(from_logits=True) for the linear output; Adam) and trained on
offline_data.tokens(2500, length=20, vocab=1000, classes=4) (token ids, labels 0..3),
re-padded at the front as pad_sequences does; Dense(10) -> Dense(4) for the 4 topics; GRU
256 -> 64 and SimpleRNN 128 -> 64 units for speed; 6 epochs, batch 32. (With 1,200 rows of
30 tokens the stack memorized the training rows and reached only 0.55 on held-out rows.)
"""

import keras
import numpy as np
from keras import layers

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_gru_simplernn_stack",
    "source": "https://keras.io/guides/working_with_rnns/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Embedding", "GRU", "SimpleRNN", "Dense"),
}


def _pad_front(x):
    """Move each row's tokens to the end (zeros in front), as pad_sequences(padding='pre')."""
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        words = row[row != 0]
        out[i, len(row) - len(words):] = words
    return out


def build(seed):
    """Embedding -> GRU -> SimpleRNN -> logits over 4 topics."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tokens(2500, length=20, vocab=1000, classes=4, seed=seed)
    x = _pad_front(x)
    model = keras.Sequential([
        keras.Input(shape=(20,), dtype="int32"),
        layers.Embedding(input_dim=1000, output_dim=64),
        layers.GRU(64, return_sequences=True),
        layers.SimpleRNN(64),
        layers.Dense(4),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model, x, y, {"batch_size": 32, "epochs": 6}
