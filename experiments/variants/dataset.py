"""Datasets: the `dataset` config group, and the data problems the seed blames as corruptions.

Synthetic sets are generated from the seed; real sets ship inside scikit-learn (no download).
Steps for one replicate:
  1. generate (or subsample) `n_samples` rows,
  2. split off a held-out evaluation set (never trained on): `eval_fraction` of the rows, or,
     with `eval_samples` set, a separate set of that many rows drawn from its own random
     stream, so it is the same whatever `n_samples` is (then all `n_samples` rows train),
  3. standardize inputs (and regression targets) with training statistics,
  4. corrupt the training split: imbalance, label_noise, duplicate_share, outliers,
  5. unnormalize both splits with input_scale and input_shift.
"""

import json
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig, OmegaConf

from experiments.variants.registry import ConfigError, Registry

DATASET = Registry("dataset")
N_PROTOTYPES = 3  # rows that duplicate_share copies: "low diversity"
OUTLIER_SCALE = 10.0  # corrupted rows get features ~ N(0, OUTLIER_SCALE^2)
EVAL_STREAM = 7  # the fixed evaluation set's random stream: default_rng([seed, EVAL_STREAM])


@dataclass
class Data:
    x_train: np.ndarray
    y_train: np.ndarray  # int labels (classification) or float targets (regression)
    x_eval: np.ndarray
    y_eval: np.ndarray
    task: str  # binary, multiclass or regression
    n_classes: int  # 1 for regression
    n_samples: int  # rows used, both splits (with eval_samples: the training rows)

    @property
    def n_features(self):
        return self.x_train.shape[1]


# Generators take (n_samples or None, rng) and return (x, y, task).


def _sklearn_datasets():
    from sklearn import datasets  # imported when data is made, not to validate a config

    return datasets


@DATASET.register("moons")
def moons(n, rng):
    x, y = _sklearn_datasets().make_moons(n, noise=0.2, random_state=_state(rng))
    return x, y, "binary"


@DATASET.register("circles")
def circles(n, rng):
    x, y = _sklearn_datasets().make_circles(n, noise=0.1, factor=0.5, random_state=_state(rng))
    return x, y, "binary"


@DATASET.register("xor")
def xor(n, rng):
    x = rng.uniform(-1, 1, size=(n, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(int), "binary"


@DATASET.register("spirals")
def spirals(n, rng):
    y = np.arange(n) % 2
    t = rng.uniform(0.25, 1.0, size=n) * 3 * np.pi
    angle = t + np.pi * y
    x = np.c_[t * np.cos(angle), t * np.sin(angle)] + rng.normal(0, 0.3, size=(n, 2))
    return x, y, "binary"


@DATASET.register("regression")
def regression(n, rng):
    x, y = _sklearn_datasets().make_friedman1(n, noise=0.5, random_state=_state(rng))
    return x, y, "regression"


def _real(name, loader, task):
    @DATASET.register(name)
    def load(n, rng):
        x, y = getattr(_sklearn_datasets(), loader)(return_X_y=True)
        if n is not None and n < len(x):
            keep = rng.choice(len(x), size=n, replace=False)
            x, y = x[keep], y[keep]
        return x, y, task

    return load


_real("digits", "load_digits", "multiclass")
_real("breast_cancer", "load_breast_cancer", "binary")
_real("wine", "load_wine", "multiclass")
_real("diabetes", "load_diabetes", "regression")

REAL_SIZES = {"digits": 1797, "breast_cancer": 569, "wine": 178, "diabetes": 442}


def _state(rng):
    return int(rng.integers(2**31 - 1))


def make_dataset(cfg_data, seed, eval_fraction):
    """Train and evaluation splits for the `dataset` config node, corrupted as it says."""
    rng = np.random.default_rng(seed)
    if cfg_data.get("eval_samples") is None:
        x, y, task = DATASET.get(cfg_data["name"])(cfg_data.get("n_samples"), rng)
        x = np.asarray(x, dtype=np.float64)
        stratify = y if task != "regression" and _can_stratify(y, eval_fraction) else None
        from sklearn.model_selection import train_test_split

        x_tr, x_ev, y_tr, y_ev = train_test_split(
            x, y, test_size=eval_fraction, random_state=_state(rng), stratify=stratify
        )
    else:
        x_tr, x_ev, y_tr, y_ev, task = _fixed_eval_split(cfg_data, seed, rng)
        x = x_tr  # n_samples counts the training rows; the evaluation rows come on top
        y = np.r_[y_tr, y_ev]
    classification = task != "regression"
    mean, std = x_tr.mean(0), x_tr.std(0)
    std[std == 0] = 1.0
    x_tr, x_ev = (x_tr - mean) / std, (x_ev - mean) / std
    if classification:
        y_tr, y_ev = y_tr.astype(np.int64), y_ev.astype(np.int64)
        n_classes = int(max(y.max() + 1, 2))
    else:
        y_mean, y_std = y_tr.mean(), y_tr.std() or 1.0
        y_tr, y_ev = (y_tr - y_mean) / y_std, (y_ev - y_mean) / y_std
        n_classes = 1
    x_tr, y_tr = corrupt_training(x_tr, y_tr, task, n_classes, cfg_data, rng)
    scale, shift = float(cfg_data["input_scale"]), float(cfg_data["input_shift"])
    return Data(
        x_train=(x_tr * scale + shift).astype(np.float32),
        y_train=y_tr,
        x_eval=(x_ev * scale + shift).astype(np.float32),
        y_eval=y_ev,
        task=task,
        n_classes=n_classes,
        n_samples=len(x),
    )


def _fixed_eval_split(cfg_data, seed, rng):
    """(x_train, x_eval, y_train, y_eval, task) with an evaluation set of `eval_samples` rows
    drawn from its own stream (seed, EVAL_STREAM): it does not change with `n_samples`.

    Generated sets draw the two sets independently; a shipped set first sets the evaluation
    rows aside, then subsamples `n_samples` training rows (all the rest when null) from the
    others.
    """
    name, n, n_eval = cfg_data["name"], cfg_data.get("n_samples"), int(cfg_data["eval_samples"])
    eval_rng = np.random.default_rng([seed, EVAL_STREAM])
    generate = DATASET.get(name)
    if name not in REAL_SIZES:
        # an imbalanced split keeps n training rows: draw a pool twice as large to subsample
        pool = n if cfg_data.get("imbalance") is None else 2 * n
        x_tr, y_tr, task = generate(pool, rng)
        x_ev, y_ev, _ = generate(n_eval, eval_rng)
        return (np.asarray(x_tr, np.float64), np.asarray(x_ev, np.float64), np.asarray(y_tr),
                np.asarray(y_ev), task)
    x, y, task = generate(None, rng)
    order = eval_rng.permutation(len(x))
    eval_rows, pool = order[:n_eval], order[n_eval:]
    train_rows = pool if n is None else rng.choice(pool, size=n, replace=False)
    x = np.asarray(x, np.float64)
    return x[train_rows], x[eval_rows], y[train_rows], y[eval_rows], task


def _can_stratify(y, eval_fraction):
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    counts = counts[counts > 0]
    n_eval = int(np.ceil(len(y) * eval_fraction))
    return counts.min() >= 2 and n_eval >= len(counts) and len(y) - n_eval >= len(counts)


def corrupt_training(x, y, task, n_classes, cfg_data, rng):
    """Apply imbalance, label_noise, duplicate_share and outliers to a training split."""
    x, y = x.copy(), y.copy()
    if cfg_data.get("imbalance") is not None:
        size = cfg_data.get("n_samples") if cfg_data.get("eval_samples") is not None else None
        x, y = _imbalance(x, y, float(cfg_data["imbalance"]), rng, size)
    n = len(x)
    p_noise = float(cfg_data["label_noise"])
    if p_noise > 0:
        rows = rng.choice(n, size=int(round(p_noise * n)), replace=False)
        if task == "regression":
            y[rows] = rng.normal(0.0, 1.0, size=len(rows))
        else:  # a different class, chosen uniformly
            y[rows] = (y[rows] + rng.integers(1, n_classes, size=len(rows))) % n_classes
    p_dup = float(cfg_data["duplicate_share"])
    if p_dup > 0:
        rows = rng.choice(n, size=int(round(p_dup * n)), replace=False)
        prototypes = rng.choice(n, size=min(N_PROTOTYPES, n), replace=False)
        source = rng.choice(prototypes, size=len(rows))
        x[rows], y[rows] = x[source], y[source]
    p_out = float(cfg_data["outliers"])
    if p_out > 0:
        rows = rng.choice(n, size=int(round(p_out * n)), replace=False)
        x[rows] = rng.normal(0.0, OUTLIER_SCALE, size=(len(rows), x.shape[1]))
    order = rng.permutation(len(x))
    return x[order], y[order]


def _imbalance(x, y, share, rng, size=None):
    """Subsample so that the classes other than the most common one make up `share` of rows.

    With `size`, `size` rows are kept (round(share * size) of the minority) when the split has
    them: a generated set with a fixed evaluation set draws a pool of 2 n_samples rows, so an
    imbalanced split is as large as a balanced one (equal SGD steps at equal epochs).
    Otherwise the minority is subsampled and the majority kept whole.
    """
    counts = np.bincount(y)
    major = int(np.argmax(counts))
    is_major = y == major
    n_major, n_minor = int(is_major.sum()), int((~is_major).sum())
    if size is not None:
        keep_minor = max(1, int(round(share * size)))
        keep_major = int(size) - keep_minor
    if size is not None and keep_minor <= n_minor and keep_major <= n_major:
        pass
    elif n_minor / (n_major + n_minor) > share:
        keep_minor = max(1, int(round(share * n_major / (1 - share))))
        keep_major = n_major
    else:
        keep_minor = n_minor
        keep_major = max(1, int(round(n_minor * (1 - share) / share)))
    major_rows = rng.choice(np.flatnonzero(is_major), size=keep_major, replace=False)
    minor_rows = rng.choice(np.flatnonzero(~is_major), size=keep_minor, replace=False)
    rows = np.sort(np.r_[major_rows, minor_rows])
    return x[rows], y[rows]


def check_dataset(cfg_data):
    """Raise ConfigError for a dataset node that cannot be generated as asked."""
    name = cfg_data["name"]
    DATASET.get(name)
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
    if cfg_data.get("imbalance") is not None and name in ("regression", "diabetes"):
        raise ConfigError(
            f"dataset.imbalance={cfg_data['imbalance']}: {name} is a regression set; "
            "allowed: null"
        )


def dataset_size(cfg_data):
    """Rows a dataset node uses (both splits; with eval_samples, the training rows), known
    without generating it."""
    n = cfg_data.get("n_samples")
    n_eval = cfg_data.get("eval_samples")
    if n is None and n_eval is not None:
        return REAL_SIZES[cfg_data["name"]] - int(n_eval)
    return int(n) if n is not None else REAL_SIZES[cfg_data["name"]]


def _plain(cfg_data):
    return (OmegaConf.to_container(cfg_data, resolve=True) if isinstance(cfg_data, DictConfig)
            else cfg_data)


class DatasetCache:
    """Datasets made once and kept, up to about `limit` bytes (the oldest go first).

    The engine trains every job of one (dataset, seed) on one copy, and the blocks of a large
    sweep share their seeds' datasets. A sweep's own process makes each block's datasets and
    hands them to the training process (experiments.sweep.trainer), which then never loads
    scikit-learn.
    """

    def __init__(self, limit=256 << 20):
        self.limit, self.items, self.size = limit, {}, 0

    def get(self, cfg_data, seed, eval_fraction):
        """make_dataset(cfg_data, seed, eval_fraction), made the first time."""
        return self._entry(_plain(cfg_data), seed, eval_fraction)[1]

    def of(self, jobs):
        """{key: Data} of every (cfg, seed) job's dataset, made where missing."""
        nodes, out = {}, {}  # replicates share a config: its dataset node is read once
        for cfg, seed in jobs:
            if id(cfg) not in nodes:
                nodes[id(cfg)] = _plain(cfg.dataset), cfg.eval_fraction
            node, eval_fraction = nodes[id(cfg)]
            key, data = self._entry(node, seed, eval_fraction)
            out[key] = data
        return out

    def _entry(self, cfg_data, seed, eval_fraction):
        """(key, Data) of a plain dataset node for one seed, made the first time."""
        key = json.dumps(["data", cfg_data, int(seed), float(eval_fraction)], sort_keys=True)
        if key not in self.items:
            self.add({key: make_dataset(cfg_data, int(seed), float(eval_fraction))})
        return key, self.items[key][0]

    def add(self, datasets):
        """Keep {key: Data} made elsewhere."""
        for key, data in datasets.items():
            if key in self.items:
                continue
            nbytes = sum(getattr(data, f).nbytes for f in ("x_train", "y_train", "x_eval",
                                                             "y_eval"))
            while self.items and self.size + nbytes > self.limit:
                oldest = next(iter(self.items))
                self.size -= self.items.pop(oldest)[1]
            self.items[key], self.size = (data, nbytes), self.size + nbytes


DATASETS = DatasetCache()
