"""101-class image CNN with one sigmoid output unit trained with categorical cross-entropy.

Source: https://stackoverflow.com/questions/70589997 ("Keras loss: 0.0000e+00 and accuracy stays
constant"), in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/70589997/bug.py
Symptom, as reported: the title: the loss is 0.0000e+00 and the accuracy stays constant.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(1, activation='sigmoid') under categorical_crossentropy
with 101 integer labels: the loss normalizes the single output to 1, so it is 0 and sends no
gradient; 101 classes need Dense(101, softmax) and a matching loss. -> loss_output_mismatch
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(100, 128 * 128 * 3, n_classes=101, n_informative=51, random_state=42)
    model.add(Conv2D(32, kernel_size=5, activation='relu', input_shape=(128, 128, 3))); MaxPooling2D
    model.add(Conv2D(64, kernel_size=5, activation='relu')); MaxPooling2D
    model.add(Conv2D(128, kernel_size=3, activation='relu')); MaxPooling2D
    model.add(Conv2D(256, kernel_size=3, activation='relu')); MaxPooling2D((2, 2))
    model.add(Flatten()); model.add(Dense(1, activation='sigmoid'))
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    model.fit(X, y, epochs=75)
Port: same data recipe at 56 x 56 x 3 instead of 128 x 128 x 3 (near the smallest size the four
conv/pool stages accept); 75 epochs reduced to 5.
"""

import keras
from sklearn.datasets import make_classification

CASE = {
    "id": "so_70589997",
    "source": "https://stackoverflow.com/questions/70589997",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/70589997/bug.py",
    "cause": "loss_output_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
}

SIZE = 56


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(100, SIZE * SIZE * 3, n_classes=101, n_informative=51,
                               random_state=42)
    x = x.reshape(-1, SIZE, SIZE, 3).astype("float32")
    model = keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        keras.layers.Conv2D(32, kernel_size=5, activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=5, activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(128, kernel_size=3, activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(256, kernel_size=3, activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model, x, y.reshape(-1, 1).astype("float32"), {"epochs": 5}
