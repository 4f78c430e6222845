"""Checks a composed config before any training and flattens it into a results row."""

import hashlib
import json
import math
import numbers

from omegaconf import DictConfig, OmegaConf

from experiments.factors import FACTORS, REQUIRED, null_value
from experiments.variants.activation import ACTIVATION
from experiments.variants.bias_init import BIAS_INIT, bias_option
from experiments.variants.dataset import DATASET, check_dataset, dataset_kind, dataset_size
from experiments.variants.init import INIT
from experiments.variants.model import MODEL, check_model
from experiments.variants.optimizer import OPTIMIZER
from experiments.variants.registry import ConfigError
from experiments.variants.regularization import REGULARIZATION

REGISTRIES = {
    "init": INIT,
    "bias_init": BIAS_INIT,
    "activation": ACTIVATION,
    "regularization": REGULARIZATION,
    "optimizer": OPTIMIZER,
    "dataset": DATASET,
    "model": MODEL,
}

# Keys that name a run but do not change what is trained: left out of config_id.
NOT_IN_CONFIG_ID = ("seed", "replicates", "claims", "fresh", "theory_grid", "verdict_rule",
                    "confirms")


def _number(key, value, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Check value is a number within bounds; return it as float or int."""
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    allowed = f"{kind}{_range_text(low, high, low_open, high_open)}"
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        raise ConfigError(f"{key}={value!r}: must be {allowed}")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        raise ConfigError(f"{key}={value!r}: must be {allowed}")
    return value


def _range_text(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high}"
    return ""


def _lookup(cfg, path):
    """(defined, value) of a dotted config key: (False, None) when a node on the way is
    missing."""
    node, *parts = [cfg, *path.split(".")]
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, (dict, DictConfig)) else None
    if not isinstance(node, (dict, DictConfig)) or parts[-1] not in node:
        return False, None
    return True, node.get(parts[-1])


def _allowed(factor, option=None):
    """What a factor's value may be, as the refusal says it ('a number > 0', 'true or false')."""
    if factor.dtype == "boolean":
        return "true or false"
    if factor.choices is not None:
        return f"one of {', '.join(factor.choices)}"
    if factor.dtype == "string":
        return "a label"
    low, high = factor.bounds(option)
    kind = "an integer" if factor.integer else "a number"
    return f"{kind}{_range_text(low, high, factor.low_open, factor.high_open)}"


def check_factor(cfg, factor):
    """Raise ConfigError for a factor whose key is set to what the catalogue does not allow
    (or is missing although REQUIRED); factors `checked_by` elsewhere pass."""
    if factor.checked_by is not None:
        return
    defined, value = _lookup(cfg, factor.path)
    if not defined:
        if factor.absent is REQUIRED:
            raise ConfigError(f"{factor.path}: missing; must be {_allowed(factor)}")
        return
    if value is None and factor.nullable:
        return
    if factor.dtype == "boolean":
        if not isinstance(value, bool):
            raise ConfigError(f"{factor.path}={value!r}: must be true or false")
    elif factor.choices is not None:
        if value not in factor.choices:
            raise ConfigError(f"{factor.path}={value!r}: allowed: {', '.join(factor.choices)}")
    elif factor.dtype != "string":
        option = _lookup(cfg, f"{factor.group}.name")[1] if factor.group else None
        low, high = factor.bounds(option)
        _number(factor.path, value, low, high, factor.low_open, factor.high_open,
                factor.integer)


def validate(cfg):
    """Raise ConfigError (one line naming key, value and what is allowed) for a bad config."""
    for group, registry in REGISTRIES.items():
        node = cfg.get(group)
        if not isinstance(node, (dict, DictConfig)) or "name" not in node:
            raise ConfigError(f"{group}={node!r}: must select an option; allowed: "
                              f"{', '.join(registry.names())}")
        registry.get(node["name"])
    for factor in FACTORS:  # the catalogue's bounds and choices (experiments.factors)
        check_factor(cfg, factor)
    tag = cfg.get("tag")
    if tag is not None and not isinstance(tag, (str, int, float)):
        raise ConfigError(f"tag={tag!r}: must be a plain label (a word or a number)")
    # run settings that are not factors (not in the results row)
    _number("replicates", cfg.replicates, low=1, integer=True)
    _number("seed", cfg.seed, low=0, integer=True)
    _number("collapse_threshold", cfg.collapse_threshold, low=0, low_open=True)
    _number("eval_fraction", cfg.eval_fraction, 0, 1, low_open=True, high_open=True)
    if "momentum" in cfg.optimizer:
        _number("optimizer.momentum", cfg.optimizer.momentum, 0, 1, high_open=True)
    init, bias = cfg.init, cfg.bias_init
    if init.name == "rai" and bias.name != "zeros":
        raise ConfigError(f"bias_init={bias.name}: init=rai draws the biases itself; "
                          "allowed: zeros (the default)")
    if init.name == "rai" and cfg.model.get("use_bias", True) is False:
        raise ConfigError("model.use_bias=False: init=rai draws weights and biases together; "
                          "allowed: true")
    check_dataset(cfg.dataset)
    check_model(cfg, dataset_kind(cfg.dataset.name))


def config_id(cfg):
    """Stable 12-hex-digit hash of the resolved configuration, without seed and replicates."""
    keys = [k for k in cfg if k not in NOT_IN_CONFIG_ID and k != "hydra"]
    if isinstance(cfg, DictConfig) and "hydra" in cfg:  # hydra's node may not resolve
        plain = OmegaConf.to_container(OmegaConf.masked_copy(cfg, keys), resolve=True)
    elif isinstance(cfg, DictConfig):  # the same, without the cost of a masked copy
        plain = OmegaConf.to_container(cfg, resolve=True)
        plain = {k: plain[k] for k in keys}
    else:
        plain = {k: cfg[k] for k in keys}
    text = json.dumps(plain, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def network_seed(cfg, replicate):
    """The seed of replicate r of a configuration: seed + seed_offset + r."""
    return int(cfg.seed) + int(cfg.get("seed_offset", 0) or 0) + int(replicate)


# Factors whose column is not simply their config value (experiments.factors has the rest).
SPECIAL_READERS = {
    "bias_init": lambda cfg: bias_option(cfg.init, cfg.get("bias_init")),  # rai: drawn by init
    "reg_strength": lambda cfg: 0.0 if cfg.regularization.name == "none" else float(
        cfg.regularization.strength),
    "n_samples": lambda cfg: dataset_size(cfg.dataset),  # null: all rows of a real set
}

_CONVERT = {"float64": float, "int64": int, "Int64": int, "boolean": bool, "string": str}


def factor_value(cfg, factor):
    """The value of one factor's column: the config's value as the column's type; a null
    reads missing (NaN, None), an undefined key the catalogue's `absent`."""
    if factor.column in SPECIAL_READERS:
        return SPECIAL_READERS[factor.column](cfg)
    defined, value = _lookup(cfg, factor.path)
    if value is not None:
        return _CONVERT[factor.dtype](value)
    if defined and factor.nullable:
        return null_value(factor)
    if factor.absent is REQUIRED:
        raise ConfigError(f"{factor.path}: missing; must be {_allowed(factor)}")
    return factor.absent


def factor_values(cfg):
    """The factor columns of a results row (experiments.factors; schema.FACTOR_COLUMNS)."""
    return {factor.column: factor_value(cfg, factor) for factor in FACTORS}
