"""MNIST convnet (the TensorFlow "Deep MNIST" tutorial in Keras) with a ReLU output layer.

Source: https://stackoverflow.com/questions/47352366 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/47352366)
Symptom, as reported (benchmark table): loss NaN, accuracy 0.06; the network does not learn
and its outputs are NaN for every image.
Settled cause: the benchmark's Correct Code (and patch table) change the last layer from
Dense(units = 10, activation = "relu") to activation = "softmax": categorical cross-entropy
needs a probability output, and ReLU "probabilities" are unbounded and can be all zero.
-> output_range_mismatch (ReLU on the class outputs)
Original code, relevant lines:
    mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)   # 784 floats in [0, 1]
    bias_initializer = keras.initializers.Constant(value = 0.1)
    model.add(Reshape((28, 28, 1), input_shape=(784,)))
    model.add(Conv2D(filters = 32, kernel_size =(5,5), padding = 'same', activation = "relu", ...))
    model.add(MaxPooling2D(padding='same'))
    model.add(Conv2D(filters = 64, kernel_size = (5,5), padding = 'same', activation = "relu", ...))
    model.add(MaxPooling2D(padding='same'))
    model.add(Reshape((1,7*7*neurons_nb_layer_2)))
    model.add(Dense(units = 1024, activation = "relu", bias_initializer = bias_initializer))
    model.add(Dropout(rate = 0.5))
    model.add(Flatten())
    model.add(Dense(units = 10, activation = "relu"))
    model.compile(loss = keras.losses.categorical_crossentropy, optimizer = 'adam', ...)
    for i in range(600):
        batch = mnist.train.next_batch(50); model.train_on_batch(batch[0], batch[1])
Port: MNIST replaced by offline_data.mnist_like(1000) flattened to 784 and scaled to [0, 1] (as
input_data delivers it), labels one-hot; the 600 train_on_batch steps of 50 become fit() with
batch_size 50 for 3 epochs (60 steps). Under Keras 3 the loss does not become NaN (its
cross-entropy renormalizes the outputs); it sticks at 3.64 with accuracy 0.09 and one class
(the largest ReLU output is the same unit for every image) predicted for all rows.
"""

import keras
import numpy as np

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_47352366",
    "source": "https://stackoverflow.com/questions/47352366",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/47352366",
    "cause": "output_range_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Reshape", "Conv2D", "MaxPooling2D", "Dense", "Dropout", "Flatten"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    images, labels = offline_data.mnist_like(1000, seed=seed)
    x = images.reshape(len(images), 784).astype("float32") / 255.0
    y = np.eye(10, dtype="float32")[labels]
    bias = keras.initializers.Constant(value=0.1)
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(32, (5, 5), padding="same", activation="relu",
                            bias_initializer=bias),
        keras.layers.MaxPooling2D(padding="same"),
        keras.layers.Conv2D(64, (5, 5), padding="same", activation="relu",
                            bias_initializer=bias),
        keras.layers.MaxPooling2D(padding="same"),
        keras.layers.Reshape((1, 7 * 7 * 64)),
        keras.layers.Dense(1024, activation="relu", bias_initializer=bias),
        keras.layers.Dropout(rate=0.5),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="relu"),
    ])
    model.compile(loss=keras.losses.categorical_crossentropy, optimizer="adam",
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 3, "batch_size": 50}
