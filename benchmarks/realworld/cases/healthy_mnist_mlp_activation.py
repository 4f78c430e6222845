"""Healthy: the Keras "mnist_mlp.py" example as written in Keras 1 (Dense then a separate
Activation('relu') layer, Dropout(0.2), twice; Dense(10) then Activation('softmax'); one-hot
labels, categorical cross-entropy, RMSprop).

Source: https://github.com/keras-team/keras/blob/1.2.2/examples/mnist_mlp.py
(keras-team/keras, examples/mnist_mlp.py)
Original code, relevant lines:
    X_train = X_train.reshape(60000, 784)
    X_train /= 255
    Y_train = np_utils.to_categorical(y_train, nb_classes)
    model.add(Dense(512, input_shape=(784,)))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(512))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(10))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    history = model.fit(X_train, Y_train, batch_size=128, nb_epoch=20, ...)
Port: MNIST replaced by offline_data.mnist_like(2000) flattened to 784 and scaled / 255 as the
original; 20 epochs reduced to 10; batch 128 kept.
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_mnist_mlp_activation",
    "source": "https://github.com/keras-team/keras/blob/1.2.2/examples/mnist_mlp.py",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Dense", "Activation", "Dropout"),
}


def build(seed):
    """Two-hidden-layer MLP with separate Activation layers on flattened MNIST-like digits."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.mnist_like(2000, seed=seed)
    x = x.reshape(len(x), 784).astype("float32") / 255
    y = keras.utils.to_categorical(y, 10)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512),
        keras.layers.Activation("relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(512),
        keras.layers.Activation("relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
        keras.layers.Activation("softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(),
                  metrics=["accuracy"])
    return model, x, y, {"batch_size": 128, "epochs": 10}
