"""Checks a composed config before any training and flattens it into a results row."""

import hashlib
import json
import math
import numbers
import sys

from omegaconf import DictConfig, OmegaConf

from experiments.activation import ACTIVATION
from experiments.dataset import DATASET, check_dataset
from experiments.init import INIT
from experiments.model import MODEL
from experiments.optimizer import OPTIMIZER
from experiments.registry import ConfigError
from experiments.regularization import REGULARIZATION

REGISTRIES = {
    "init": INIT,
    "activation": ACTIVATION,
    "regularization": REGULARIZATION,
    "optimizer": OPTIMIZER,
    "dataset": DATASET,
    "model": MODEL,
}

# Keys that name a run but do not change what is trained: left out of config_id.
NOT_IN_CONFIG_ID = ("seed", "replicates", "claims", "fresh")


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
    _number("epochs", cfg.epochs, low=1, integer=True)
    _number("batch_size", cfg.batch_size, low=1, integer=True)
    _number("replicates", cfg.replicates, low=1, integer=True)
    _number("seed", cfg.seed, low=0, integer=True)
    _number("collapse_threshold", cfg.collapse_threshold, low=0, low_open=True)
    _number("eval_fraction", cfg.eval_fraction, 0, 1, low_open=True, high_open=True)
    _number("model.depth", cfg.model.depth, low=1, integer=True)
    _number("model.width", cfg.model.width, low=1, integer=True)
    init = cfg.init
    if "value" in init:
        _number("init.value", init.value)
    if "stddev" in init:
        _number("init.stddev", init.stddev, low=0, low_open=True)
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
    if isinstance(cfg, DictConfig):  # resolve only what is hashed: hydra's node may not resolve
        plain = OmegaConf.to_container(OmegaConf.masked_copy(cfg, keys), resolve=True)
    else:
        plain = {k: cfg[k] for k in keys}
    text = json.dumps(plain, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def factor_values(cfg):
    """The factor columns of a results row (see experiments.schema.FACTOR_COLUMNS)."""
    nan = float("nan")
    data = cfg.dataset
    return {
        "init": cfg.init.name,
        "init_value": float(cfg.init.get("value", nan)),
        "init_stddev": float(cfg.init.get("stddev", nan)),
        "activation": cfg.activation.name,
        "regularization": cfg.regularization.name,
        "reg_strength": 0.0 if cfg.regularization.name == "none" else float(
            cfg.regularization.strength),
        "optimizer": cfg.optimizer.name,
        "lr": float(cfg.lr),
        "dataset": data.name,
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
    }


def validate_jobs(loader, config, job_overrides):
    """Compose every job of a sweep and validate it; exit with one line on the first bad one.

    Args:
        loader: Hydra's config loader; config: the sweep's primary config;
        job_overrides: one override list per job.

    Returns:
        The composed configuration of every job.
    """
    configs = [loader.load_sweep_config(config, list(o)) for o in job_overrides]
    for overrides, cfg in zip(job_overrides, configs):
        try:
            validate(cfg)
        except ConfigError as exc:
            job = " ".join(o for o in overrides if not o.startswith("hydra."))
            print(f"collapse-lab: {exc} (job: {job}); nothing was trained", file=sys.stderr)
            sys.exit(2)
    return configs
