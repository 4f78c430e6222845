"""Checks a composed config before any training and flattens it into a results row."""

import hashlib
import json
import math
import numbers

from omegaconf import DictConfig, OmegaConf

from experiments.variants.activation import ACTIVATION
from experiments.variants.bias_init import BIAS_INIT, bias_option
from experiments.variants.dataset import DATASET, check_dataset
from experiments.variants.init import INIT
from experiments.variants.model import MODEL, OUTPUT_LAYERS
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


def validate(cfg):
    """Raise ConfigError (one line naming key, value and what is allowed) for a bad config."""
    for group, registry in REGISTRIES.items():
        node = cfg.get(group)
        if not isinstance(node, (dict, DictConfig)) or "name" not in node:
            raise ConfigError(f"{group}={node!r}: must select an option; allowed: "
                              f"{', '.join(registry.names())}")
        registry.get(node["name"])
    _number("lr", cfg.lr, low=0, low_open=True)
    _number("epochs", cfg.epochs, low=0, integer=True)  # 0: measured at initialization only
    _number("batch_size", cfg.batch_size, low=1, integer=True)
    _number("replicates", cfg.replicates, low=1, integer=True)
    _number("seed", cfg.seed, low=0, integer=True)
    _number("seed_offset", cfg.get("seed_offset", 0), low=0, integer=True)
    tag = cfg.get("tag")
    if tag is not None and not isinstance(tag, (str, int, float)):
        raise ConfigError(f"tag={tag!r}: must be a plain label (a word or a number)")
    _number("collapse_threshold", cfg.collapse_threshold, low=0, low_open=True)
    _number("eval_fraction", cfg.eval_fraction, 0, 1, low_open=True, high_open=True)
    _number("model.depth", cfg.model.depth, low=1, integer=True)
    _number("model.width", cfg.model.width, low=1, integer=True)
    init = cfg.init
    if "value" in init:
        _number("init.value", init.value)
    if "stddev" in init:
        _number("init.stddev", init.stddev, low=0, low_open=True)
    if "sigma_w" in init:
        _number("init.sigma_w", init.sigma_w, low=0, low_open=True)
    bias = cfg.bias_init
    if "value" in bias:
        _number("bias_init.value", bias.value)
    if "stddev" in bias:
        _number("bias_init.stddev", bias.stddev, low=0, low_open=True)
    if init.name == "rai" and bias.name != "zeros":
        raise ConfigError(f"bias_init={bias.name}: init=rai draws the biases itself; "
                          "allowed: zeros (the default)")
    if init.name == "rai" and cfg.model.get("use_bias", True) is False:
        raise ConfigError("model.use_bias=False: init=rai draws weights and biases together; "
                          "allowed: true")
    head = cfg.model.get("output_layer", "same")
    if head not in OUTPUT_LAYERS:
        raise ConfigError(f"model.output_layer={head!r}: allowed: {', '.join(OUTPUT_LAYERS)}")
    if not isinstance(cfg.model.get("use_bias", True), bool):
        raise ConfigError(f"model.use_bias={cfg.model.use_bias!r}: must be true or false")
    high = 1 if cfg.regularization.name == "dropout" else None
    _number("regularization.strength", cfg.regularization.strength, low=0, high=high,
            high_open=True)
    if "momentum" in cfg.optimizer:
        _number("optimizer.momentum", cfg.optimizer.momentum, 0, 1, high_open=True)
    data = cfg.dataset
    if data.n_samples is not None:
        _number("dataset.n_samples", data.n_samples, low=8, integer=True)
    if data.imbalance is not None:
        _number("dataset.imbalance", data.imbalance, 0, 1, low_open=True, high_open=True)
    for key in ("label_noise", "duplicate_share", "outliers"):
        _number(f"dataset.{key}", data[key], 0, 1, high_open=True)
    _number("dataset.input_scale", data.input_scale, low=0, low_open=True)
    _number("dataset.input_shift", data.input_shift)
    check_dataset(data)


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


def factor_values(cfg):
    """The factor columns of a results row (see experiments.storage.schema.FACTOR_COLUMNS)."""
    nan = float("nan")
    data = cfg.dataset
    return {
        "init": cfg.init.name,
        "init_value": float(cfg.init.get("value", nan)),
        "init_stddev": float(cfg.init.get("stddev", nan)),
        "init_sigma_w": float(cfg.init.get("sigma_w", nan)),
        "bias_init": bias_option(cfg.init, cfg.get("bias_init")),
        "bias_value": float((cfg.get("bias_init") or {}).get("value", nan)),
        "bias_stddev": float((cfg.get("bias_init") or {}).get("stddev", nan)),
        "use_bias": bool(cfg.model.get("use_bias", True)),
        "output_layer": str(cfg.model.get("output_layer", "same")),
        "activation": cfg.activation.name,
        "regularization": cfg.regularization.name,
        "reg_strength": 0.0 if cfg.regularization.name == "none" else float(
            cfg.regularization.strength),
        "optimizer": cfg.optimizer.name,
        "lr": float(cfg.lr),
        "dataset": data.name,
        "eval_samples": data.get("eval_samples"),
        "imbalance": nan if data.imbalance is None else float(data.imbalance),
        "label_noise": float(data.label_noise),
        "duplicate_share": float(data.duplicate_share),
        "input_scale": float(data.input_scale),
        "input_shift": float(data.input_shift),
        "outliers": float(data.outliers),
        "depth": int(cfg.model.depth),
        "width": int(cfg.model.width),
        "epochs": int(cfg.epochs),
        "batch_size": int(cfg.batch_size),
        "seed_offset": int(cfg.get("seed_offset", 0) or 0),
        "tag": None if cfg.get("tag") is None else str(cfg.get("tag")),
    }
