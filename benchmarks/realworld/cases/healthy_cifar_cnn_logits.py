"""Healthy: the TensorFlow "Convolutional Neural Network (CNN)" tutorial on CIFAR-10: three
Conv2D with two MaxPooling2D, Flatten, Dense(64), a linear Dense(10) output and sparse
categorical cross-entropy with from_logits=True.

Source: https://www.tensorflow.org/tutorials/images/cnn (tensorflow/docs,
site/en/tutorials/images/cnn.ipynb)
Original code, relevant lines:
    train_images, test_images = train_images / 255.0, test_images / 255.0
    model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation='relu'))
    model.add(layers.Dense(10))
    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    history = model.fit(train_images, train_labels, epochs=10, ...)
Port: CIFAR-10 replaced by offline_data.cifar_like(1000) (32x32x3 uint8, 10 classes, scaled
/ 255 as the original); 10 epochs reduced to 6; Keras' default batch size 32.
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_cifar_cnn_logits",
    "source": "https://www.tensorflow.org/tutorials/images/cnn",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
}


def build(seed):
    """The tutorial's CNN on CIFAR-like images, integer labels, logits output."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.cifar_like(1500, seed=seed)
    x = x.astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 6, "batch_size": 32}
