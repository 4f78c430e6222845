"""Network shapes: the `model` config group.

`mlp`: `depth` hidden Dense layers of `width` units (Dropout after each when regularization is
dropout); the output head follows the task: sigmoid + binary cross-entropy, softmax +
categorical cross-entropy, or linear + mean squared error.
"""

import keras

from experiments.activation import keras_activation
from experiments.init import make_initializer
from experiments.registry import Registry
from experiments.regularization import make_regularization

MODEL = Registry("model")

HEADS = {  # task -> (output activation, Keras loss)
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "regression": ("linear", "mean_squared_error"),
}


def output_units(task, n_classes):
    return n_classes if task == "multiclass" else 1


@MODEL.register("mlp")
def mlp(cfg, n_features, task, n_classes, seed):
    """Sequential MLP; layer i's kernel is initialized with seed + i."""
    regularizer, dropout = make_regularization(cfg.regularization)
    layers = [keras.Input(shape=(n_features,))]
    for i in range(cfg.model.depth):
        layers.append(
            keras.layers.Dense(
                cfg.model.width,
                activation=keras_activation(cfg.activation.name),
                kernel_initializer=make_initializer(cfg.init, seed + i),
                kernel_regularizer=regularizer,
                name=f"hidden_{i}",
            )
        )
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, seed=seed + 1000 + i))
    layers.append(
        keras.layers.Dense(
            output_units(task, n_classes),
            activation=HEADS[task][0],
            kernel_initializer=make_initializer(cfg.init, seed + cfg.model.depth),
            kernel_regularizer=regularizer,
            name="output",
        )
    )
    return keras.Sequential(layers)


def build_model(cfg, n_features, task, n_classes, seed):
    return MODEL.get(cfg.model.name)(cfg, n_features, task, n_classes, seed)
