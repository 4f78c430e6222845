"""The model's structure as the doctor reads it: its leaf layers (nested models opened up),
their activations, and which layers carry units.

Example:
    [layer.name for layer in leaf_layers(model)]
    [(dense.name, name) for dense, _, name in dense_units(model)]
"""

import math

import keras

SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign", "hard_tanh")
RELU_FAMILY = ("relu", "relu6")
ACTIVATION_LAYERS = ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax")
CONV_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D",
               "DepthwiseConv1D", "DepthwiseConv2D", "Conv1DTranspose", "Conv2DTranspose",
               "Conv3DTranspose")
RECURRENT_LAYERS = ("LSTM", "GRU", "SimpleRNN", "Bidirectional")
NORMALIZATION_LAYERS = ("BatchNormalization", "LayerNormalization", "GroupNormalization",
                        "UnitNormalization")


def unit_kind(layer):
    """'dense', 'conv' or 'recurrent' for a layer whose outputs are units; else None."""
    kind = type(layer).__name__
    if isinstance(layer, keras.layers.Dense) or kind in ("Dense", "EinsumDense"):
        return "dense"
    if kind in CONV_LAYERS:
        return "conv"
    if kind in RECURRENT_LAYERS:
        return "recurrent"
    return None


def leaf_layers(model):
    """Every layer of the model in order, nested models opened up."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += leaf_layers(layer)
        else:
            out.append(layer)
    return out


def activation_name(layer):
    """Name of a layer's activation function ('linear' for none), or None if it has none."""
    kind = type(layer).__name__
    if kind in ("ReLU",):
        return "relu"
    if kind in ("LeakyReLU", "ELU", "PReLU"):
        return {"LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu"}[kind]
    if kind == "Softmax":
        return "softmax"
    if kind == "Bidirectional":
        return activation_name(layer.forward_layer)
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    return getattr(fn, "__name__", type(fn).__name__)


def _feeds(layer, following):
    """Whether `following` takes exactly `layer`'s output as its input."""
    try:
        return following.input is layer.output
    except (AttributeError, ValueError):
        return False


def dense_units(model):
    """[(dense layer, layer giving its units' activations, activation name)] in order.

    A Dense layer with a linear activation followed directly by an activation layer
    (Dense(10) then ReLU()) has its units' activations at that following layer.
    """
    layers = leaf_layers(model)
    out = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Dense):
            continue
        source, name = layer, activation_name(layer)
        following = layers[i + 1] if i + 1 < len(layers) else None
        if (name == "linear" and following is not None
                and type(following).__name__ in ACTIVATION_LAYERS and _feeds(layer, following)):
            source, name = following, activation_name(following)
        out.append((layer, source, name))
    return out


_RANGES = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0),
           "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "hard_tanh": (-1.0, 1.0),
           "relu": (0.0, math.inf), "softplus": (0.0, math.inf), "exponential": (0.0, math.inf),
           "relu6": (0.0, 6.0), "elu": (-1.0, math.inf),
           "selu": (-1.7580993408473766, math.inf)}


def output_range(name):
    """(lowest, highest) value an activation can output; (-inf, inf) if unbounded."""
    return _RANGES.get(name, (-math.inf, math.inf))
