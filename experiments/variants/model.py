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


OUTPUT_LAYERS = ("same", "keras_default")
KERAS_DEFAULT_INIT = {"name": "glorot"}  # Dense's default kernel initializer, seeded here
KERAS_DEFAULT_BIAS = {"name": "zeros"}


def uses_bias(cfg_model):
    """model.use_bias, true when the node does not say."""
    return bool(cfg_model.get("use_bias", True))


def keras_default_head(cfg_model):
    """model.output_layer=keras_default: the output layer as a plain keras Dense (Glorot
    uniform kernel, zero bias, with a bias) whatever init, bias_init and use_bias say."""
    return cfg_model.get("output_layer", "same") == "keras_default"


def layer_uses_bias(cfg_model, layer):
    """Whether Dense layer `layer` (0 = first hidden, depth = output) has a bias."""
    if layer == cfg_model["depth"] and keras_default_head(cfg_model):
        return True
    return uses_bias(cfg_model)


def layer_inits(cfg, layer):
    """(init node, bias_init node) that Dense layer `layer` draws from."""
    if layer == cfg.model["depth"] and keras_default_head(cfg.model):
        return KERAS_DEFAULT_INIT, KERAS_DEFAULT_BIAS
    # a config node, or the engine's settings (attributes only)
    return cfg.init, cfg.get("bias_init") if hasattr(cfg, "get") else cfg.bias_init


def _dense(cfg, units, activation, seed, layer, fan_in, regularizer, name):
    """Dense layer `layer` (0 = first hidden, depth = output) with its seeded initializers."""
    import keras  # TensorFlow loads only when a network is built

    init, bias_init = layer_inits(cfg, layer)
    return keras.layers.Dense(
        units,
        activation=activation,
        use_bias=layer_uses_bias(cfg.model, layer),
        kernel_initializer=make_initializer(init, layer_seed(seed, layer)),
        bias_initializer=make_bias_initializer(init, bias_init, seed, layer, fan_in),
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
