"""Network shapes: the `model` config group (mlp, cnn, rnn), built with Keras from the
architecture record (experiments.variants.architecture).

The output head follows the task: sigmoid + binary cross-entropy, softmax + categorical
cross-entropy, or linear + mean squared error. Layer i of the record draws its kernel, bias
and dropout mask from layer_seed(seed, i, ...).
"""

from experiments.variants.activation import keras_activation
from experiments.variants.architecture import (  # noqa: F401  (re-exported)
    HEADS,
    architecture,
    head_index,
    keras_default_head,
    kernel_shapes,
    output_units,
    uses_bias,
)
from experiments.variants.bias_init import make_bias_initializer
from experiments.variants.init import layer_seed, make_initializer
from experiments.variants.registry import Registry
from experiments.variants.regularization import make_regularization

MODEL = Registry("model")
for _name in ("mlp", "cnn", "rnn"):
    MODEL.register(_name)(_name)

OUTPUT_LAYERS = ("same", "keras_default")
KERAS_DEFAULT_INIT = {"name": "glorot"}  # Dense's default kernel initializer, seeded here
KERAS_DEFAULT_BIAS = {"name": "zeros"}


def layer_uses_bias(cfg_model, layer):
    """Whether weighted layer `layer` (head_index = output) has a bias."""
    if layer == head_index(cfg_model) and keras_default_head(cfg_model):
        return True
    return uses_bias(cfg_model)


def layer_inits(cfg, layer):
    """(init node, bias_init node) that weighted layer `layer` draws from."""
    if layer == head_index(cfg.model) and keras_default_head(cfg.model):
        return KERAS_DEFAULT_INIT, KERAS_DEFAULT_BIAS
    # a config node, or the engine's settings (attributes only)
    return cfg.init, cfg.get("bias_init") if hasattr(cfg, "get") else cfg.bias_init


def model_layers(cfg, task, n_classes, vocab=0):
    """The architecture record of config `cfg` for a task."""
    _, dropout = make_regularization(cfg.regularization)
    return architecture(cfg.model, cfg.activation.name, task, n_classes, dropout, vocab)


def _keras_layer(spec, cfg, seed, fan_in, regularizer):
    """The Keras layer of one LayerSpec, its draws seeded by layer_seed(seed, spec.index)."""
    import keras  # TensorFlow loads only when a network is built

    if spec.kind in ("dense", "conv2d", "recurrent"):
        init, bias_init = layer_inits(cfg, spec.index)
        kw = dict(use_bias=layer_uses_bias(cfg.model, spec.index),
                  kernel_initializer=make_initializer(init, layer_seed(seed, spec.index)),
                  bias_initializer=make_bias_initializer(init, bias_init, seed, spec.index,
                                                         fan_in),
                  kernel_regularizer=regularizer,
                  name=("output" if spec.head else f"hidden_{spec.index}"))
        activation = (keras_activation(spec.activation) if not spec.head else spec.activation)
        if spec.kind == "dense":
            return keras.layers.Dense(spec.units, activation=activation if spec.fused else None,
                                      **kw)
        if spec.kind == "conv2d":
            return keras.layers.Conv2D(spec.units, spec.kernel_size, padding="same",
                                       activation=activation if spec.fused else None, **kw)
        cell = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
                "simple": keras.layers.SimpleRNN}[spec.cell]
        # the input and recurrent kernels both come from `init` (constant init: symmetric)
        kw["recurrent_initializer"] = make_initializer(init, layer_seed(seed, spec.index,
                                                                        "recurrent"))
        return cell(spec.units, return_sequences=spec.sequences, **kw)
    if spec.kind == "embedding":
        return keras.layers.Embedding(
            spec.vocab, spec.units, name=f"embedding_{spec.index}",
            embeddings_initializer=keras.initializers.RandomUniform(
                -0.05, 0.05, seed=layer_seed(seed, spec.index)))
    if spec.kind == "pool":
        pool = keras.layers.MaxPooling2D if spec.pool == "max" else keras.layers.AveragePooling2D
        return pool(2)
    if spec.kind == "flatten":
        return keras.layers.Flatten()
    if spec.kind == "batchnorm":
        return keras.layers.BatchNormalization(name=f"batchnorm_{spec.follows}")
    raise ValueError(f"no Keras layer for {spec.kind!r}")


def build_model(cfg, input_shape, task, n_classes, seed, vocab=0):
    """The Keras Sequential network of config `cfg` for inputs of `input_shape` (an int: a
    table's features); layer i draws from layer_seed(seed, i) (kernel, bias and dropout)."""
    import keras

    from experiments.variants.architecture import output_shapes

    input_shape = (int(input_shape),) if isinstance(input_shape, int) else tuple(input_shape)
    regularizer, _ = make_regularization(cfg.regularization)
    specs = model_layers(cfg, task, n_classes, vocab)
    shapes = kernel_shapes(specs, input_shape)
    layers, shape = [keras.Input(shape=input_shape)], input_shape
    for spec, after in zip(specs, output_shapes(specs, input_shape), strict=True):
        if spec.kind == "flatten" and len(shape) == 1:
            continue  # a table is flat already: the mlp's layers stay Dense only
        if spec.kind == "dropout":
            layers.append(keras.layers.Dropout(spec.rate,
                                               seed=layer_seed(seed, spec.follows, "dropout")))
        else:
            fan_in = shapes[spec.index][1] if spec.weighted else 0
            layers.append(_keras_layer(spec, cfg, seed, fan_in, regularizer))
            if spec.kind == "batchnorm":
                layers.append(keras.layers.Activation(keras_activation(spec.activation),
                                                      name=f"activation_{spec.follows}"))
        shape = after
    return keras.Sequential(layers)


def check_model(cfg, kind):
    """ConfigError (one line naming the key, the value and what is allowed) for a model that
    is not defined with the rest of `cfg` on data of `kind` (dataset_kind of the dataset)."""
    from experiments.variants.architecture import check_model_input
    from experiments.variants.registry import ConfigError

    model = cfg.model
    check_model_input(model, kind)
    if model["name"] != "mlp" and cfg.init["name"] == "rai":
        raise ConfigError(f"init=rai: draws Dense kernels only, not for model={model['name']}; "
                          "allowed: any other initializer")
    if cfg.regularization["name"] == "dropout" and int(model.get("depth", 1)) == 0:
        raise ConfigError("regularization=dropout: Dropout follows hidden Dense layers and "
                          "model.depth=0 has none; allowed: model.depth >= 1, or another "
                          "regularization")
