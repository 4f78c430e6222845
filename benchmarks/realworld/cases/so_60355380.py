"""Small-image CNN (5 x 5 inputs, six conv layers) whose output is a softmax over one unit.

Source: https://stackoverflow.com/questions/60355380 ("Validation accurary doesn't get better"), in
ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/60355380/bug.py
Symptom, as reported: the title: the (validation) accuracy does not improve.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(activation="softmax", units=1), which is 1.0 for every
input. -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(1000, 25); X = X.reshape(-1, 5, 5, 1)
    start_cnn.add(Conv2D(32, (3, 3), input_shape=(5, 5, 1), activation='relu', padding='same'))
    start_cnn.add(Conv2D(32, (3, 3), activation='relu')); MaxPooling2D(padding='same')
    2 x Conv2D(128, (3, 3), activation='relu', padding='same'); MaxPooling2D(padding='same')  (twice)
    Flatten; Dense(relu, 128); Dense(relu, 64); Dense(relu, 32)
    start_cnn.add(Dense(activation="softmax", units=1))
    start_cnn.compile(Adam(learning_rate=0.001), loss='binary_crossentropy', metrics=['accuracy'])
    start_cnn.fit(X_train, y_train, steps_per_epoch=234, epochs=100, validation_data=(X_test, y_test))
Port: same data recipe (67% stratified training split); steps_per_epoch=234 (more steps than
the 21 batches the data hold, which Keras 3 refuses to repeat) and validation_data dropped;
100 epochs reduced to 5.
"""

import keras
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

CASE = {
    "id": "so_60355380",
    "source": "https://stackoverflow.com/questions/60355380",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/60355380/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(1000, 25, random_state=seed)
    x = x.reshape(-1, 5, 5, 1)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.33, random_state=42, stratify=y)
    layers = [keras.Input((5, 5, 1)),
              keras.layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
              keras.layers.Conv2D(32, (3, 3), activation="relu"),
              keras.layers.MaxPooling2D(padding="same")]
    for _ in range(2):
        layers += [keras.layers.Conv2D(128, (3, 3), activation="relu", padding="same")
                   for _ in range(2)]
        layers.append(keras.layers.MaxPooling2D(padding="same"))
    layers += [keras.layers.Flatten(),
               keras.layers.Dense(128, activation="relu"),
               keras.layers.Dense(64, activation="relu"),
               keras.layers.Dense(32, activation="relu"),
               keras.layers.Dense(1, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(learning_rate=0.001), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model, x_train, y_train, {"epochs": 5}
