"""Frozen VGG16 base with a Dense head whose output layer is a softmax over one unit.

Source: https://stackoverflow.com/questions/58392266 ("My binary classification model's accuracy
seems stuck: Where did i go wrong?"), in ali-ghanbari/deepmufl-ase-2023,
Dataset/all-bugs/58392266/bug.py
Symptom, as reported: the title: the binary classifier's accuracy is stuck.
Settled cause: deepmufl's bug.py and its labelled fault; the thread itself was not available.
The benchmark's reduced program keeps one fault, the single-unit softmax output
(exp(x)/exp(x) = 1 for every input). -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    X, y = make_classification(100, 57 * 57 * 3)
    X = X.reshape(-1, 57, 57, 3)
    vgg16_model = VGG16(weights="imagenet", include_top=False, input_tensor=Input(shape=(57, 57, 3)))
    for layer in vgg16_model.layers:
        layer.trainable = False
        model.add(layer)
    model.add(Flatten())
    model.add(Dense(4096, activation='relu'))
    model.add(Dense(1024, activation='relu'))
    model.add(Dense(1, activation='softmax'))
    model.compile(loss='binary_crossentropy', optimizer=Adam(learning_rate=1e-5), metrics=['accuracy'])
    model.fit(X, y, epochs=5, validation_split=0.1, verbose=2)
Port: same make_classification data (100 x 57 x 57 x 3); the frozen VGG16 base is built with
weights=None (no ImageNet weights may be downloaded), so it is frozen at its random
initialization; its layers are added to the Sequential model one by one as in the original
(without its InputLayer). 5 epochs reduced to 3 (for time; the output is 1 for every input from
the first step); validation_split and the rest as the original.
"""

import keras
from sklearn.datasets import make_classification

CASE = {
    "id": "so_58392266",
    "source": "https://stackoverflow.com/questions/58392266",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/58392266/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = make_classification(100, 57 * 57 * 3, random_state=seed)
    x = x.reshape(-1, 57, 57, 3)
    vgg16 = keras.applications.VGG16(weights=None, include_top=False,
                                     input_tensor=keras.Input((57, 57, 3)))
    model = keras.Sequential([keras.Input((57, 57, 3))])
    for layer in vgg16.layers[1:]:
        layer.trainable = False
        model.add(layer)
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(4096, activation="relu"))
    model.add(keras.layers.Dense(1024, activation="relu"))
    model.add(keras.layers.Dense(1, activation="softmax"))
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=1e-5),
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 3, "validation_split": 0.1}
