"""What the doctor reads in the data alone: size, scale, non-finite values, class shares, row
order, duplicates, and how well the labels follow the inputs.

Example:
    check_data(x, y, facts, tuple(model.inputs[0].shape))  # or a list of shapes
    data = data_facts(x, y, facts["task"], facts["output_units"])
"""

import math

import numpy as np

from experiments.doctor.targets import DoctorInputError, labels_from

KNN_ROWS = 2000  # rows the label check uses
KNN_NEIGHBOURS = 5
MAX_FEATURES_LISTED = 100  # per-feature scales listed in the report
VALIDATION_SHARE = 0.2  # the tail Keras's validation_split usually takes, for the order check


def labels_of(y, task, output_units):
    """Integer class labels (n,) from 0/1, integer, -1/1 or one-hot targets; None for
    regression or for targets that hold no classes."""
    if task == "regression":
        return None
    labels, _ = labels_from(y)
    return labels


def is_multi(x):
    """Whether x holds one array per model input (a list or tuple of arrays)."""
    return isinstance(x, (list, tuple))


def as_arrays(x):
    """x as numpy: an array, or a list of arrays for a model with several inputs."""
    return [np.asarray(a) for a in x] if is_multi(x) else np.asarray(x)


def take(x, rows, dtype=None):
    """Rows of x (every input's)."""
    if is_multi(x):
        return [np.asarray(a, dtype)[rows] for a in x]
    return np.asarray(x, dtype)[rows]


def n_rows(x):
    return len(x[0]) if is_multi(x) else len(x)


def _flat(x):
    """(n, features) float64: every input's values of a row side by side."""
    if is_multi(x):
        return np.concatenate([_flat(a) for a in x], axis=1)
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


def finite_rows(x, y):
    """Boolean (n,): rows whose x (every input) and y are all finite."""
    fx = np.isfinite(_flat(x)).all(axis=1)
    fy = np.isfinite(np.asarray(y, np.float64).reshape(len(y), -1)).all(axis=1)
    return fx & fy


def check_data(x, y, facts, input_shapes):
    """Raise DoctorInputError, one line, for data the model cannot be measured on at all.

    Args:
        x: an array, or a list of arrays for a model with several inputs.
        input_shapes: the model's input shape, or a list of them.

    NaN and inf are not refused: `data_facts` counts them (cause `non_finite_data`) and the
    network is measured on the finite rows, unless there are none.
    """
    arrays = list(x) if is_multi(x) else [x]
    shapes = list(input_shapes) if input_shapes and isinstance(input_shapes[0], (
        tuple, list)) else [input_shapes]
    if len(arrays) != len(shapes):
        raise DoctorInputError(f"x holds {len(arrays)} array(s) but the model has "
                               f"{len(shapes)} input(s); give one array per input")
    named = [(f"x[{i}]" if len(arrays) > 1 else "x", a) for i, a in enumerate(arrays)]
    for name, arr in named + [("y", y)]:
        if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
            raise DoctorInputError(f"{name} has dtype {arr.dtype}; the doctor needs numbers")
        if arr.ndim == 0:
            raise DoctorInputError(f"{name} is a scalar; it needs one row per example")
    for (name, arr), input_shape in zip(named, shapes):
        if len(arr) == 0:
            raise DoctorInputError(f"{name} has no rows")
        if len(arr) != len(y):
            raise DoctorInputError(f"{name} has {len(arr)} rows but y has {len(y)}; they must "
                                   "match row for row")
        expected = tuple(input_shape[1:])
        if len(expected) != arr.ndim - 1 or any(
                e is not None and e != a for e, a in zip(expected, arr.shape[1:])):
            shape = ", ".join("n" if e is None else str(e) for e in (None, *expected))
            raise DoctorInputError(f"{name} has shape {arr.shape} but the model takes ({shape})")
    if not finite_rows(x, y).any():
        raise DoctorInputError(f"every one of the {len(y)} rows holds NaN or inf in x or y; "
                               "impute or drop them first")


def label_predictability(x, labels=None, targets=None, seed=0):
    """How well a row's label follows from its nearest neighbours' (1 = fully, 0 = chance).

    Classification: leave-one-out agreement a of a row's label with its k nearest rows
    (standardized inputs), against chance agreement c = sum of squared class shares:
    (a - c) / (1 - c). Regression: R^2 of the neighbours' mean target. NaN for < 10 rows.
    """
    from sklearn.neighbors import NearestNeighbors

    flat = _flat(x)
    n = len(flat)
    if n < 10:
        return math.nan
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=KNN_ROWS, replace=False)) if n > KNN_ROWS else np.arange(n)
    flat = flat[rows]
    std = flat.std(axis=0)
    flat = (flat - flat.mean(axis=0)) / np.where(std > 0, std, 1.0)
    k = min(KNN_NEIGHBOURS, len(flat) - 1)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(flat).kneighbors(flat)
    neighbours = idx[:, 1:]  # the first is the row itself (or an exact copy of it)
    if labels is not None:
        lab = np.asarray(labels)[rows]
        agree = float(np.mean(lab[neighbours] == lab[:, None]))
        shares = np.bincount(lab) / len(lab)
        chance = float(np.sum(shares**2))
        return math.nan if chance >= 1 else (agree - chance) / (1 - chance)
    t = np.asarray(targets, dtype=np.float64).reshape(n, -1)[rows]
    pred = t[neighbours].mean(axis=1)
    ss_tot = float(np.sum((t - t.mean(axis=0)) ** 2))
    return math.nan if ss_tot == 0 else 1.0 - float(np.sum((t - pred) ** 2)) / ss_tot


def label_order(labels):
    """How far the row order of the labels is from a shuffled one.

    Returns:
        dict: runs_ratio (runs of equal consecutive labels over the runs expected in a random
        order: ~1 shuffled, ~0 sorted or in blocks), tail_classes_unseen (share of the rows of
        the last VALIDATION_SHARE whose class never occurs before them: what a model trained
        with validation_split never sees), head_classes (classes in the first part).
    """
    labels = np.asarray(labels)
    n = len(labels)
    if n < 10:
        return {"runs_ratio": math.nan, "tail_classes_unseen": math.nan}
    runs = 1 + int(np.sum(labels[1:] != labels[:-1]))
    shares = np.bincount(labels) / n
    expected = 1 + (n - 1) * (1 - float(np.sum(shares**2)))
    cut = int(round(n * (1 - VALIDATION_SHARE)))
    head, tail = labels[:cut], labels[cut:]
    unseen = float(np.mean(~np.isin(tail, head))) if len(tail) else math.nan
    return {"runs_ratio": runs / expected if expected > 1 else math.nan,
            "tail_classes_unseen": unseen,
            "head_classes": int(len(np.unique(head)))}


def target_order(values):
    """Spearman correlation of a regression target with its row number (|1| = sorted)."""
    from scipy.stats import spearmanr

    v = np.asarray(values, np.float64).reshape(len(values), -1)[:, 0]
    if len(v) < 10 or np.all(v == v[0]):
        return math.nan
    return float(spearmanr(np.arange(len(v)), v).statistic)


def data_facts(x, y, task, output_units=1):
    """Size, scale, non-finite values, class shares, order, duplicates and label
    predictability of the data (scales and checks on the finite rows).

    Returns:
        dict with n_rows, n_features, non_finite_rows and non_finite_share (rows with NaN/inf
        in x or y), non_finite_x / non_finite_y (values), input_rms (root-mean-square of each
        feature, shift included; the first MAX_FEATURES_LISTED), input_rms_max,
        input_std_max, input_abs_mean_max, input_scale_ratio (largest over smallest non-zero
        feature std), constant_features, duplicate_share, y_columns, y_encoding, target_mean,
        target_std, target_abs_max, target_min, target_max; for classification class_shares,
        majority_share, n_classes, runs_ratio, tail_classes_unseen; for regression
        target_order; label_predictability.
    """
    x, y = as_arrays(x), np.asarray(y)
    keep = finite_rows(x, y)
    flat_all = _flat(x)
    y_all = np.asarray(y, np.float64).reshape(len(y), -1)
    out = {
        "n_rows": int(len(flat_all)),
        "n_features": int(flat_all.shape[1]),
        "non_finite_rows": int((~keep).sum()),
        "non_finite_share": float(np.mean(~keep)),
        "non_finite_x": int(np.size(flat_all) - np.isfinite(flat_all).sum()),
        "non_finite_y": int(np.size(y_all) - np.isfinite(y_all).sum()),
        "y_columns": int(y_all.shape[1]),
    }
    flat, y, yf = flat_all[keep], y[keep], y_all[keep]
    std = flat.std(axis=0)
    live = std[std > 0]
    unique = len(np.unique(flat, axis=0)) if len(flat) <= 100_000 else len(flat)
    rms = np.sqrt((flat**2).mean(axis=0))
    out.update({
        "input_rms": [float(f"{v:.4g}") for v in rms[:MAX_FEATURES_LISTED]],
        "input_rms_max": float(rms.max()),
        "input_std_max": float(std.max()),
        "input_abs_mean_max": float(np.abs(flat.mean(axis=0)).max()),
        "input_scale_ratio": float(live.max() / live.min()) if len(live) else math.nan,
        "constant_features": int((std == 0).sum()),
        "duplicate_share": 1.0 - unique / len(flat),
        "target_mean": float(yf.mean()), "target_std": float(yf.std(axis=0).max()),
        "target_abs_max": float(np.abs(yf).max()), "target_min": float(yf.min()),
        "target_max": float(yf.max()),
    })
    labels, encoding = labels_from(y) if len(y) else (None, "none")
    out["y_encoding"] = encoding
    if task != "regression" and labels is not None:
        counts = np.bincount(labels, minlength=max(2, output_units))
        shares = counts / counts.sum()
        out.update(class_shares=[round(float(s), 6) for s in shares],
                   majority_share=float(shares.max()), n_classes=int(len(shares)))
        out.update(label_order(labels))
        out["label_predictability"] = label_predictability(flat, labels=labels)
    else:
        out["target_order"] = target_order(yf)
        out["label_predictability"] = label_predictability(flat, targets=yf)
    return out
