"""Nielsen's 784-30-10 MNIST network written in Keras without any activation functions.

Source: https://stackoverflow.com/questions/48385830 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/48385830)
Symptom, as reported (benchmark table): loss NaN, accuracy 0.0987 (chance for 10 digits).
Settled cause: the benchmark's Correct Code (and patch table) add activation='sigmoid' to the
hidden Dense(30) and activation='softmax' to the output Dense(10), and switch the loss from
mean squared error to categorical cross-entropy, keeping SGD(lr=3.0) and the N(0, 1)
initializers. The missing activations make the network linear, and with lr=3.0 its MSE
diverges to NaN. None of the vocabulary names says "no activation functions".
-> None (other: missing hidden/output activations)
Original code, relevant lines:
    x_train /= 255
    y_train = keras.utils.to_categorical(y_train, num_classes)
    layer1 = Dense(30, input_shape=input_shape, kernel_initializer=RandomNormal(stddev=1),
                   bias_initializer=RandomNormal(stddev=1))
    layer2 = Dense(10, kernel_initializer=RandomNormal(stddev=1),
                   bias_initializer=RandomNormal(stddev=1))
    model.compile(optimizer=SGD(lr=3.0), loss='mean_squared_error', metrics=['accuracy'])
    model.fit(x_train, y_train, batch_size=10, epochs=30, verbose=1, ...)
Port: MNIST replaced by offline_data.mnist_like(1000) flattened to 784 and scaled by 1/255 as
in the original; labels one-hot; batch 10; 30 epochs reduced to 1 (the weights are NaN within
the first epoch).
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_48385830",
    "source": "https://stackoverflow.com/questions/48385830",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/48385830",
    "cause": None,
    "other": "no activation functions (linear 784-30-10 network); the fix adds sigmoid/softmax "
             "and categorical cross-entropy",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    images, labels = offline_data.mnist_like(1000, seed=seed)
    x = images.reshape(len(images), 28 * 28).astype("float32")
    x /= 255
    y = keras.utils.to_categorical(labels, 10)
    normal = lambda: keras.initializers.RandomNormal(stddev=1)  # noqa: E731
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(30, kernel_initializer=normal(), bias_initializer=normal()),
        keras.layers.Dense(10, kernel_initializer=normal(), bias_initializer=normal()),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=3.0),
                  loss="mean_squared_error", metrics=["accuracy"])
    return model, x, y, {"epochs": 1, "batch_size": 10}
