"""Healthy: the classifier of keras.io "Structured data classification from scratch"
(normalized numeric features, Dense(32, relu), Dropout(0.5), one sigmoid unit, binary
cross-entropy, Adam, validation data held out).

Source: https://keras.io/examples/structured_data/structured_data_classification_from_scratch/
(keras-team/keras-io, examples/structured_data/structured_data_classification_from_scratch.py)
Original code, relevant lines:
    def encode_numerical_feature(feature, name, dataset):
        normalizer = Normalization()
        ...
    x = layers.Dense(32, activation="relu")(all_features)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(all_inputs, output)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(train_ds, epochs=50, validation_data=val_ds)
Port: the Cleveland heart-disease CSV (303 rows, mixed features) replaced by
offline_data.breast_cancer() (569 rows, 30 numeric features in raw units), each standardized
with scikit-learn's StandardScaler (the Normalization layers' job), rows shuffled;
validation_data -> validation_split=0.2; 50 epochs reduced to 30, batch 32 as the original's
dataset batches.
"""

import keras
import numpy as np
from sklearn.preprocessing import StandardScaler

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_structured_binary",
    "source": "https://keras.io/examples/structured_data/structured_data_classification_from_scratch/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """Dense(32)-Dropout-sigmoid classifier on standardized breast-cancer features."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.breast_cancer()
    rows = np.random.default_rng(seed).permutation(len(x))
    x, y = StandardScaler().fit_transform(x[rows]).astype("float32"), y[rows]
    inputs = keras.Input(shape=(30,))
    h = keras.layers.Dense(32, activation="relu")(inputs)
    h = keras.layers.Dropout(0.5)(h)
    output = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, output)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model, x, y, {"epochs": 30, "batch_size": 32, "validation_split": 0.2}
