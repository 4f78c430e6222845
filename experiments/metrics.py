"""Collapse metrics of trained networks, computed with numpy from outputs and activations.

Every metric exists twice, with ONE implementation:
  * `name_batch(...)` takes a leading member axis K (K networks of the same shape, e.g. the
    members of one batched-engine chunk) and returns an array of shape (K,);
  * `name(...)` takes one network (no member axis) and returns a Python scalar; it adds a
    member axis of length 1 and calls `name_batch`, so both training engines score networks
    with the same code.

Shapes: K = networks, n = evaluation inputs, k = output units. Every function returns NaN
(never raises) for a network whose input holds NaN or inf, so a diverged network can still be
scored; one diverged member never affects the others.
"""

import functools

import numpy as np

DEAD_TOL = 1e-6  # a hidden unit whose activation std over inputs is <= this is dead
COLLAPSE_THRESHOLD = 0.01  # output std below 1% of the target std = collapsed
DECISION_THRESHOLD = 0.99  # >= 99% of inputs get the same predicted class = decision collapse
EPS = 1e-7  # keras.backend.epsilon(): probabilities are clipped to [EPS, 1 - EPS]

TASKS = ("binary", "multiclass", "regression")


def _quiet(fn):
    """Silence numpy's warnings: non-finite members give NaN on purpose, and are masked."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapped


def _finite_members(*arrays):
    """(K,) bool: True where every entry of member k of every array is finite."""
    flags = [np.isfinite(a).reshape(len(a), -1).all(axis=1) for a in arrays]
    return np.logical_and.reduce(flags)


def _as_columns(x):
    """(n,) or (n, k) -> float64 array of shape (n, k)."""
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def _as_member_columns(x):
    """(K, n) or (K, n, k) -> float64 array of shape (K, n, k)."""
    x = np.asarray(x, dtype=np.float64)
    return x[:, :, None] if x.ndim == 2 else x


def _member_rows(x):
    """(K, ...) -> float64 (K, m) with each member's values contiguous.

    Sums over a contiguous row are done the same way whatever the input's memory layout and
    K, so a network's metrics do not depend on the others stacked with it.
    """
    x = np.asarray(x, dtype=np.float64)
    return np.ascontiguousarray(x.reshape(len(x), -1))


def _over_inputs_last(activations):
    """(K, n, units) activations as a (K, units, n) view, to reduce over inputs on the last axis.

    Reductions over the last axis run fastest when that axis is contiguous in memory; the
    batched engine stores activations as (K, units, n) and passes them transposed. Floats keep
    their dtype (the engine's float32): what computes with them converts to float64 itself
    (_centered), and comparisons (dead_layer_batch) need no conversion.
    """
    x = np.asarray(activations)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.moveaxis(x[:, :, None] if x.ndim == 2 else x, 1, -1)


def _one(batch_value):
    """The single member of a length-1 batch result, as a Python scalar."""
    value = np.asarray(batch_value).reshape(-1)[0]
    return bool(value) if value.dtype == bool else float(value)


# -----------------------------------------------------------------------------
# output collapse


@_quiet
def output_std_batch(outputs):
    """Batched output_std: outputs (K, n) or (K, n, k) -> (K,) float."""
    outputs = _as_member_columns(outputs)
    std = np.mean(np.std(outputs, axis=1), axis=-1)
    return np.where(_finite_members(outputs), std, np.nan)


def output_std(outputs):
    """Spread of the network's outputs over inputs.

    Args:
        outputs: (n,) or (n, k) outputs after the output activation.

    Returns:
        Std over inputs (ddof=0) of each output unit, averaged over units. NaN if non-finite.
    """
    return _one(output_std_batch(_as_columns(outputs)[None]))


@_quiet
def rel_output_std_batch(outputs, targets):
    """Batched rel_output_std: outputs and targets (K, n) or (K, n, k) -> (K,) float."""
    num, den = output_std_batch(outputs), output_std_batch(targets)
    return np.where(np.isnan(num) | ~(den > 0), np.nan, num / den)


def rel_output_std(outputs, targets):
    """Output spread relative to the spread of the targets.

    Args:
        outputs: (n,) or (n, k) outputs after the output activation.
        targets: same shape convention: (n, 1) 0/1, one-hot (n, k) or (n, 1) floats.

    Returns:
        output_std(outputs) / output_std(targets); NaN if outputs are non-finite or the
        target std is 0.
    """
    return _one(rel_output_std_batch(_as_columns(outputs)[None], _as_columns(targets)[None]))


def collapsed_batch(outputs, targets, threshold=COLLAPSE_THRESHOLD):
    """Batched collapsed: (K, n[, k]) arrays, threshold scalar or (K,) -> (K,) bool."""
    rel = rel_output_std_batch(outputs, targets)
    finite = _finite_members(np.asarray(outputs))
    with np.errstate(invalid="ignore"):
        below = ~np.isnan(rel) & (rel < threshold)
    return finite & below


def collapsed(outputs, targets, threshold=COLLAPSE_THRESHOLD):
    """Whether the network gives (nearly) the same output for every input.

    Args:
        outputs: (n,) or (n, k) outputs after the output activation.
        targets: same shape convention as in rel_output_std.
        threshold: collapsed if rel_output_std is below this.

    Returns:
        True if every output is finite and rel_output_std < threshold. False for a diverged
        network (non-finite outputs: see `diverged`, an outcome of its own) and when the
        targets themselves are constant (relative spread undefined).
    """
    return _one(collapsed_batch(_as_columns(outputs)[None], _as_columns(targets)[None],
                                threshold))


# -----------------------------------------------------------------------------
# decision collapse


def predicted_classes_batch(outputs):
    """Batched predicted_classes: outputs (K, n) or (K, n, k) -> (K, n) int."""
    outputs = _as_member_columns(outputs)
    finite = np.isfinite(outputs)
    if outputs.shape[-1] == 1:
        classes = (outputs[..., 0] >= 0.5).astype(int)
    else:
        classes = np.argmax(np.where(finite, outputs, 0.0), axis=-1)
    return np.where(finite.all(axis=-1), classes, 0)


def predicted_classes(outputs):
    """Predicted class of each input.

    Args:
        outputs: (n,) or (n, 1) sigmoid probabilities, or (n, k) softmax probabilities, k > 1.

    Returns:
        (n,) int array: p >= 0.5 for one unit, argmax for k units. A row holding any NaN or
        inf is assigned class 0 (a diverged network counts as predicting one class).
    """
    return predicted_classes_batch(_as_columns(outputs)[None])[0]


def _mode_batch(values):
    """Most common value of each row of (K, n) and its count; ties go to the smallest value.

    Sorting puts equal values in runs; the first position where a run reaches the longest
    run length lies in the smallest value among the most common ones.
    """
    s = np.sort(values, axis=1)
    idx = np.arange(s.shape[1])
    new_run = np.ones(s.shape, dtype=bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0), axis=1)
    run_length = idx - run_start + 1
    count = run_length.max(axis=1)
    first_longest = np.argmax(run_length == count[:, None], axis=1)
    return s[np.arange(len(s)), first_longest], count


def majority_fraction_batch(classes):
    """Batched majority_fraction: classes (K, n) -> (K,) float; NaN if n = 0."""
    classes = np.asarray(classes)
    classes = classes.reshape(len(classes), -1)
    if classes.shape[1] == 0:
        return np.full(len(classes), np.nan)
    return _mode_batch(classes)[1] / classes.shape[1]


def majority_fraction(classes):
    """Share of the most common value.

    Args:
        classes: (n,) int array.

    Returns:
        Count of the most common value / n; NaN if n = 0.
    """
    return _one(majority_fraction_batch(np.asarray(classes).reshape(1, -1)))


def decision_collapsed_batch(pred_classes, true_classes, threshold=DECISION_THRESHOLD):
    """Batched decision_collapsed: (K, n) predicted and true classes -> (K,) bool.

    `network_metrics_batch` also requires finite outputs (a diverged network is not counted).
    """
    one_sided_pred = majority_fraction_batch(pred_classes) >= threshold
    one_sided_true = majority_fraction_batch(true_classes) >= threshold
    return one_sided_pred & ~one_sided_true


def decision_collapsed(pred_classes, true_classes, threshold=DECISION_THRESHOLD):
    """Whether the network predicts one class for (almost) all inputs although labels vary.

    Args:
        pred_classes: (n,) predicted classes.
        true_classes: (n,) true classes.
        threshold: majority share counting as one-sided.

    Returns:
        majority_fraction(pred) >= threshold and majority_fraction(true) < threshold.
    """
    pred = np.asarray(pred_classes).reshape(1, -1)
    true = np.asarray(true_classes).reshape(1, -1)
    return _one(decision_collapsed_batch(pred, true, threshold))


def _class_rows(pred_classes, true_classes):
    """Predicted and true classes as (K, n) arrays, one row per network."""
    pred, true = np.asarray(pred_classes), np.asarray(true_classes)
    return pred.reshape(len(pred), -1), true.reshape(len(true), -1)


@_quiet
def balanced_accuracy_batch(pred_classes, true_classes):
    """Batched balanced_accuracy: (K, n) predicted and true classes -> (K,) float."""
    pred, true = _class_rows(pred_classes, true_classes)
    if pred.shape[1] == 0:
        return np.full(len(pred), np.nan)
    classes = np.union1d(np.unique(true), np.unique(pred))
    is_class = true[:, :, None] == classes  # (K, n, C)
    hits = (is_class & (pred[:, :, None] == classes)).sum(axis=1)
    support = is_class.sum(axis=1)
    recall = np.where(support > 0, hits / np.maximum(support, 1), np.nan)
    return np.nanmean(recall, axis=1)


def balanced_accuracy(pred_classes, true_classes):
    """Mean over the classes present in `true_classes` of the share of them predicted right.

    An input-independent prediction scores 1/classes however one-sided the labels are, so
    this separates "predicts the majority class" from "learned the prior" (unlike accuracy).

    Args:
        pred_classes: (n,) int array.
        true_classes: (n,) int array.

    Returns:
        Balanced accuracy in [0, 1]; NaN if n = 0.
    """
    return _one(balanced_accuracy_batch(np.asarray(pred_classes).reshape(1, -1),
                                        np.asarray(true_classes).reshape(1, -1)))


SATURATION_TOL = 1e-6  # a probability within this of 0 or 1 is pinned at the limit


@_quiet
def saturated_fraction_batch(outputs, tol=SATURATION_TOL):
    """Batched saturated_fraction: probabilities (K, n) or (K, n, k) -> (K,) float."""
    outputs = _as_member_columns(outputs)
    pinned = (outputs <= tol) | (outputs >= 1.0 - tol)
    if outputs.shape[-1] > 1:  # softmax: an input is saturated when its top class is pinned
        pinned = outputs.max(axis=-1) >= 1.0 - tol
    share = pinned.reshape(len(outputs), -1).mean(axis=1)
    return np.where(_finite_members(outputs), share, np.nan)


def saturated_fraction(outputs, tol=SATURATION_TOL):
    """Share of inputs whose output probability is pinned at 0 or 1 (within `tol`).

    Separates a saturated output (large logits, the same extreme probability everywhere)
    from an input-independent output in the interior.

    Args:
        outputs: (n,) or (n, 1) sigmoid probabilities, or (n, k) softmax probabilities.
        tol: distance from 0 or 1 that counts as pinned.

    Returns:
        Share in [0, 1] (softmax: the top probability >= 1 - tol); NaN if non-finite.
    """
    return _one(saturated_fraction_batch(_as_columns(outputs)[None], tol))


# -----------------------------------------------------------------------------
# hidden units and weights


@_quiet
def _centered(activations):
    """Each unit's activations less their mean over inputs, as a fresh float64 (K, units, n)
    array, and the (K, units) mask of units whose activations are all finite (non-finite
    values count as 0, so that one cannot spread to the others)."""
    a = _over_inputs_last(activations)
    finite = np.isfinite(a).all(axis=-1)
    if not finite.all():
        a = np.where(np.isfinite(a), a, 0.0)
    x = a.astype(np.float64, order="C")
    x -= x.mean(axis=-1, keepdims=True)
    return x, finite


@_quiet
def _dead(centered, finite, tol=DEAD_TOL):
    """unit_is_dead_batch from _centered's output: np.std's own arithmetic (ddof 0)."""
    return (np.sqrt((centered * centered).sum(axis=-1) / centered.shape[-1]) <= tol) | ~finite


def unit_is_dead_batch(activations, tol=DEAD_TOL):
    """Batched unit_is_dead: activations (K, n, units) -> (K, units) bool."""
    return _dead(*_centered(activations), tol)


def unit_is_dead(activations, tol=DEAD_TOL):
    """Which units of a hidden layer are dead (constant over inputs, or diverged).

    Args:
        activations: (n, units) activations of one hidden layer.
        tol: a unit whose std over inputs is <= tol is dead.

    Returns:
        (units,) bool array: std <= tol, or any non-finite value in that unit.
    """
    return unit_is_dead_batch(_as_columns(activations)[None], tol)[0]


def dead_fraction_batch(layers, tol=DEAD_TOL):
    """Batched dead_fraction: list of (K, n, units_i) -> (K,) float.

    An empty list (no hidden units) gives a 0-d NaN array, which broadcasts to any K.
    """
    return _dead_share([unit_is_dead_batch(a, tol) for a in layers])


def _dead_share(dead):
    """dead_fraction_batch given each layer's (K, units_i) dead-unit mask."""
    if not dead:
        return np.array(np.nan)
    return np.concatenate(dead, axis=1).mean(axis=1)


def dead_fraction(layers, tol=DEAD_TOL):
    """Share of dead units over all hidden layers.

    Args:
        layers: list of (n, units_i) activations, one per hidden layer.
        tol: see unit_is_dead.

    Returns:
        Dead units / total units; NaN for an empty list (no hidden units).
    """
    return _one(dead_fraction_batch([_as_columns(a)[None] for a in layers], tol))


def neuron_similarity_batch(activations, tol=DEAD_TOL):
    """Batched neuron_similarity: activations (K, n, units) -> (K,) float."""
    centered, finite = _centered(activations)
    return _similarity(centered, ~_dead(centered, finite, tol))


@_quiet
def _similarity(centered, live):
    """neuron_similarity_batch given _centered's activations and the (K, units) live-unit
    mask.

    The Pearson correlation of every pair of units comes from one covariance product per
    member; pairs with a dead unit are masked out (dead units are zeroed first, in a copy).
    """
    centered = np.where(live[:, :, None], centered, 0.0)
    cov = centered @ centered.transpose(0, 2, 1)
    std = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    corr = np.clip(cov / (std[:, :, None] * std[:, None, :]), -1.0, 1.0)
    units = centered.shape[1]
    pairs = live[:, :, None] & live[:, None, :] & np.triu(np.ones((units, units), bool), k=1)
    n_live = live.sum(axis=1)
    n_pairs = n_live * (n_live - 1) // 2
    mean = np.where(pairs, np.abs(corr), 0.0).sum(axis=(1, 2)) / np.maximum(n_pairs, 1)
    return np.where(n_live >= 2, np.clip(mean, 0.0, 1.0), np.nan)


def neuron_similarity(activations, tol=DEAD_TOL):
    """How alike the live units of a hidden layer are (1 = all compute the same function).

    Args:
        activations: (n, units) activations of the last hidden layer.
        tol: see unit_is_dead.

    Returns:
        Mean over pairs i < j of live units of |Pearson correlation| over inputs, in [0, 1].
        NaN when fewer than 2 units are live (undefined for a single live unit).
    """
    return _one(neuron_similarity_batch(_as_columns(activations)[None], tol))


@_quiet
def weight_spread_batch(kernels):
    """Batched weight_spread: list of (K, fan_in, fan_out) kernels -> (K,) float.

    One kernel at a time is converted to float64 (the same values as converting all of them
    first): a deep, wide network's kernels are never all copied at once.
    An empty list gives a 0-d NaN array, which broadcasts to any K.
    """
    if not len(kernels):
        return np.array(np.nan)
    spread, finite = None, None
    for kernel in kernels:
        rows = _member_rows(kernel)
        std = rows.std(axis=1)
        ok = np.isfinite(rows).all(axis=1)
        spread = std if spread is None else np.minimum(spread, std)
        finite = ok if finite is None else finite & ok
        del rows
    return np.where(finite, spread, np.nan)


def weight_spread(kernels):
    """Smallest weight std over all Dense kernels (0 = some layer has identical weights).

    Args:
        kernels: list of 2-D kernels (fan_in, fan_out), output layer included.

    Returns:
        min over kernels of np.std(kernel); NaN for an empty list or any non-finite weight.
    """
    return _one(weight_spread_batch([np.asarray(k)[None] for k in kernels]))


IDENTICAL_TOL = 1e-6  # columns closer than this times the layer's largest |weight| are equal
IDENTICAL_PAIRWISE_MAX = 1 << 14  # fan_in * fan_out^2 up to which columns are compared pairwise


def identical_units_batch(kernels, tol=IDENTICAL_TOL):
    """Batched identical_units: list of (K, fan_in, fan_out) kernels -> (K,) float.

    A unit's incoming weights are its kernel column; columns are rounded to a grid of `tol`
    times the layer's largest |weight| and counted equal when their rounded values agree.
    The last kernel (the output layer) is not a hidden layer and is left out.
    """
    hidden = list(kernels[:-1])  # float32 views; converted to float64 one layer at a time
    if not hidden:
        return np.array(np.nan)
    n_members = len(hidden[0])
    same = np.zeros(n_members)
    total = sum(np.shape(k)[2] for k in hidden)
    finite = _finite_members(*hidden)  # a float32 entry is finite iff its float64 copy is
    for kernel in hidden:
        kernel = np.asarray(kernel, dtype=np.float64)
        with np.errstate(all="ignore"):
            scale = np.abs(kernel).max(axis=(1, 2)) * tol
            grid = np.round(kernel / np.where(scale > 0, scale, 1.0)[:, None, None])
        if kernel.shape[1] * kernel.shape[2] ** 2 <= IDENTICAL_PAIRWISE_MAX:
            # small layers: compare every pair of columns at once (np.unique per member and
            # layer costs ~0.1 ms, which dominates thousands of small networks)
            equal = (grid[:, :, :, None] == grid[:, :, None, :]).all(axis=1)
            equal[:, np.arange(kernel.shape[2]), np.arange(kernel.shape[2])] = False
            same += np.where(finite, equal.any(axis=2).sum(axis=1), 0)
            continue
        for k in np.flatnonzero(finite):
            _, inverse, counts = np.unique(grid[k].T, axis=0, return_inverse=True,
                                           return_counts=True)
            same[k] += np.sum(counts[inverse.reshape(-1)] > 1)
    return np.where(finite, same / total, np.nan)


def identical_units(kernels, tol=IDENTICAL_TOL):
    """Share of hidden units whose incoming weights equal another unit's in the same layer.

    Units with equal incoming weights (and equal biases, as after constant initialization)
    compute the same function; gradient descent keeps them equal. Unlike weight_spread, this
    finds identical columns whatever their spread.

    Args:
        kernels: list of 2-D kernels (fan_in, fan_out), output layer included (and ignored).
        tol: see identical_units_batch.

    Returns:
        Share in [0, 1]; NaN without hidden layers or for non-finite weights.
    """
    return _one(identical_units_batch([np.asarray(k)[None] for k in kernels], tol))


@_quiet
def grad_norm_ratio_batch(first_grad, last_grad):
    """Batched grad_norm_ratio: (K, ...) gradients -> (K,) float."""
    first, last = _member_rows(first_grad), _member_rows(last_grad)
    num, den = np.linalg.norm(first, axis=1), np.linalg.norm(last, axis=1)
    ratio = np.where(den == 0, np.where(num == 0, np.nan, np.inf), num / den)
    return np.where(_finite_members(first, last), ratio, np.nan)


def grad_norm_ratio(first_grad, last_grad):
    """Gradient norm at the first kernel over that at the last (vanishing/exploding gradients).

    Args:
        first_grad: gradient of the loss wrt the first kernel, any shape.
        last_grad: gradient of the loss wrt the last (output) kernel, any shape.

    Returns:
        ||first_grad|| / ||last_grad|| (Frobenius); NaN if both norms are 0 or any entry is
        non-finite; inf if only the denominator is 0.
    """
    return _one(grad_norm_ratio_batch(np.asarray(first_grad)[None], np.asarray(last_grad)[None]))


@_quiet
def dead_relu_fraction_batch(pre_activations):
    """Batched dead_relu_fraction: list of (K, n, units_i) pre-activations -> (K,) float.

    Only each unit's largest pre-activation matters, so per-unit maxima over the inputs,
    (K, 1, units_i), give the same answer (the batched engine passes those). An empty list
    (no hidden units) gives a 0-d NaN array, which broadcasts to any K.
    """
    if not pre_activations:
        return np.array(np.nan)
    layers = [np.asarray(z) for z in pre_activations]
    off = np.concatenate([(z <= 0).all(axis=1) for z in layers], axis=1)
    return np.where(_finite_members(*layers), off.mean(axis=1), np.nan)


def dead_relu_fraction(pre_activations):
    """Share of hidden units that are off (pre-activation <= 0) for every input.

    The standard dying-ReLU definition, measured on the training inputs: such a unit outputs
    0 everywhere and gets no gradient. For other activations it is the same count.

    Args:
        pre_activations: list of (n, units_i) pre-activations (before the activation), one
            per hidden layer.

    Returns:
        Off units / total units; NaN for an empty list or any non-finite pre-activation.
    """
    return _one(dead_relu_fraction_batch([_as_columns(z)[None] for z in pre_activations]))


@_quiet
def zero_grad_fraction_batch(grads):
    """Batched zero_grad_fraction: list of (K, ...) gradients -> (K,) float."""
    if not grads:
        return np.array(np.nan)
    rows = [np.asarray(g).reshape(len(g), -1) for g in grads]
    zeros = np.sum([(r == 0).sum(axis=1) for r in rows], axis=0)
    share = zeros / sum(r.shape[1] for r in rows)
    return np.where(_finite_members(*rows), share, np.nan)


def zero_grad_fraction(grads):
    """Share of the loss gradient's entries that are exactly zero (AUTOTRAINER's dying-ReLU
    signal: it flags dying ReLU when at least 70% are).

    Args:
        grads: list of gradients of the loss wrt every kernel, any shapes.

    Returns:
        Zero entries / all entries; NaN for an empty list or any non-finite entry.
    """
    return _one(zero_grad_fraction_batch([np.asarray(g)[None] for g in grads]))


@_quiet
def dead_layer_batch(layers):
    """Batched dead_layer: list of (K, n, units_i) activations -> (K,) bool."""
    if not layers:
        return np.array(False)
    dead = []
    for a in layers:
        a = _over_inputs_last(a)
        constant = np.all(a.max(axis=-1) == a.min(axis=-1), axis=1)
        dead.append(constant | ~np.isfinite(a).reshape(len(a), -1).all(axis=1))
    return np.logical_or.reduce(dead)


def dead_layer(layers):
    """Whether some hidden layer has every unit exactly constant over the inputs.

    Every layer after it, and the output, are then the same for every input: for a network
    at initialization this is "born dead" (Lu et al. 2020). Exactly constant, not within
    DEAD_TOL: a narrow ReLU network's signal can shrink a lot and still vary.

    Args:
        layers: list of (n, units_i) activations, one per hidden layer.

    Returns:
        bool (True for a layer with a non-finite value); False without hidden layers.
    """
    return _one(dead_layer_batch([_as_columns(a)[None] for a in layers]))


@_quiet
def input_correlation_batch(pre_activations):
    """Batched input_correlation: (K, n, units) pre-activations of one layer -> (K,) float.

    The mean over pairs of cosines is (|sum of unit vectors|^2 - n) / (n (n - 1)): no n x n
    matrix is formed.
    """
    z = _as_member_columns(pre_activations)
    norms = np.sqrt(np.sum(z * z, axis=2))
    valid = norms > 0
    unit = np.where(valid[:, :, None], z / np.where(valid, norms, 1.0)[:, :, None], 0.0)
    total = unit.sum(axis=1)
    n_valid = valid.sum(axis=1)
    mean = (np.sum(total * total, axis=1) - n_valid) / (n_valid * (n_valid - 1.0))
    return np.where(_finite_members(z) & (n_valid >= 2), np.clip(mean, -1.0, 1.0), np.nan)


def input_correlation(pre_activations):
    """How alike a layer's pre-activations are for different inputs (mean-field c).

    For each pair of inputs a != b: z_a . z_b / (|z_a| |z_b|), the uncentred correlation over
    the layer's units that mean-field theory propagates; averaged over the pairs. 1 = every
    input maps to the same direction (the ordered phase's fixed point).

    Args:
        pre_activations: (n, units) pre-activations of one layer (inputs @ kernel + bias).

    Returns:
        Mean over pairs of inputs with a non-zero vector; NaN with fewer than two of those
        or any non-finite value.
    """
    return _one(input_correlation_batch(_as_columns(pre_activations)[None]))


@_quiet
def jacobian_gain_batch(slopes, kernel):
    """Batched jacobian_gain: slopes (K, n, fan_in), kernel (K, fan_in, fan_out) -> (K,)."""
    slopes = _as_member_columns(slopes)
    kernel = np.asarray(kernel, dtype=np.float64)
    row_sq = np.sum(kernel * kernel, axis=2)  # |W_i.|^2 per input unit i
    gain = np.sum(slopes * slopes * row_sq[:, None, :], axis=2).mean(axis=1) / kernel.shape[2]
    return np.where(_finite_members(slopes, kernel), gain, np.nan)


def jacobian_gain(slopes, kernel):
    """Mean squared singular value of one layer-to-layer Jacobian (mean-field chi1).

    The next layer's pre-activation z' = phi(z) W + b has Jacobian diag(phi'(z)) W. A small
    random change of z with mean square 1 per unit (independent standard normal entries)
    changes z' by sum_i phi'(z_i)^2 |W_i.|^2 / fan_out per unit, in mean square. Above 1
    small differences between inputs grow (chaos), below 1 they shrink (order: inputs end
    up with the same output).

    Args:
        slopes: (n, fan_in) phi'(z) of the layer feeding the kernel, one row per input.
        kernel: (fan_in, fan_out) the next layer's kernel.

    Returns:
        The gain averaged over the inputs; NaN if anything is non-finite.
    """
    return _one(jacobian_gain_batch(_as_columns(slopes)[None], np.asarray(kernel)[None]))


# -----------------------------------------------------------------------------
# losses and scores (keras 3 semantics on probabilities, computed in float64)


@_quiet
def binary_crossentropy_batch(probs, y):
    """Batched binary_crossentropy: probs (K, n[, 1]), y with K * n entries -> (K,)."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(p.shape)
    finite = _finite_members(p, y)
    p = np.clip(p, EPS, 1.0 - EPS)
    bce = -_member_rows(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)).mean(axis=1)
    return np.where(finite, bce, np.nan)


def binary_crossentropy(probs, y):
    """Binary cross-entropy as keras.losses.binary_crossentropy, averaged over inputs.

    Args:
        probs: (n,) or (n, 1) sigmoid probabilities.
        y: 0/1 targets with n entries (reshaped to probs' shape).

    Returns:
        -mean(y log p + (1 - y) log(1 - p)) with p clipped to [EPS, 1 - EPS]; NaN if
        non-finite.
    """
    p = np.asarray(probs)
    return _one(binary_crossentropy_batch(p[None], np.asarray(y).reshape((1, *p.shape))))


@_quiet
def categorical_crossentropy_batch(probs, onehot):
    """Batched categorical_crossentropy: probs and onehot (K, n, k) -> (K,)."""
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(onehot, dtype=np.float64)
    finite = _finite_members(p, t)
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1.0 - EPS)
    cce = np.mean(-np.sum(t * np.log(p), axis=-1), axis=1)
    return np.where(finite, cce, np.nan)


def categorical_crossentropy(probs, onehot):
    """Categorical cross-entropy as keras.losses.categorical_crossentropy, averaged over inputs.

    Args:
        probs: (n, k) softmax probabilities.
        onehot: (n, k) one-hot targets.

    Returns:
        Rows of probs renormalized to sum 1, clipped to [EPS, 1 - EPS], then
        mean over inputs of -sum(onehot * log p); NaN if non-finite.
    """
    return _one(categorical_crossentropy_batch(np.asarray(probs)[None],
                                               np.asarray(onehot)[None]))


@_quiet
def mean_squared_error_batch(pred, y):
    """Batched mean_squared_error: pred (K, n[, 1]), y with as many entries -> (K,)."""
    pred = np.asarray(pred, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(pred.shape)
    mse = _member_rows((pred - y) ** 2).mean(axis=1)
    return np.where(_finite_members(pred, y), mse, np.nan)


def mean_squared_error(pred, y):
    """Mean squared error over inputs.

    Args:
        pred: (n,) or (n, 1) predictions.
        y: targets with the same number of entries (reshaped to pred's shape).

    Returns:
        mean((pred - y)^2); NaN if non-finite.
    """
    pred = np.asarray(pred)
    return _one(mean_squared_error_batch(pred[None], np.asarray(y).reshape((1, *pred.shape))))


def accuracy_batch(pred_classes, true_classes):
    """Batched accuracy: (K, n) predicted and true classes -> (K,) float; NaN if n = 0."""
    pred, true = _class_rows(pred_classes, true_classes)
    if pred.shape[1] == 0:
        return np.full(len(pred), np.nan)
    return np.mean(pred == true, axis=1)


def accuracy(pred_classes, true_classes):
    """Share of inputs whose predicted class equals the true class.

    Args:
        pred_classes: (n,) int array.
        true_classes: (n,) int array.

    Returns:
        Accuracy in [0, 1]; NaN if n = 0.
    """
    return _one(accuracy_batch(np.asarray(pred_classes).reshape(1, -1),
                               np.asarray(true_classes).reshape(1, -1)))


@_quiet
def r2_score_batch(pred, y):
    """Batched r2_score: pred and y (K, n) or (K, n, 1) -> (K,) float."""
    pred, y = _member_rows(pred), _member_rows(y)
    ss_tot = np.sum((y - y.mean(axis=1, keepdims=True)) ** 2, axis=1)
    r2 = 1.0 - np.sum((y - pred) ** 2, axis=1) / ss_tot
    return np.where(_finite_members(pred, y) & (ss_tot != 0), r2, np.nan)


def r2_score(pred, y):
    """Coefficient of determination.

    Args:
        pred: (n,) or (n, 1) predictions.
        y: (n,) or (n, 1) targets.

    Returns:
        1 - SS_res / SS_tot; NaN if SS_tot = 0 or anything is non-finite.
    """
    return _one(r2_score_batch(np.asarray(pred).reshape(1, -1), np.asarray(y).reshape(1, -1)))


def auroc_batch(outputs, labels):
    """Batched AUROC: outputs (K, n, k) scores and (K, n) int labels -> (K,) float.

    Binary (k = 1): the Mann-Whitney statistic of the scores of class 1 against class 0, ties
    counted half (scipy's average ranks). Several classes: the mean of each present class's
    one-vs-rest AUROC. NaN for a member with a non-finite output or fewer than two classes.
    """
    from scipy.stats import rankdata

    outputs = np.asarray(outputs, dtype=np.float64)
    labels = np.asarray(labels).astype(int)
    columns = [(0, 1)] if outputs.shape[2] == 1 else [(j, j) for j in range(outputs.shape[2])]
    total = np.zeros(len(outputs))
    counted = np.zeros(len(outputs))
    for column, positive in columns:
        is_pos = labels == positive
        n_pos, n_neg = is_pos.sum(axis=1), (~is_pos).sum(axis=1)
        ranks = rankdata(outputs[:, :, column], axis=1)
        u = np.sum(np.where(is_pos, ranks, 0.0), axis=1) - n_pos * (n_pos + 1) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            area = u / (n_pos * n_neg)
        ok = (n_pos > 0) & (n_neg > 0)
        total += np.where(ok, area, 0.0)
        counted += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / counted
    return np.where(_finite_members(outputs) & (counted > 0), out, np.nan)


def auroc(outputs, labels):
    """AUROC of one network: outputs (n,) or (n, k) scores, labels (n,) ints (see
    auroc_batch)."""
    return _one(auroc_batch(_as_columns(outputs)[None], np.asarray(labels).reshape(1, -1)))


def _check_task(task):
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def baseline_score_batch(train_targets, eval_targets, task):
    """Batched baseline_score: (K, n_train) and (K, n_eval) targets -> (K,) float."""
    _check_task(task)
    train = np.asarray(train_targets)
    target = np.asarray(eval_targets)
    train, target = train.reshape(len(train), -1), target.reshape(len(target), -1)
    if task == "regression":
        mean = np.mean(train, axis=1, dtype=np.float64)
        return r2_score_batch(np.broadcast_to(mean[:, None], target.shape), target)
    most_common = _mode_batch(train)[0]
    return accuracy_batch(np.broadcast_to(most_common[:, None], target.shape), target)


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
    return _one(baseline_score_batch(np.asarray(train_targets).reshape(1, -1),
                                     np.asarray(eval_targets).reshape(1, -1), task))


GATE_LOW, GATE_HIGH = 0.1, 0.9  # a sigmoid gate below / above this is saturated (Karpathy
# et al. 2015, "Visualizing and understanding recurrent networks": left / right saturated)


@_quiet
def saturated_gates_batch(gate_values):
    """Batched saturated_gates: list of (K, ...) gate activations -> (K,) float; an empty
    list (no gated recurrent layer) gives a 0-d NaN array."""
    if not gate_values:
        return np.array(np.nan)
    rows = [_member_rows(g) for g in gate_values]
    saturated = np.sum([((r < GATE_LOW) | (r > GATE_HIGH)).sum(axis=1) for r in rows], axis=0)
    share = saturated / max(sum(r.shape[1] for r in rows), 1)
    return np.where(_finite_members(*rows), share, np.nan)


def saturated_gates(gate_values):
    """Share of the sigmoid gate activations of LSTM / GRU layers below GATE_LOW or above
    GATE_HIGH, over evaluation inputs, steps, gates and units.

    Args:
        gate_values: list of arrays of gate activations, one per recurrent layer.

    Returns:
        Share in [0, 1]; NaN for an empty list or any non-finite value.
    """
    return _one(saturated_gates_batch([np.asarray(g)[None] for g in gate_values]))


def channel_similarity_batch(activations, tol=DEAD_TOL):
    """neuron_similarity_batch of a conv layer's channels, (K, inputs * positions, channels)."""
    return neuron_similarity_batch(activations, tol)


# -----------------------------------------------------------------------------
# entry points for the training engines

NETWORK_METRICS = ("output_std", "rel_output_std", "collapsed", "majority_fraction",
                   "decision_collapsed", "balanced_accuracy", "auroc", "saturated_fraction",
                   "dead_fraction", "dead_layer", "neuron_similarity", "identical_units",
                   "weight_spread", "loss", "score", "baseline_score")


def network_metrics_batch(
    outputs, targets, hidden, kernels, task, train_targets=None, threshold=COLLAPSE_THRESHOLD,
    names=NETWORK_METRICS,
):
    """All collapse metrics of K networks of one shape, each on its own evaluation set.

    Args:
        outputs: (K, n, k) outputs after the output activation (k = 1 for binary/regression).
        targets: (K, n) int labels for 'binary'/'multiclass'; (K, n) or (K, n, 1) floats for
            'regression'.
        hidden: list of (K, n, units) activations of every hidden layer.
        kernels: list of (K, fan_in, fan_out) Dense kernels, output layer included.
        task: 'binary', 'multiclass' or 'regression'.
        train_targets: (K, n_train) training targets for baseline_score; None gives NaN.
        threshold: see collapsed; a scalar or one value per network, shape (K,).
        names: the metrics to compute, a subset of NETWORK_METRICS (default: all of them).

    Returns:
        dict name -> (K,) array (bool for collapsed and decision_collapsed), in the order of
        `names`; majority_fraction and decision_collapsed are None for regression. Use
        `member_metrics` for one network's values as Python scalars.
    """
    _check_task(task)
    outputs = _as_member_columns(outputs)
    n_members = len(outputs)

    def per_member(values):
        return np.broadcast_to(values, (n_members,))  # metrics undefined for all give 0-d NaN

    if task == "regression":
        target_matrix = _as_member_columns(targets)
        labels = None
    else:
        labels = np.asarray(targets).reshape(n_members, -1).astype(int)
        if task == "binary":
            target_matrix = labels[:, :, None].astype(np.float64)
        else:
            target_matrix = np.eye(outputs.shape[2])[labels]

    @functools.cache
    def pred():
        return predicted_classes_batch(outputs)

    @functools.cache
    def last():  # the last hidden layer centred: shared by dead() and similarity()
        return _centered(hidden[-1])

    @functools.cache
    def dead():  # shared by dead_fraction and neuron_similarity
        return [unit_is_dead_batch(h) for h in hidden[:-1]] + [_dead(*last())] if hidden else []

    def loss():
        if task == "regression":
            return mean_squared_error_batch(outputs, target_matrix)
        if task == "binary":
            return binary_crossentropy_batch(outputs, target_matrix)
        return categorical_crossentropy_batch(outputs, target_matrix)

    def score():
        if task == "regression":
            return r2_score_batch(outputs, target_matrix)
        return np.where(_finite_members(outputs), accuracy_batch(pred(), labels), np.nan)

    def baseline():
        if train_targets is None:
            return np.full(n_members, np.nan)
        return baseline_score_batch(train_targets, targets, task)

    def similarity():
        return _similarity(last()[0], ~dead()[-1]) if hidden else np.array(np.nan)

    classification = task != "regression"
    compute = {
        "output_std": lambda: output_std_batch(outputs),
        "rel_output_std": lambda: rel_output_std_batch(outputs, target_matrix),
        "collapsed": lambda: collapsed_batch(outputs, target_matrix, threshold),
        "majority_fraction": lambda: majority_fraction_batch(pred()) if classification else None,
        "decision_collapsed": (lambda: decision_collapsed_batch(pred(), labels)
                               & _finite_members(outputs) if classification else None),
        "balanced_accuracy": (lambda: np.where(_finite_members(outputs),
                                               balanced_accuracy_batch(pred(), labels), np.nan)
                              if classification else None),
        "auroc": lambda: auroc_batch(outputs, labels) if classification else None,
        "saturated_fraction": lambda: saturated_fraction_batch(outputs) if classification else None,
        "dead_fraction": lambda: per_member(_dead_share(dead())),
        "dead_layer": lambda: per_member(dead_layer_batch(hidden)),
        "neuron_similarity": lambda: per_member(similarity()),
        "weight_spread": lambda: per_member(weight_spread_batch(kernels)),
        "identical_units": lambda: per_member(identical_units_batch(kernels)),
        "loss": loss,
        "score": score,
        "baseline_score": baseline,
    }
    return {name: compute[name]() for name in names}


def member_metrics(batch, index):
    """One network's values of a batch of metrics, as Python scalars.

    Args:
        batch: dict of name -> (K,) array or None, as network_metrics_batch returns.
        index: the network's position on the member axis.

    Returns:
        dict name -> float, bool, or None (a metric undefined for the task).
    """
    return {name: None if values is None else _one(values[index])
            for name, values in batch.items()}


def every_member_metrics(batch, n):
    """member_metrics(batch, i) for i in range(n), each array converted once: [dict]."""
    columns = {}
    for name, values in batch.items():
        if values is None:
            columns[name] = [None] * n
        else:
            values = np.broadcast_to(np.asarray(values).reshape(-1), (n,))
            columns[name] = (values if values.dtype == bool else values.astype(np.float64)).tolist()
    return [{name: column[i] for name, column in columns.items()} for i in range(n)]


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
        dict with the NETWORK_METRICS. majority_fraction, decision_collapsed,
        balanced_accuracy and saturated_fraction are None for regression. Non-finite outputs
        give collapsed and decision_collapsed False and NaN loss and score.
    """
    _check_task(task)

    def one(a):
        return None if a is None else np.asarray(a)[None]

    batch = network_metrics_batch(
        _as_columns(outputs)[None], one(targets), [_as_columns(h)[None] for h in hidden],
        [one(k) for k in kernels], task, one(train_targets), threshold)
    return member_metrics(batch, 0)
