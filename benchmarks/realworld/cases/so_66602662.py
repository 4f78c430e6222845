"""Five-class classifier with one sigmoid output unit and a from_logits categorical cross-entropy.

Source: https://stackoverflow.com/questions/66602662 ("Keras multi classifier is always giving 0
output"), in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/66602662/bug.py
Symptom, as reported: the title: the multi-class classifier always gives class 0.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program pairs a single sigmoid unit with
CategoricalCrossentropy(from_logits=True) on integer labels 0..4: the loss's softmax over one
logit is 1, the loss is 0 and no gradient reaches the weights; five classes need five output
units and a matching loss. -> loss_output_mismatch
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(1000, 5, n_classes=5, n_informative=4, n_redundant=0, random_state=42)
    tf.keras.layers.Dense(32, activation='relu'),
    tf.keras.layers.Dense(16, activation='relu'), tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(8, activation='relu'), tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(1, activation='sigmoid')
    model.compile(optimizer='adam', loss=CategoricalCrossentropy(from_logits=True))
    model.fit(X, y, epochs=20, batch_size=24)
Port: same data recipe (random_state=42 as the original); 20 epochs reduced to 5; labels given
as a (n, 1) column so that Keras 3's shape check accepts them against the one-unit output.
"""

import keras
from sklearn.datasets import make_classification

CASE = {
    "id": "so_66602662",
    "source": "https://stackoverflow.com/questions/66602662",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/66602662/bug.py",
    "cause": "loss_output_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(1000, 5, n_classes=5, n_informative=4, n_redundant=0,
                               random_state=42)
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    return model, x, y.reshape(-1, 1).astype("float32"), {"epochs": 5, "batch_size": 24}
