"""The factor catalogue: every configuration value a results row records, written once.

The results schema (experiments.storage.schema.FACTOR_COLUMNS), the row's values and the
per-key checks (experiments.sweep.config: factor_values, validate), the report's display names
(analysis.style), the parameters that follow an option (analysis.aggregate.OPTION_OF), the
configs rebuilt from rows (analysis.reproduction) and the columns an older results file lacks
(analysis.load) all read this list, so a new factor is one entry here (plus, if its value is
not simply the config's, a reader in experiments.sweep.config).

Each factor reads the config at `path` ("lr", "model.depth", "dataset.label_noise"). A key
the config does not define reads `absent` (NaN, None for NA, or a default such as 1.0);
`REQUIRED` factors must be defined. A `nullable` factor may be null: it then reads missing
(NaN in a float column, None = NA in the others). The checks: a number (`low`, `high`, open or
closed bounds, `integer`), one of `choices`, or true/false for a boolean. `option_bounds`
replaces low and high when the option of the node holding the key is that name (model.depth
>= 1 for an mlp, >= 0 otherwise). `checked_by` names where a factor is checked instead of
here (a registry, the dataset's own check, a rule in validate).
"""

from dataclasses import dataclass


class _Required:
    def __repr__(self):
        return "REQUIRED"


REQUIRED = _Required()  # `absent` of a factor every config must define
NAN = float("nan")


@dataclass(frozen=True)
class Factor:
    """One configuration value recorded in every results row."""

    column: str  # results column
    path: str  # config key: "lr", "model.depth", "dataset.label_noise"
    dtype: str  # pandas dtype of the column
    display: str  # readable name in the report
    description: str  # what the value is, for the README and the report
    option: str | None = None  # the group whose option this parameter belongs to
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    choices: tuple | None = None  # allowed values of a string factor
    nullable: bool = False  # null allowed (it reads missing: NaN, or None = NA)
    absent: object = REQUIRED  # value when the config (or an older file) does not define it
    option_bounds: tuple = ()  # (option name, low, high): other bounds under that option
    checked_by: str | None = None  # checked there, not by the catalogue's bounds

    @property
    def group(self):
        """The config node holding the key ('model' for model.depth), None for a top-level key."""
        return self.path.split(".")[0] if "." in self.path else None

    @property
    def key(self):
        """The key inside its node ('depth' for model.depth)."""
        return self.path.split(".")[-1]

    def bounds(self, option=None):
        """(low, high) under the given option of the factor's node."""
        for name, low, high in self.option_bounds:
            if name == option:
                return low, high
        return self.low, self.high


FACTORS = (
    Factor("init", "init.name", "string", "initializer", "kernel initializer (conf/init/)",
           checked_by="the init registry"),
    Factor("init_value", "init.value", "float64", "constant init value",
           "constant initializer's value (NaN for other initializers)", option="init",
           absent=NAN),
    Factor("init_stddev", "init.stddev", "float64", "init stddev",
           "random_normal's stddev (NaN for other initializers)", option="init", low=0,
           low_open=True, absent=NAN),
    Factor("init_sigma_w", "init.sigma_w", "float64", "init sigma_w",
           "variance_scaling's sigma_w (NaN for other initializers)", option="init", low=0,
           low_open=True, absent=NAN),
    Factor("bias_init", "bias_init.name", "string", "bias initializer",
           "zeros, constant, normal, or rai (init=rai draws the biases with the kernel)",
           checked_by="the bias_init registry; validate's init=rai rule"),
    Factor("bias_value", "bias_init.value", "float64", "constant bias value",
           "constant bias's value (NaN for other bias options)", option="bias_init",
           absent=NAN),
    Factor("bias_stddev", "bias_init.stddev", "float64", "bias init stddev",
           "normal bias's stddev (NaN for other bias options)", option="bias_init", low=0,
           low_open=True, absent=NAN),
    Factor("use_bias", "model.use_bias", "boolean", "biases",
           "false: Dense layers without bias", absent=True),
    Factor("output_layer", "model.output_layer", "string", "output layer",
           "same, or keras_default (the output layer as a plain Keras Dense: Glorot kernel, "
           "zero bias, with bias)", choices=("same", "keras_default"), absent="same"),
    Factor("activation", "activation.name", "string", "activation",
           "hidden layers' activation (conf/activation/)", checked_by="the activation registry"),
    Factor("regularization", "regularization.name", "string", "regularization",
           "regularization option (conf/regularization/)",
           checked_by="the regularization registry"),
    Factor("reg_strength", "regularization.strength", "float64", "regularization strength",
           "L1/L2 factor, or dropout rate (0 for none)", option="regularization", low=0,
           high_open=True, option_bounds=(("dropout", 0, 1),)),
    Factor("optimizer", "optimizer.name", "string", "optimizer",
           "optimizer option (conf/optimizer/)", checked_by="the optimizer registry"),
    Factor("lr", "lr", "float64", "learning rate", "learning rate", low=0, low_open=True),
    Factor("clipnorm", "optimizer.clipnorm", "float64", "gradient clipping norm",
           "the optimizer's clipnorm: each gradient's norm clipped to it (NaN = no clipping)",
           low=0, low_open=True, nullable=True, absent=NAN),
    Factor("dataset", "dataset.name", "string", "dataset", "dataset option (conf/dataset/)",
           checked_by="the dataset registry"),
    Factor("n_samples", "dataset.n_samples", "int64", "training samples",
           "rows the dataset uses (null in the config: all rows of a real set)", low=8,
           integer=True, nullable=True, absent=None),
    Factor("eval_samples", "dataset.eval_samples", "Int64", "evaluation samples (fixed set)",
           "size of the fixed evaluation set (NA: eval_fraction of n_samples)", nullable=True,
           absent=None, checked_by="experiments.variants.dataset.check_dataset"),
    Factor("imbalance", "dataset.imbalance", "float64", "minority share",
           "minority share of the training split (NaN = as generated)", low=0, high=1,
           low_open=True, high_open=True, nullable=True),
    Factor("label_noise", "dataset.label_noise", "float64", "label noise",
           "share of training labels replaced by another class (or noise)", low=0, high=1,
           high_open=True),
    Factor("duplicate_share", "dataset.duplicate_share", "float64", "duplicate share",
           "share of training rows replaced by copies of 3 rows", low=0, high=1,
           high_open=True),
    Factor("input_scale", "dataset.input_scale", "float64", "input scale",
           "inputs multiplied after standardization", low=0, low_open=True),
    Factor("input_shift", "dataset.input_shift", "float64", "input shift",
           "added to inputs after scaling"),
    Factor("outliers", "dataset.outliers", "float64", "outlier share",
           "share of training rows whose inputs are replaced by N(0, 10^2) noise", low=0,
           high=1, high_open=True),
    Factor("target_scale", "dataset.target_scale", "float64", "target scale",
           "regression targets multiplied after standardization (1 when the dataset does not "
           "say)", low=0, low_open=True, absent=1.0),
    Factor("target_shift", "dataset.target_shift", "float64", "target shift",
           "added to regression targets after scaling (0 when the dataset does not say)",
           absent=0.0),
    Factor("model", "model.name", "string", "model",
           "network shape: mlp, cnn or rnn (conf/model/; mlp in files before schema 4)",
           checked_by="the model registry", absent="mlp"),
    Factor("depth", "model.depth", "int64", "depth (hidden layers)",
           "hidden Dense layers (after the convolutional or recurrent part; >= 1 for an mlp)",
           low=0, integer=True, option_bounds=(("mlp", 1, None),)),
    Factor("width", "model.width", "int64", "width (units per layer)",
           "units per hidden Dense layer", low=1, integer=True),
    Factor("batchnorm", "model.batchnorm", "boolean", "batch normalization",
           "BatchNormalization after each hidden layer (false when the model does not say)",
           absent=False),
    Factor("conv_layers", "model.conv_layers", "Int64", "convolutional layers",
           "cnn: convolutional layers (NA for other models)", option="model", low=1,
           integer=True, absent=None),
    Factor("filters", "model.filters", "Int64", "filters per conv layer",
           "cnn: filters of each convolutional layer (NA for other models)", option="model",
           low=1, integer=True, absent=None),
    Factor("kernel_size", "model.kernel_size", "Int64", "kernel size",
           "cnn: convolution kernel size (NA for other models)", option="model", low=1,
           integer=True, absent=None),
    Factor("pooling", "model.pooling", "string", "pooling",
           "cnn: pooling after each convolution, max, average or none (NA for other models)",
           option="model", choices=("max", "average", "none"), absent=None),
    Factor("cell", "model.cell", "string", "recurrent cell",
           "rnn: lstm, gru or simple (NA for other models)", option="model",
           choices=("lstm", "gru", "simple"), absent=None),
    Factor("units", "model.units", "Int64", "recurrent units",
           "rnn: units per recurrent layer (NA for other models)", option="model", low=1,
           integer=True, absent=None),
    Factor("layers", "model.layers", "Int64", "recurrent layers",
           "rnn: stacked recurrent layers (NA for other models)", option="model", low=1,
           integer=True, absent=None),
    Factor("embedding", "model.embedding", "Int64", "embedding size",
           "rnn: size of the input embedding (NA: none, or another model)", option="model",
           low=1, integer=True, nullable=True, absent=None),
    Factor("epochs", "epochs", "int64", "epochs", "training epochs (0: measured at "
           "initialization only)", low=0, integer=True),
    Factor("batch_size", "batch_size", "int64", "batch size", "training batch size", low=1,
           integer=True),
    Factor("seed_offset", "seed_offset", "int64", "seed offset",
           "added to every seed (an A/A arm on other seeds)", low=0, integer=True, absent=0),
    Factor("tag", "tag", "string", "tag (never read by training)",
           "a label the training never reads (+tag=...), for placebo claims", absent=None,
           checked_by="validate (a plain label)"),
)

BY_COLUMN = {factor.column: factor for factor in FACTORS}


def columns():
    """Factor column -> pandas dtype, in file order."""
    return {factor.column: factor.dtype for factor in FACTORS}


def display_names():
    """Factor column -> readable name."""
    return {factor.column: factor.display for factor in FACTORS}


def options_of():
    """Parameter column -> the column of the option it belongs to (init_value -> init)."""
    return {factor.column: factor.option for factor in FACTORS if factor.option}


def node_fields(group):
    """(key, column) of the factors a `group` node holds besides its name, in file order:
    node_fields("dataset") -> (("n_samples", "n_samples"), ...), to rebuild a node from a row."""
    return tuple((f.key, f.column) for f in FACTORS if f.group == group and f.key != "name")


def null_value(factor):
    """What a null reads in `factor`'s column: NaN in a float column, None (NA) otherwise."""
    return NAN if factor.dtype == "float64" else None


def missing_value(column):
    """What `column` reads in a row whose config (or older file) lacks it: NaN, None or a
    default; None for a factor every config defines."""
    absent = BY_COLUMN[column].absent
    return None if absent is REQUIRED else absent
