"""What a dataset node may ask for, known without generating it."""

import math
import numbers

from experiments.variants.dataset.arrays import FIRST_FILLER, MIN_SEQ_LEN
from experiments.variants.dataset.options import (
    DATASET,
    REAL_SIZES,
    dataset_kind,
    dataset_task,
    option_params,
)
from experiments.variants.registry import ConfigError

PARAM_MINIMA = {"window": 2, "seq_len": MIN_SEQ_LEN, "vocab": FIRST_FILLER + 1}
# keys that change only some kinds or tasks, with the value that changes nothing
TARGET_KEYS = {"target_scale": 1.0, "target_shift": 0.0}
INPUT_KEYS = {"input_scale": 1.0, "input_shift": 0.0}


def check_dataset(cfg_data):
    """Raise ConfigError for a dataset node that cannot be generated as asked."""
    name = cfg_data["name"]
    DATASET.get(name)
    kind, task = dataset_kind(name), dataset_task(name)
    n = cfg_data.get("n_samples")
    limit = REAL_SIZES.get(name)
    if n is None and limit is None:
        raise ConfigError(f"dataset.n_samples=None: {name} is generated; allowed: an integer >= 8")
    n_eval = cfg_data.get("eval_samples")
    if n_eval is not None and (isinstance(n_eval, bool) or not isinstance(n_eval, int)
                               or n_eval < 8):
        raise ConfigError(f"dataset.eval_samples={n_eval!r}: must be an integer >= 8 or null")
    if n_eval is not None and limit is not None:
        limit -= n_eval
        if limit < 8:
            raise ConfigError(f"dataset.eval_samples={n_eval}: {name} has "
                              f"{REAL_SIZES[name]} rows; allowed: 8..{REAL_SIZES[name] - 8}")
    if n is not None and limit is not None and n > limit:
        raise ConfigError(
            f"dataset.n_samples={n}: {name} has {limit} rows"
            + (" besides its evaluation rows" if n_eval is not None else "")
            + f"; allowed: 8..{limit} or null (all)"
        )
    if cfg_data.get("imbalance") is not None and task == "regression":
        raise ConfigError(
            f"dataset.imbalance={cfg_data['imbalance']}: {name} is a regression set; "
            "allowed: null"
        )
    for key, value in option_params(cfg_data).items():
        low = PARAM_MINIMA.get(key)
        if low is not None and (isinstance(value, bool) or not isinstance(value, int)
                                or value < low):
            raise ConfigError(f"dataset.{key}={value!r}: must be an integer >= {low}")
    _check_unchanged(cfg_data, TARGET_KEYS, task not in ("regression", None),
                     f"{name} is a classification set (only regression targets scale)")
    _check_unchanged(cfg_data, INPUT_KEYS, kind == "tokens", f"{name} holds token ids")


def _check_unchanged(cfg_data, defaults, refuse, why):
    """target_scale > 0 and target_shift finite; with `refuse`, every key at its default."""
    for key, default in defaults.items():
        value = cfg_data.get(key, default)
        if key == "target_scale" and not _number(value, positive=True):
            raise ConfigError(f"dataset.{key}={value!r}: must be a number > 0")
        if key == "target_shift" and not _number(value):
            raise ConfigError(f"dataset.{key}={value!r}: must be a number")
        if refuse and value != default:
            raise ConfigError(f"dataset.{key}={value!r}: {why}; allowed: {default}")


def _number(value, positive=False):
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value) and (value > 0 or not positive))


def dataset_size(cfg_data):
    """Rows a dataset node uses (both splits; with eval_samples, the training rows), known
    without generating it."""
    n = cfg_data.get("n_samples")
    n_eval = cfg_data.get("eval_samples")
    if n is None and n_eval is not None:
        return REAL_SIZES[cfg_data["name"]] - int(n_eval)
    return int(n) if n is not None else REAL_SIZES[cfg_data["name"]]
