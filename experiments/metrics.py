"""Collapse metrics of a trained network, computed with numpy from its outputs and activations.

Shapes: n = number of evaluation inputs, k = number of output units. Every function returns
NaN (never raises) when its input holds NaN or inf, so a diverged network can still be scored.
"""

import numpy as np

DEAD_TOL = 1e-6  # a hidden unit whose activation std over inputs is <= this is dead
COLLAPSE_THRESHOLD = 0.01  # output std below 1% of the target std = collapsed
DECISION_THRESHOLD = 0.99  # >= 99% of inputs get the same predicted class = decision collapse
EPS = 1e-7  # keras.backend.epsilon(): probabilities are clipped to [EPS, 1 - EPS]

TASKS = ("binary", "multiclass", "regression")


def _finite(*arrays):
    """True if every entry of every array is finite."""
    return all(np.all(np.isfinite(a)) for a in arrays)


def _as_columns(x):
    """(n,) or (n, k) -> float64 array of shape (n, k)."""
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


# -----------------------------------------------------------------------------
# output collapse


def output_std(outputs):
    """Spread of the network's outputs over inputs.

    Args:
        outputs: (n,) or (n, k) outputs after the output activation.

    Returns:
        Std over inputs (ddof=0) of each output unit, averaged over units. NaN if non-finite.
    """
    outputs = _as_columns(outputs)
    if not _finite(outputs):
        return float("nan")
    return float(np.mean(np.std(outputs, axis=0)))


def rel_output_std(outputs, targets):
    """Output spread relative to the spread of the targets.

    Args:
        outputs: (n,) or (n, k) outputs after the output activation.
        targets: same shape convention: (n, 1) 0/1, one-hot (n, k) or (n, 1) floats.

    Returns:
        output_std(outputs) / output_std(targets); NaN if outputs are non-finite or the
        target std is 0.
    """
    num, den = output_std(outputs), output_std(targets)
    if np.isnan(num) or not den > 0:
        return float("nan")
    return num / den


def collapsed(outputs, targets, threshold=COLLAPSE_THRESHOLD):
    """Whether the network gives (nearly) the same output for every input.

    Args:
        outputs: (n,) or (n, k) outputs after the output activation.
        targets: same shape convention as in rel_output_std.
        threshold: collapsed if rel_output_std is below this.

    Returns:
        True if any output is non-finite (diverged) or rel_output_std < threshold. False when
        the targets themselves are constant (relative spread undefined).
    """
    if not _finite(outputs):
        return True
    rel = rel_output_std(outputs, targets)
    return bool(not np.isnan(rel) and rel < threshold)


# -----------------------------------------------------------------------------
# decision collapse


def predicted_classes(outputs):
    """Predicted class of each input.

    Args:
        outputs: (n,) or (n, 1) sigmoid probabilities, or (n, k) softmax probabilities, k > 1.

    Returns:
        (n,) int array: p >= 0.5 for one unit, argmax for k units. A row holding any NaN or
        inf is assigned class 0 (a diverged network counts as predicting one class).
    """
    outputs = _as_columns(outputs)
    finite = np.all(np.isfinite(outputs), axis=1)
    if outputs.shape[1] == 1:
        classes = (outputs[:, 0] >= 0.5).astype(int)
    else:
        classes = np.argmax(np.where(np.isfinite(outputs), outputs, 0.0), axis=1)
    return np.where(finite, classes, 0)


def majority_fraction(classes):
    """Share of the most common value.

    Args:
        classes: (n,) int array.

    Returns:
        Count of the most common value / n; NaN if n = 0.
    """
    classes = np.asarray(classes).reshape(-1)
    if classes.size == 0:
        return float("nan")
    _, counts = np.unique(classes, return_counts=True)
    return float(counts.max() / classes.size)


def decision_collapsed(pred_classes, true_classes, threshold=DECISION_THRESHOLD):
    """Whether the network predicts one class for (almost) all inputs although labels vary.

    Args:
        pred_classes: (n,) predicted classes.
        true_classes: (n,) true classes.
        threshold: majority share counting as one-sided.

    Returns:
        majority_fraction(pred) >= threshold and majority_fraction(true) < threshold.
    """
    one_sided_pred = majority_fraction(pred_classes) >= threshold
    one_sided_true = majority_fraction(true_classes) >= threshold
    return bool(one_sided_pred and not one_sided_true)


# -----------------------------------------------------------------------------
# hidden units and weights


def unit_is_dead(activations, tol=DEAD_TOL):
    """Which units of a hidden layer are dead (constant over inputs, or diverged).

    Args:
        activations: (n, units) activations of one hidden layer.
        tol: a unit whose std over inputs is <= tol is dead.

    Returns:
        (units,) bool array: std <= tol, or any non-finite value in that unit.
    """
    a = _as_columns(activations)
    finite = np.isfinite(a)
    std = np.std(np.where(finite, a, 0.0), axis=0)
    return (std <= tol) | ~np.all(finite, axis=0)


def dead_fraction(layers, tol=DEAD_TOL):
    """Share of dead units over all hidden layers.

    Args:
        layers: list of (n, units_i) activations, one per hidden layer.
        tol: see unit_is_dead.

    Returns:
        Dead units / total units; NaN for an empty list (no hidden units).
    """
    dead = [unit_is_dead(a, tol) for a in layers]
    total = sum(d.size for d in dead)
    if total == 0:
        return float("nan")
    return float(sum(d.sum() for d in dead) / total)


def neuron_similarity(activations, tol=DEAD_TOL):
    """How alike the live units of a hidden layer are (1 = all compute the same function).

    Args:
        activations: (n, units) activations of the last hidden layer.
        tol: see unit_is_dead.

    Returns:
        Mean over pairs i < j of live units of |Pearson correlation| over inputs, in [0, 1].
        NaN when fewer than 2 units are live (undefined for a single live unit).
    """
    a = _as_columns(activations)
    live = a[:, ~unit_is_dead(a, tol)]
    m = live.shape[1]
    if m < 2:
        return float("nan")
    corr = np.corrcoef(live, rowvar=False)
    pairs = np.abs(corr[np.triu_indices(m, k=1)])
    return float(np.clip(np.mean(pairs), 0.0, 1.0))


def weight_spread(kernels):
    """Smallest weight std over all Dense kernels (0 = some layer has identical weights).

    Args:
        kernels: list of 2-D kernels (fan_in, fan_out), output layer included.

    Returns:
        min over kernels of np.std(kernel); NaN for an empty list or any non-finite weight.
    """
    kernels = [np.asarray(k, dtype=np.float64) for k in kernels]
    if not kernels or not _finite(*kernels):
        return float("nan")
    return float(min(np.std(k) for k in kernels))


def grad_norm_ratio(first_grad, last_grad):
    """Gradient norm at the first kernel over that at the last (vanishing/exploding gradients).

    Args:
        first_grad: gradient of the loss wrt the first kernel, any shape.
        last_grad: gradient of the loss wrt the last (output) kernel, any shape.

    Returns:
        ||first_grad|| / ||last_grad|| (Frobenius); NaN if both norms are 0 or any entry is
        non-finite; inf if only the denominator is 0.
    """
    first = np.asarray(first_grad, dtype=np.float64)
    last = np.asarray(last_grad, dtype=np.float64)
    if not _finite(first, last):
        return float("nan")
    num, den = np.linalg.norm(first.ravel()), np.linalg.norm(last.ravel())
    if den == 0:
        return float("nan") if num == 0 else float("inf")
    return float(num / den)


# -----------------------------------------------------------------------------
# losses and scores (keras 3 semantics on probabilities, computed in float64)


def binary_crossentropy(probs, y):
    """Binary cross-entropy as keras.losses.binary_crossentropy, averaged over inputs.

    Args:
        probs: (n,) or (n, 1) sigmoid probabilities.
        y: 0/1 targets with n entries (reshaped to probs' shape).

    Returns:
        -mean(y log p + (1 - y) log(1 - p)) with p clipped to [EPS, 1 - EPS]; NaN if
        non-finite.
    """
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(p.shape)
    if not _finite(p, y):
        return float("nan")
    p = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def categorical_crossentropy(probs, onehot):
    """Categorical cross-entropy as keras.losses.categorical_crossentropy, averaged over inputs.

    Args:
        probs: (n, k) softmax probabilities.
        onehot: (n, k) one-hot targets.

    Returns:
        Rows of probs renormalized to sum 1, clipped to [EPS, 1 - EPS], then
        mean over inputs of -sum(onehot * log p); NaN if non-finite.
    """
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(onehot, dtype=np.float64)
    if not _finite(p, t):
        return float("nan")
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1.0 - EPS)
    return float(np.mean(-np.sum(t * np.log(p), axis=-1)))


def mean_squared_error(pred, y):
    """Mean squared error over inputs.

    Args:
        pred: (n,) or (n, 1) predictions.
        y: targets with the same number of entries (reshaped to pred's shape).

    Returns:
        mean((pred - y)^2); NaN if non-finite.
    """
    pred = np.asarray(pred, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(pred.shape)
    if not _finite(pred, y):
        return float("nan")
    return float(np.mean((pred - y) ** 2))


def accuracy(pred_classes, true_classes):
    """Share of inputs whose predicted class equals the true class.

    Args:
        pred_classes: (n,) int array.
        true_classes: (n,) int array.

    Returns:
        Accuracy in [0, 1]; NaN if n = 0.
    """
    pred = np.asarray(pred_classes).reshape(-1)
    true = np.asarray(true_classes).reshape(-1)
    if pred.size == 0:
        return float("nan")
    return float(np.mean(pred == true))


def r2_score(pred, y):
    """Coefficient of determination.

    Args:
        pred: (n,) or (n, 1) predictions.
        y: (n,) or (n, 1) targets.

    Returns:
        1 - SS_res / SS_tot; NaN if SS_tot = 0 or anything is non-finite.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if not _finite(pred, y):
        return float("nan")
    ss_tot = np.sum((y - y.mean()) ** 2)
    if ss_tot == 0:
        return float("nan")
    return float(1.0 - np.sum((y - pred) ** 2) / ss_tot)


def _check_task(task):
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def baseline_score(train_targets, eval_targets, task):
    """Score of a constant predictor fitted on the training targets.

    Args:
        train_targets: (n_train,) int labels, or floats for regression.
        eval_targets: (n_eval,) same kind.
        task: 'binary', 'multiclass' or 'regression'.

    Returns:
        Accuracy of always predicting the most common training class (ties: the smallest
        class), or R^2 of always predicting the training mean.
    """
    _check_task(task)
    train = np.asarray(train_targets).reshape(-1)
    target = np.asarray(eval_targets).reshape(-1)
    if task == "regression":
        return r2_score(np.full(target.shape, np.mean(train, dtype=np.float64)), target)
    values, counts = np.unique(train, return_counts=True)
    return accuracy(np.full(target.shape, values[np.argmax(counts)]), target)


# -----------------------------------------------------------------------------
# entry point for the training engines


def network_metrics(
    outputs, targets, hidden, kernels, task, train_targets=None, threshold=COLLAPSE_THRESHOLD
):
    """All collapse metrics of one network on one evaluation set.

    Args:
        outputs: (n, k) outputs after the output activation (k = 1 for binary/regression).
        targets: (n,) int labels for 'binary'/'multiclass'; (n,) or (n, 1) floats for
            'regression'.
        hidden: list of (n, units) activations of every hidden layer.
        kernels: list of 2-D Dense kernels, output layer included.
        task: 'binary', 'multiclass' or 'regression'.
        train_targets: training targets for baseline_score; None gives NaN.
        threshold: see collapsed.

    Returns:
        dict with output_std, rel_output_std, collapsed, majority_fraction,
        decision_collapsed, dead_fraction, neuron_similarity, weight_spread, loss, score,
        baseline_score. majority_fraction and decision_collapsed are None for regression.
        Non-finite outputs give collapsed True and NaN loss and score.
    """
    _check_task(task)
    outputs = _as_columns(outputs)
    finite = _finite(outputs)
    majority, decision = None, None
    if task == "regression":
        target_matrix = _as_columns(targets)
        loss = mean_squared_error(outputs, target_matrix)
        score = r2_score(outputs, target_matrix)
    else:
        labels = np.asarray(targets).reshape(-1).astype(int)
        if task == "binary":
            target_matrix = labels.reshape(-1, 1).astype(np.float64)
            loss = binary_crossentropy(outputs, target_matrix)
        else:
            target_matrix = np.eye(outputs.shape[1])[labels]
            loss = categorical_crossentropy(outputs, target_matrix)
        pred = predicted_classes(outputs)
        score = accuracy(pred, labels) if finite else float("nan")
        majority = majority_fraction(pred)
        decision = decision_collapsed(pred, labels)
    base = float("nan")
    if train_targets is not None:
        base = baseline_score(train_targets, targets, task)
    return {
        "output_std": output_std(outputs),
        "rel_output_std": rel_output_std(outputs, target_matrix),
        "collapsed": collapsed(outputs, target_matrix, threshold),
        "majority_fraction": majority,
        "decision_collapsed": decision,
        "dead_fraction": dead_fraction(hidden),
        "neuron_similarity": neuron_similarity(hidden[-1]) if hidden else float("nan"),
        "weight_spread": weight_spread(kernels),
        "loss": loss,
        "score": score,
        "baseline_score": base,
    }
