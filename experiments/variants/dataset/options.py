"""The `dataset` registry, what each option is (kind, task, own keys) and the table sets.

A generator takes (n_samples or None, rng, **its own keys) and returns (x, y, task); x has
its natural shape: (n, features) for a table, (n, height, width, channels) for images,
(n, steps, 1) for a sequence, (n, steps) of int ids for tokens.
"""

import numpy as np

from experiments.variants.registry import Registry

DATASET = Registry("dataset")
KINDS = ("table", "image", "sequence", "tokens")
_INFO = {}  # option -> (kind, task)
PARAMS = {}  # option -> {own yaml key: default}, passed to the generator


def option(name, kind, task, **params):
    """Register a generator as option `name` of kind `kind` and task `task`; `params` are the
    option's own yaml keys with their defaults."""
    assert kind in KINDS, kind

    def add(fn):
        DATASET.register(name)(fn)
        _INFO[name], PARAMS[name] = (kind, task), params
        return fn

    return add


def dataset_kind(name):
    """The kind of option `name` (table, image, sequence or tokens), known without generating
    it; an option registered straight into DATASET is a table."""
    DATASET.get(name)  # ConfigError for an unknown name
    return _INFO.get(name, ("table", None))[0]


def dataset_task(name):
    """The task of option `name` (binary, multiclass or regression), or None when it was
    registered straight into DATASET (then only generating it tells)."""
    DATASET.get(name)
    return _INFO.get(name, ("table", None))[1]


def option_params(cfg_data):
    """The generator's own keys of a dataset node, defaults filled in."""
    return {k: cfg_data.get(k, v) for k, v in PARAMS.get(cfg_data["name"], {}).items()}


def _state(rng):
    return int(rng.integers(2**31 - 1))


def _sklearn_datasets():
    from sklearn import datasets  # imported when data is made, not to validate a config

    return datasets


@option("moons", "table", "binary")
def moons(n, rng):
    x, y = _sklearn_datasets().make_moons(n, noise=0.2, random_state=_state(rng))
    return x, y, "binary"


@option("circles", "table", "binary")
def circles(n, rng):
    x, y = _sklearn_datasets().make_circles(n, noise=0.1, factor=0.5, random_state=_state(rng))
    return x, y, "binary"


@option("xor", "table", "binary")
def xor(n, rng):
    x = rng.uniform(-1, 1, size=(n, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(int), "binary"


@option("spirals", "table", "binary")
def spirals(n, rng):
    y = np.arange(n) % 2
    t = rng.uniform(0.25, 1.0, size=n) * 3 * np.pi
    angle = t + np.pi * y
    x = np.c_[t * np.cos(angle), t * np.sin(angle)] + rng.normal(0, 0.3, size=(n, 2))
    return x, y, "binary"


@option("regression", "table", "regression")
def regression(n, rng):
    x, y = _sklearn_datasets().make_friedman1(n, noise=0.5, random_state=_state(rng))
    return x, y, "regression"


def shipped(name, loader, task, kind="table", shape=None):
    """Register a set shipped with scikit-learn: all its rows, or `n` of them drawn without
    replacement; `shape` reshapes each row (e.g. (8, 8, 1) for an image)."""

    @option(name, kind, task)
    def load(n, rng):
        x, y = getattr(_sklearn_datasets(), loader)(return_X_y=True)
        if n is not None and n < len(x):
            keep = rng.choice(len(x), size=n, replace=False)
            x, y = x[keep], y[keep]
        return (x if shape is None else x.reshape(len(x), *shape)), y, task

    return load


shipped("digits", "load_digits", "multiclass")
shipped("breast_cancer", "load_breast_cancer", "binary")
shipped("wine", "load_wine", "multiclass")
shipped("diabetes", "load_diabetes", "regression")
shipped("digits_images", "load_digits", "multiclass", kind="image", shape=(8, 8, 1))

REAL_SIZES = {"digits": 1797, "breast_cancer": 569, "wine": 178, "diabetes": 442,
              "digits_images": 1797}
