"""One replicate's splits of a dataset node: generate, split, standardize, corrupt."""

from dataclasses import dataclass, field

import numpy as np

from experiments.variants.dataset.options import (
    DATASET,
    REAL_SIZES,
    _state,
    dataset_kind,
    option_params,
)

N_PROTOTYPES = 3  # rows that duplicate_share copies: "low diversity"
OUTLIER_SCALE = 10.0  # corrupted rows get features ~ N(0, OUTLIER_SCALE^2)
EVAL_STREAM = 7  # the fixed evaluation set's random stream: default_rng([seed, EVAL_STREAM])


@dataclass
class Data:
    x_train: np.ndarray  # float32, or int32 token ids (kind tokens)
    y_train: np.ndarray  # int labels (classification) or float targets (regression)
    x_eval: np.ndarray
    y_eval: np.ndarray
    task: str  # binary, multiclass or regression
    n_classes: int  # 1 for regression
    n_samples: int  # rows used, both splits (with eval_samples: the training rows)
    kind: str = "table"  # table, image, sequence or tokens
    vocab_size: int = 0  # tokens: ids are 0..vocab_size - 1 (0 is padding); else 0
    # name -> R^2 on the evaluation set of a reference predictor (forecasting only; see
    # forecast_baselines)
    baselines: dict = field(default_factory=dict)

    @property
    def input_shape(self):
        """The shape of one input: (features,), (height, width, channels), (steps, 1) or
        (steps,)."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_features(self):
        """Numbers in one input (the features of a table)."""
        return int(np.prod(self.input_shape))


def make_dataset(cfg_data, seed, eval_fraction):
    """Train and evaluation splits for the `dataset` config node, corrupted as it says."""
    rng = np.random.default_rng(seed)
    name = cfg_data["name"]
    kind, params = dataset_kind(name), option_params(cfg_data)
    if cfg_data.get("eval_samples") is None:
        x, y, task = DATASET.get(name)(cfg_data.get("n_samples"), rng, **params)
        x = _inputs(x, kind)
        stratify = y if task != "regression" and _can_stratify(y, eval_fraction) else None
        from sklearn.model_selection import train_test_split

        x_tr, x_ev, y_tr, y_ev = train_test_split(
            x, y, test_size=eval_fraction, random_state=_state(rng), stratify=stratify
        )
    else:
        x_tr, x_ev, y_tr, y_ev, task = _fixed_eval_split(cfg_data, seed, rng, kind, params)
        x = x_tr  # n_samples counts the training rows; the evaluation rows come on top
        y = np.r_[y_tr, y_ev]
    classification = task != "regression"
    x_tr, x_ev, y_tr, y_ev = standardize(kind, task, x_tr, x_ev, y_tr, y_ev)
    if classification:
        y_tr, y_ev = y_tr.astype(np.int64), y_ev.astype(np.int64)
        n_classes = int(max(y.max() + 1, 2))
    else:
        n_classes = 1
    forecasting = kind == "sequence" and not classification
    baselines = forecast_baselines(x_ev, y_tr, y_ev) if forecasting else {}
    vocab = int(params["vocab"]) if kind == "tokens" else 0
    x_tr, y_tr = corrupt_training(x_tr, y_tr, task, n_classes, cfg_data, rng, vocab)
    if kind != "tokens":
        scale, shift = float(cfg_data["input_scale"]), float(cfg_data["input_shift"])
        x_tr = (x_tr * scale + shift).astype(np.float32)
        x_ev = (x_ev * scale + shift).astype(np.float32)
    if not classification:
        scale, shift = (float(cfg_data.get("target_scale", 1.0)),
                        float(cfg_data.get("target_shift", 0.0)))
        y_tr, y_ev = y_tr * scale + shift, y_ev * scale + shift
    return Data(x_train=x_tr, y_train=y_tr, x_eval=x_ev, y_eval=y_ev, task=task,
                n_classes=n_classes, n_samples=len(x), kind=kind, vocab_size=vocab,
                baselines=baselines)


def _inputs(x, kind):
    return np.asarray(x, np.int32 if kind == "tokens" else np.float64)


def standardize(kind, task, x_tr, x_ev, y_tr, y_ev):
    """Both splits in training statistics: a table per feature, images and sequences with one
    mean and sd over every training value, token ids not at all. Regression targets: a
    sequence's with its inputs' mean and sd (so the last input and the target share units),
    others with their own."""
    if kind == "tokens":
        return x_tr, x_ev, y_tr, y_ev
    if kind == "table":
        mean, std = x_tr.mean(0), x_tr.std(0)
        std[std == 0] = 1.0
    else:
        mean, std = x_tr.mean(), x_tr.std() or 1.0
    x_tr, x_ev = (x_tr - mean) / std, (x_ev - mean) / std
    if task == "regression":
        if kind != "sequence":
            mean, std = y_tr.mean(), y_tr.std() or 1.0
        y_tr, y_ev = (y_tr - mean) / std, (y_ev - mean) / std
    return x_tr, x_ev, y_tr, y_ev


def forecast_baselines(x_eval, y_train, y_eval):
    """{"persistence": R^2 of predicting each window's last value, "mean": R^2 of predicting
    the mean training target}, both on the evaluation set, from the standardized splits
    before corruption and before input_scale/input_shift and target_scale/target_shift
    (R^2 does not change under an affine map common to prediction and target)."""
    return {"persistence": _r2(y_eval, x_eval[:, -1, 0]),
            "mean": _r2(y_eval, np.full(len(y_eval), y_train.mean()))}


def _r2(y, prediction):
    return float(1 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2))


def _fixed_eval_split(cfg_data, seed, rng, kind, params):
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
        x_tr, y_tr, task = generate(pool, rng, **params)
        x_ev, y_ev, _ = generate(n_eval, eval_rng, **params)
        return _inputs(x_tr, kind), _inputs(x_ev, kind), np.asarray(y_tr), np.asarray(y_ev), task
    x, y, task = generate(None, rng, **params)
    order = eval_rng.permutation(len(x))
    eval_rows, pool = order[:n_eval], order[n_eval:]
    train_rows = pool if n is None else rng.choice(pool, size=n, replace=False)
    x = _inputs(x, kind)
    return x[train_rows], x[eval_rows], y[train_rows], y[eval_rows], task


def _can_stratify(y, eval_fraction):
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    counts = counts[counts > 0]
    n_eval = int(np.ceil(len(y) * eval_fraction))
    return counts.min() >= 2 and n_eval >= len(counts) and len(y) - n_eval >= len(counts)


def corrupt_training(x, y, task, n_classes, cfg_data, rng, vocab=0):
    """Apply imbalance, label_noise, duplicate_share and outliers to a training split.

    An outlier row's inputs become N(0, OUTLIER_SCALE^2) noise, or with `vocab` (token ids)
    ids drawn uniformly from 1..vocab - 1 (no padding).
    """
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
        size = (len(rows), *x.shape[1:])
        x[rows] = rng.integers(1, vocab, size=size) if vocab else rng.normal(
            0.0, OUTLIER_SCALE, size=size)
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
