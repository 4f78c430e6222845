"""ResNet50 overfits 3 images in training mode, but predict() gives one class for all three.

Source: https://stackoverflow.com/questions/47157526 ("ResNet: 100% accuracy during
training, but 33% prediction accuracy with the same data")
Symptom, as reported: training accuracy reaches 1.0 on three images, but model.predict on
the same three images gives ~[0, 1, 0] for each: "all images got label=[0,1,0]".
Settled cause: the accepted answer: "It's because of the batch normalization layers." In
training the batch is normalized by its own mean and variance; at prediction time by the
moving averages, which start at mean 0 / variance 1 and with momentum 0.99 are still near
those values after 5 updates, so they do not fit the data (forcing training mode, or a lower
momentum, makes predict() agree with fit()). -> batchnorm_statistics
Original code, relevant lines:
    imgs = np.array([np.array(Image.open(...).resize((197, 197), ...)) ...]).reshape(-1,197,197,1)
    y = np.array([[1,0,0],[0,1,0],[0,0,1]])
    model = ResNet50(input_shape=(197, 197,1), classes=3, weights=None)
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['acc'])
    model.fit(imgs, y, epochs=5, shuffle=True)
    print(model.predict(imgs))
Port: the asker's three grayscale photos (raw 0..255, as the original fed them) become three
grayscale offline_data.cifar_like images, one per class, at 32x32 (the smallest ResNet50 accepts) instead of 197x197, for speed;
model (keras.applications.ResNet50, weights=None, no download), loss, optimizer, epochs and
shuffle as the original (compiled with run_eagerly=True: tracing ResNet50's
training graph alone takes far longer than the 5 one-batch epochs).
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_47157526",
    "source": "https://stackoverflow.com/questions/47157526",
    "benchmark": "",
    "cause": "batchnorm_statistics",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "BatchNormalization", "Activation", "ZeroPadding2D", "MaxPooling2D",
               "Add", "GlobalAveragePooling2D", "Dense"),
}


def build(seed):
    keras.utils.set_random_seed(seed)
    imgs, labels = offline_data.cifar_like(30, seed=seed, classes=3, size=32)
    rows = [int(np.flatnonzero(labels == c)[0]) for c in range(3)]
    gray = imgs[rows].astype("float32").mean(axis=3)
    x = gray.reshape(-1, 32, 32, 1)
    y = np.eye(3, dtype="float32")
    model = keras.applications.ResNet50(input_shape=(32, 32, 1), classes=3, weights=None)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"],
                  run_eagerly=True)
    return model, x, y, {"epochs": 5, "shuffle": True}
