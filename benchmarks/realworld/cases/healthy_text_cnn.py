"""Healthy: the keras.io "Text classification from scratch" model (Embedding, Dropout, two
strided Conv1D, GlobalMaxPooling1D, Dense, Dropout, one sigmoid unit, binary cross-entropy,
Adam).

Source: https://keras.io/examples/nlp/text_classification_from_scratch/ (keras-team/keras-io,
examples/nlp/text_classification_from_scratch.py)
Original code, relevant lines:
    max_features = 20000
    embedding_dim = 128
    sequence_length = 500
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    epochs = 3
Port: the IMDB text files and TextVectorization replaced by offline_data.tokens(1500,
length=60, vocab=2000) (token ids already, binary labels); max_features 20000 -> 2000 (the
offline vocabulary), sequence_length 500 -> 60; 3 epochs raised to 5, batch 32 as the
original's text_dataset_from_directory batches.
"""

import keras
from keras import layers

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_text_cnn",
    "source": "https://keras.io/examples/nlp/text_classification_from_scratch/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Embedding", "Dropout", "Conv1D", "GlobalMaxPooling1D", "Dense"),
}


def build(seed):
    """Embedding + strided Conv1D + global max pooling sentiment classifier."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.tokens(1500, length=60, vocab=2000, seed=seed)
    inputs = keras.Input(shape=(None,), dtype="int64")
    h = layers.Embedding(2000, 128)(inputs)
    h = layers.Dropout(0.5)(h)
    h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
    h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
    h = layers.GlobalMaxPooling1D()(h)
    h = layers.Dense(128, activation="relu")(h)
    h = layers.Dropout(0.5)(h)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(h)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"epochs": 5, "batch_size": 32}
