"""Network shapes: the `model` config group.

`mlp`: `depth` hidden Dense layers of `width` units (Dropout after each when regularization is
dropout), with biases unless `use_bias` is false; the output head follows the task: sigmoid +
binary cross-entropy, softmax + categorical cross-entropy, or linear + mean squared error.
"""

from experiments.variants.activation import keras_activation
from experiments.variants.bias_init import make_bias_initializer
from experiments.variants.init import layer_seed, make_initializer
from experiments.variants.registry import Registry
from experiments.variants.regularization import make_regularization

MODEL = Registry("model")

HEADS = {  # task -> (output activation, Keras loss)
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "regression": ("linear", "mean_squared_error"),
}


def output_units(task, n_classes):
    return n_classes if task == "multiclass" else 1


def uses_bias(cfg_model):
    """model.use_bias, true when the node does not say."""
    return bool(cfg_model.get("use_bias", True))


def _dense(cfg, units, activation, seed, layer, fan_in, regularizer, name):
    """Dense layer `layer` (0 = first hidden, depth = output) with its seeded initializers."""
    import keras  # TensorFlow loads only when a network is built

    return keras.layers.Dense(
        units,
        activation=activation,
        use_bias=uses_bias(cfg.model),
        kernel_initializer=make_initializer(cfg.init, layer_seed(seed, layer)),
        bias_initializer=make_bias_initializer(cfg.init, cfg.get("bias_init"), seed, layer,
                                               fan_in),
        kernel_regularizer=regularizer,
        name=name,
    )


@MODEL.register("mlp")
def mlp(cfg, n_features, task, n_classes, seed):
    """Sequential MLP; layer i draws from layer_seed(seed, i) (kernel, bias and dropout)."""
    import keras

    regularizer, dropout = make_regularization(cfg.regularization)
    depth, width = cfg.model.depth, cfg.model.width
    activation = keras_activation(cfg.activation.name)
    layers = [keras.Input(shape=(n_features,))]
    for i in range(depth):
        fan_in = n_features if i == 0 else width
        layers.append(_dense(cfg, width, activation, seed, i, fan_in, regularizer, f"hidden_{i}"))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, seed=layer_seed(seed, i, "dropout")))
    layers.append(_dense(cfg, output_units(task, n_classes), HEADS[task][0], seed, depth,
                         n_features if depth == 0 else width, regularizer, "output"))
    return keras.Sequential(layers)


def build_model(cfg, n_features, task, n_classes, seed):
    return MODEL.get(cfg.model.name)(cfg, n_features, task, n_classes, seed)
