"""The architecture record: a network described once, as a list of layer specs.

`architecture(cfg_model, ...)` turns a `model` config node into a tuple of `LayerSpec`; the
Keras builder (experiments.variants.model), the engine, the probes and the memory plan read
that tuple instead of the config. Weighted layers are numbered in order (`index`): layer i
draws its kernel, bias and dropout mask from layer_seed(seed, i, ...), so an `mlp` of depth d
keeps indices 0..d-1 for its hidden layers and d for its output layer.

Models:
  mlp: `depth` Dense layers of `width` (image inputs are flattened first).
  cnn: `conv_layers` Conv2D layers of `filters` (kernel_size x kernel_size, 'same' padding),
       each followed by 2x2 pooling (`pooling`: max, average or none); Flatten; then `depth`
       Dense layers of `width`.
  rnn: an Embedding of `embedding` units for token inputs; `layers` recurrent layers (`cell`:
       lstm, gru or simple) of `units` (tanh, Keras's sigmoid gates; all but the last return
       sequences); then `depth` Dense layers of `width`.
Every model ends with the task's head. With `batchnorm`, each hidden Dense / Conv2D layer is
linear, then BatchNormalization, then the activation. Dropout (regularization=dropout) follows
every hidden Dense layer.
"""

from dataclasses import dataclass

from experiments.variants.registry import ConfigError

HEADS = {  # task -> (output activation, Keras loss)
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "regression": ("linear", "mean_squared_error"),
}
# Which data kinds (experiments.variants.dataset.dataset_kind) each model takes.
MODEL_INPUTS = {"mlp": ("table", "image"), "cnn": ("image",), "rnn": ("sequence", "tokens")}
CELLS = ("lstm", "gru", "simple")
GATES = {"lstm": 4, "gru": 3, "simple": 1}  # weight blocks per unit (Keras's kernel columns)
POOLINGS = ("max", "average", "none")
POOL_SIZE = 2


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a network.

    kind: dense, conv2d, recurrent, embedding (weighted: `index` >= 0), or pool, flatten,
    dropout, batchnorm (no seeded draws; batchnorm's gamma/beta start at 1/0).
    """

    kind: str
    index: int = -1  # weighted layers: 0, 1, ... in order; the seeds' layer number
    units: int = 0  # Dense units, Conv2D filters, recurrent units, Embedding dimension
    activation: str = ""  # hidden: the activation option; head: sigmoid, softmax or linear
    use_bias: bool = True
    head: bool = False  # the output layer
    fused: bool = True  # activation inside the layer (False with batchnorm: applied after it)
    kernel_size: int = 0  # conv2d
    pool: str = ""  # pool: max or average
    cell: str = ""  # recurrent: lstm, gru or simple
    sequences: bool = False  # recurrent: return every step's output
    vocab: int = 0  # embedding: input ids in [0, vocab)
    rate: float = 0.0  # dropout
    follows: int = -1  # batchnorm, dropout: the weighted layer they follow

    @property
    def weighted(self):
        return self.index >= 0

    @property
    def hidden(self):
        """A hidden layer the probes read (its activations and kernel)."""
        return self.kind in ("dense", "conv2d", "recurrent") and not self.head


def output_units(task, n_classes):
    return n_classes if task == "multiclass" else 1


def uses_bias(cfg_model):
    """model.use_bias, true when the node does not say."""
    return bool(cfg_model.get("use_bias", True))


def keras_default_head(cfg_model):
    """model.output_layer=keras_default: the output layer as a plain keras Dense (Glorot
    uniform kernel, zero bias, with a bias) whatever init, bias_init and use_bias say."""
    return cfg_model.get("output_layer", "same") == "keras_default"


def check_model_input(cfg_model, kind):
    """ConfigError (one line) if model option `cfg_model.name` is not defined on data of
    `kind`, or a model key is not defined for it."""
    name = cfg_model["name"]
    allowed = MODEL_INPUTS.get(name, ())
    if kind not in allowed:
        raise ConfigError(f"model={name}: not defined on {kind} data; allowed datasets: "
                          f"{' or '.join(allowed)} data")
    if name == "rnn":
        embedding = cfg_model.get("embedding")
        if kind == "tokens" and embedding is None:
            raise ConfigError("model.embedding=null: token data needs an Embedding; allowed: "
                              "an integer >= 1")
        if kind == "sequence" and embedding is not None:
            raise ConfigError(f"model.embedding={embedding!r}: an Embedding takes token ids, "
                              "not a series; allowed: null")
        if cfg_model.get("batchnorm", False):
            raise ConfigError("model.batchnorm=true: not defined for model=rnn; allowed: "
                              "false (batchnorm is for mlp and cnn)")


def head_index(cfg_model):
    """The output layer's index (the number of hidden weighted layers)."""
    name = cfg_model["name"]
    if name == "cnn":
        return int(cfg_model["conv_layers"]) + int(cfg_model["depth"])
    if name == "rnn":
        embedding = 1 if cfg_model.get("embedding") is not None else 0
        return embedding + int(cfg_model["layers"]) + int(cfg_model["depth"])
    return int(cfg_model["depth"])


def architecture(cfg_model, activation, task, n_classes, dropout=0.0, vocab=0):
    """The layers of model `cfg_model` (a config node or dict) for a task.

    Args:
        activation: the hidden activation option (cfg.activation.name).
        dropout: the Dropout rate after each hidden Dense layer (0: none).
        vocab: the token vocabulary (token data), for the Embedding.

    Returns:
        tuple of LayerSpec, input to output (no Input layer).
    """
    name = cfg_model["name"]
    bias, batchnorm = uses_bias(cfg_model), bool(cfg_model.get("batchnorm", False))
    layers, index = [], 0

    def hidden(kind, units, **kw):
        nonlocal index
        layers.append(LayerSpec(kind, index, units, activation, bias, fused=not batchnorm,
                                **kw))
        if batchnorm:
            layers.append(LayerSpec("batchnorm", units=units, activation=activation,
                                    follows=index))
        index += 1

    if name == "cnn":
        for _ in range(int(cfg_model["conv_layers"])):
            hidden("conv2d", int(cfg_model["filters"]), kernel_size=int(cfg_model["kernel_size"]))
            if cfg_model.get("pooling", "max") != "none":
                layers.append(LayerSpec("pool", pool=cfg_model.get("pooling", "max")))
        layers.append(LayerSpec("flatten"))
    elif name == "rnn":
        if cfg_model.get("embedding") is not None:
            layers.append(LayerSpec("embedding", index, int(cfg_model["embedding"]),
                                    vocab=int(vocab)))
            index += 1
        n_rec = int(cfg_model["layers"])
        for i in range(n_rec):
            layers.append(LayerSpec("recurrent", index, int(cfg_model["units"]), "tanh", bias,
                                    cell=cfg_model["cell"], sequences=i + 1 < n_rec))
            index += 1
    elif name != "mlp":
        raise ConfigError(f"model={name!r} is not an option; allowed: cnn, mlp, rnn")
    else:
        layers.append(LayerSpec("flatten"))  # a no-op on tables
    for _ in range(int(cfg_model["depth"])):
        hidden("dense", int(cfg_model["width"]))
        if dropout > 0:
            layers.append(LayerSpec("dropout", rate=float(dropout), follows=index - 1))
    default_head = keras_default_head(cfg_model)
    layers.append(LayerSpec("dense", index, output_units(task, n_classes), HEADS[task][0],
                            True if default_head else bias, head=True))
    return tuple(layers)


def weighted_layers(layers):
    return [layer for layer in layers if layer.weighted]


def hidden_layers(layers):
    return [layer for layer in layers if layer.hidden]


def output_shapes(layers, input_shape):
    """The shape (no batch axis) after every layer, for inputs of `input_shape`."""
    shape, out = tuple(int(s) for s in input_shape), []
    for layer in layers:
        if layer.kind == "conv2d":
            shape = (*shape[:2], layer.units)
        elif layer.kind == "pool":
            shape = (shape[0] // POOL_SIZE, shape[1] // POOL_SIZE, shape[2])
        elif layer.kind == "flatten":
            shape = (_prod(shape),)
        elif layer.kind == "embedding":
            shape = (*shape, layer.units)
        elif layer.kind == "recurrent":
            shape = (shape[0], layer.units) if layer.sequences else (layer.units,)
        elif layer.kind == "dense":
            shape = (*shape[:-1], layer.units)
        out.append(shape)
    return out


def kernel_shapes(layers, input_shape):
    """{index: (Keras kernel shape, fan_in)} of every weighted layer (the recurrent kernel of a
    recurrent layer is (units, gates * units) beside it; an Embedding's table is (vocab,
    units))."""
    shapes, shape = {}, tuple(int(s) for s in input_shape)
    for layer, after in zip(layers, output_shapes(layers, input_shape), strict=True):
        if layer.kind == "dense":
            shapes[layer.index] = ((shape[-1], layer.units), shape[-1])
        elif layer.kind == "conv2d":
            k = layer.kernel_size
            shapes[layer.index] = ((k, k, shape[-1], layer.units), k * k * shape[-1])
        elif layer.kind == "recurrent":
            shapes[layer.index] = ((shape[-1], GATES[layer.cell] * layer.units), shape[-1])
        elif layer.kind == "embedding":
            shapes[layer.index] = ((layer.vocab, layer.units), layer.vocab)
        shape = after
    return shapes


def _prod(shape):
    out = 1
    for s in shape:
        out *= int(s)
    return out
