"""Healthy: a keras.Sequential convolutional backbone called as a layer inside a functional
model, as the `conv_base` of keras.io "Introduction to Keras for engineers" (there inside a
subclassed model; the functional API guide: "you can treat any model as if it were a layer").

Source: https://keras.io/guides/intro_to_keras_for_engineers/ (keras-team/keras-io,
guides/intro_to_keras_for_engineers.py, class MyModel); https://keras.io/guides/functional_api/
("All models are callable, just like layers")
Original code, relevant lines:
    self.conv_base = keras.Sequential([
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
    ])
    self.dp = MyDropout(0.5)
    self.dense = MyDense(num_classes, activation="softmax")
    loss=keras.losses.SparseCategoricalCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    model.fit(x_train, y_train, batch_size=batch_size, epochs=1, validation_split=0.15)
Port: MNIST replaced by offline_data.cifar_like(1200) (32x32x3, scaled / 255); the subclassed
wrapper written as a functional model with the built-in Dropout and Dense layers; filters
64/64/128/128 reduced to 16/16/32/32; 1 epoch raised to 14; batch 128 lowered to 32.
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "healthy_nested_sequential_backbone",
    "source": "https://keras.io/guides/intro_to_keras_for_engineers/",
    "benchmark": "",
    "cause": None,
    "healthy": True,
    "also": (),
    "layers": ("Sequential", "Conv2D", "MaxPooling2D", "GlobalAveragePooling2D", "Dropout",
               "Dense"),
}


def build(seed):
    """Functional model around a nested Sequential conv backbone, CIFAR-like images."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.cifar_like(1200, seed=seed)
    x = x.astype("float32") / 255.0
    conv_base = keras.Sequential([
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
    ], name="conv_base")
    inputs = keras.Input(shape=(32, 32, 3))
    h = conv_base(inputs)
    h = keras.layers.Dropout(0.5)(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(),
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    return model, x, y, {"batch_size": 32, "epochs": 14, "validation_split": 0.15}
