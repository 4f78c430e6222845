"""Fixes tested, not guessed: retrain copies of the user's model with one change each.

Every change is trained from fresh initial weights with the same seeds as the unchanged copy
("as_is"), on the same training rows, and measured on held-out rows with the project's
metrics. A change's collapse rate comes with its exact (Clopper-Pearson) interval from
analysis.stats.rate_interval, the statistics of the claims.

Copies are trained with Keras `model.fit`, so any model the doctor reads (Conv, recurrent,
BatchNormalization, nested) can be copied: the batched engine (experiments.training.engine)
trains networks on the project's own datasets only, and has no way to take the user's arrays.

Example:
    results = try_fixes(model, x, y, seeds=5, epochs=20)
    [(r["change"], r["collapsed"], r["runs"]) for r in results]
"""

import math
import time

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from analysis.stats import rate_interval
from experiments import metrics
from experiments.doctor import evidence as ev

EVAL_FRACTION = 0.25
SMALL_DATA = 40  # fewer rows: copies are measured on their training rows


def _is_relu(name):
    return name in ev.RELU_FAMILY


def _standardized(data):
    return data["input_rms_max"] <= 3 and (not math.isfinite(data["input_scale_ratio"])
                                           or data["input_scale_ratio"] <= 10)


def _unshuffled(data):
    """Whether the rows' order looks sorted (the copies then keep it, as the program did)."""
    runs, unseen = data.get("runs_ratio"), data.get("tail_classes_unseen")
    order = data.get("target_order")
    return bool((runs is not None and runs == runs and runs < 0.3)
                or (unseen is not None and unseen == unseen and unseen > 0.2)
                or (order is not None and order == order and abs(order) > 0.9))


# -----------------------------------------------------------------------------
# changes: each is (name, description, causes it tests, applies(facts, data), edits)


def _reinit(layer, config, facts):
    if "kernel_initializer" in config:
        relu = layer.name in facts["_relu_units"]
        config["kernel_initializer"] = "he_normal" if relu else "glorot_uniform"
        if "bias_initializer" in config:
            config["bias_initializer"] = "zeros"
    return config


def _no_regularization(layer, config, facts):
    for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
                "recurrent_regularizer"):
        if key in config:
            config[key] = None
    return config


def _leaky(layer, config, facts):
    if ev.unit_kind(layer) in ("dense", "conv") and _is_relu(ev.activation_name(layer)):
        config["activation"] = "leaky_relu"
    return config


def _relu_hidden(layer, config, facts):
    if (ev.unit_kind(layer) in ("dense", "conv") and layer.name in facts["_hidden"]
            and ev.activation_name(layer) in ev.SATURATING):
        config["activation"] = "relu"
        config["kernel_initializer"] = "he_normal"
    return config


def _output_activation(name):
    def edit(layer, config, facts):
        if layer.name == facts["_output_act"] and "activation" in config:
            config["activation"] = name
        return config
    return edit


def _output_for_labels(layer, config, facts):
    """The head that fits class labels: sigmoid for one unit, softmax for several."""
    name = "sigmoid" if facts["output_units"] == 1 else "softmax"
    return _output_activation(name)(layer, config, facts)


def _less_dropout(layer, config, facts):
    if type(layer).__name__ in ev.DROPOUT_LAYERS and "rate" in config:
        config["rate"] = min(float(config["rate"]), 0.2)
    return config


def _batchnorm_momentum(layer, config, facts):
    if type(layer).__name__ == "BatchNormalization":
        config["momentum"] = min(float(config.get("momentum", 0.99)), 0.9)
    return config


def _wider(layer, config, facts):
    if layer.name in facts["_hidden"]:
        for key in ("units", "filters"):
            if isinstance(config.get(key), int):
                config[key] = max(16, 4 * config[key])
    return config


def _two_units(layer, config, facts):
    if layer.name == facts["_output_unit"] and "units" in config:
        config["units"] = 2
    return config


def _labels_loss(facts, y):
    """The loss that fits class labels and the model's output units."""
    if facts["output_units"] == 1:
        return "binary_crossentropy"
    return ("categorical_crossentropy" if np.ndim(y) == 2 and np.shape(y)[1] > 1
            else "sparse_categorical_crossentropy")


def _classification(f):
    return f["task"] != "regression"


def _regression(f):
    return f["task"] == "regression"


CHANGES = {
    # name: (description, causes, applies(facts, data), layer edit or None, training edit)
    "as_is": ("unchanged (fresh initial weights)", (), lambda f, d: True, None, {}),
    "reinitialize": ("he_normal (ReLU layers) / glorot_uniform kernels, zero biases",
                     ("same_value_init", "dead_relu"), lambda f, d: True, _reinit, {}),
    "lr_div_10": ("learning rate / 10", ("learning_rate_too_high",),
                  lambda f, d: True, None, {"lr_factor": 0.1}),
    "lr_times_10": ("learning rate x 10", ("learning_rate_too_low",),
                    lambda f, d: True, None, {"lr_factor": 10.0}),
    "no_regularization": ("no L1/L2 penalties", ("strong_regularization",),
                          lambda f, d: f["max_l1"] > 0 or f["max_l2"] > 0,
                          _no_regularization, {}),
    "standardize_inputs": ("inputs standardized with training statistics",
                           ("unscaled_inputs",), lambda f, d: not _standardized(d), None,
                           {"standardize": True}),
    "class_weights": ("class weights inversely proportional to class shares",
                      ("class_imbalance",),
                      lambda f, d: _classification(f) and d.get("majority_share", 0) > 0.6,
                      None, {"class_weights": True}),
    "leaky_relu": ("LeakyReLU instead of ReLU in hidden layers", ("dead_relu",),
                   lambda f, d: any(_is_relu(a) for a in f["hidden_activations"]),
                   _leaky, {}),
    "relu_activation": ("ReLU + he_normal instead of sigmoid/tanh in hidden layers",
                        ("vanishing_gradients",),
                        lambda f, d: any(a in ev.SATURATING for a in f["hidden_activations"]),
                        _relu_hidden, {}),
    "sigmoid_output": ("sigmoid output unit with binary cross-entropy",
                       ("softmax_single_unit", "loss_output_mismatch"),
                       lambda f, d: f["output_units"] == 1 and _classification(f)
                       and (f["output_activation"] != "sigmoid" or not f["consistent"]),
                       _output_activation("sigmoid"), {"loss": "binary_crossentropy"}),
    "two_softmax_units": ("two softmax output units with sparse categorical cross-entropy",
                          ("softmax_single_unit",),
                          lambda f, d: f["output_units"] == 1
                          and f["output_activation"] == "softmax", _two_units,
                          {"loss": "sparse_categorical_crossentropy"}),
    "fitting_loss": ("the output activation and loss that fit the labels (sigmoid + binary "
                     "or softmax + categorical cross-entropy, no from_logits)",
                     ("loss_output_mismatch",),
                     lambda f, d: _classification(f) and f["output_units"] > 1
                     and not f["consistent"], _output_for_labels, {"loss": "labels"}),
    "linear_output": ("linear output layer (mean squared error)", ("output_range_mismatch",),
                      lambda f, d: _regression(f) and f["output_activation"] not in (
                          None, "linear"), _output_activation("linear"), {"loss": "mse"}),
    "standardize_targets": ("targets standardized with training statistics",
                            ("unscaled_targets",),
                            lambda f, d: _regression(f) and max(
                                abs(d["target_mean"]), d["target_std"]) > 10, None,
                            {"standardize_targets": True}),
    "shuffle_rows": ("rows shuffled before the split into training and held-out rows",
                     ("unshuffled_data",), lambda f, d: _unshuffled(d), None,
                     {"shuffle_split": True}),
    "drop_non_finite": ("training rows with NaN/inf dropped", ("non_finite_data",),
                        lambda f, d: d.get("non_finite_rows", 0) > 0, None,
                        {"drop_non_finite": True}),
    "less_dropout": ("dropout rates capped at 0.2", ("dropout_too_high",),
                     lambda f, d: f.get("max_dropout", 0) > 0.3, _less_dropout, {}),
    "batchnorm_momentum": ("BatchNormalization momentum 0.9 (moving statistics that follow "
                           "the data)", ("batchnorm_statistics",),
                           lambda f, d: f.get("batchnorm_layers", 0) > 0, _batchnorm_momentum,
                           {}),
    "wider": ("hidden layers 4x wider (at least 16 units)", ("model_too_small",),
              lambda f, d: bool(f.get("widths")) and min(f["widths"]) < 16, _wider, {}),
}


def applicable_changes(facts, data):
    """Names of the changes that make sense for this model and data, as_is first."""
    return [name for name, (_, _, applies, _, _) in CHANGES.items() if applies(facts, data)]


# -----------------------------------------------------------------------------
# building and training one copy


def _clone(model, edit, facts):
    """A copy of `model` with fresh weights, every layer's config passed through `edit`."""

    def clone_layer(layer):
        config = layer.get_config()
        if edit is not None and not isinstance(layer, keras.layers.InputLayer):
            if isinstance(layer, keras.layers.ReLU) and edit is _leaky:
                return keras.layers.LeakyReLU(name=layer.name)
            if isinstance(layer, keras.layers.Softmax) and layer.name == facts["_output_act"]:
                probe = edit(layer, {"activation": "softmax"}, facts)["activation"]
                return keras.layers.Activation(probe, name=layer.name)
            config = edit(layer, config, facts)
        return layer.__class__.from_config(config)

    return keras.models.clone_model(model, clone_function=clone_layer)


def _optimizer(model, lr_factor):
    """A fresh optimizer like the model's (default: Adam 1e-3 for an uncompiled model)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        config = keras.optimizers.Adam().get_config()
        cls = keras.optimizers.Adam
    else:
        config, cls = optimizer.get_config(), type(optimizer)
    lr = config.get("learning_rate")
    if isinstance(lr, (int, float)):
        config["learning_rate"] = float(lr) * lr_factor
    return cls.from_config(config)


def _class_weights(labels):
    counts = np.bincount(labels)
    present = counts > 0
    weights = np.zeros(len(counts))
    weights[present] = len(labels) / (present.sum() * counts[present])
    return {int(c): float(weights[c]) for c in np.flatnonzero(present)}


class _Split:
    """The training and held-out rows every copy uses.

    Held-out rows are finite rows (the network is measured on them); training rows keep the
    program's NaN/inf rows. Where the rows look sorted the split keeps their order, the
    held-out rows being the tail (as validation_split takes it); otherwise it is a seeded,
    stratified shuffle.
    """

    def __init__(self, x, y, facts, data, seed=0, shuffle=None):
        self.notes = []
        n = len(x)
        finite = ev.finite_rows(x, y)
        if n < SMALL_DATA:
            keep = np.flatnonzero(finite)
            self.x_train, self.y_train = x, y
            self.x_eval, self.y_eval = x[keep], y[keep]
            self.notes.append(f"{n} rows: copies are measured on their training rows")
            return
        if shuffle is None:
            shuffle = not _unshuffled(data)
            if not shuffle:
                self.notes.append("the rows look sorted: copies train on the first "
                                  f"{1 - EVAL_FRACTION:.0%} in order and are measured on the "
                                  "rest, as validation_split would split them")
        rows = np.arange(n)
        if shuffle:
            labels = ev.labels_of(y, facts["task"], facts["output_units"])
            stratify = None
            if labels is not None:
                counts = np.bincount(labels)
                stratify = labels if counts[counts > 0].min() >= 2 else None
            train, held = train_test_split(rows, test_size=EVAL_FRACTION, random_state=seed,
                                           stratify=stratify)
        else:
            cut = int(round(n * (1 - EVAL_FRACTION)))
            train, held = rows[:cut], rows[cut:]
        held = held[finite[held]]
        if not len(held):
            held = np.flatnonzero(finite)
        self.x_train, self.y_train = x[train], y[train]
        self.x_eval, self.y_eval = x[held], y[held]


class _StopOnNaN(keras.callbacks.Callback):
    """keras.callbacks.TerminateOnNaN without its message on stdout."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True


def _structure(model, facts):
    """Names the layer edits need: hidden unit layers, ReLU unit layers, the output unit layer
    and the layer that holds the output activation."""
    layers = ev.leaf_layers(model)
    units = [layer for layer in layers if ev.unit_kind(layer)]
    with_activation = [layer for layer in layers
                       if ev.activation_name(layer) not in (None, "linear")
                       or ev.unit_kind(layer)]
    return dict(facts, _hidden={layer.name for layer in units[:-1]},
                _relu_units={layer.name for layer in units
                             if _is_relu(ev.activation_name(layer))},
                _output_unit=units[-1].name if units else None,
                _output_act=with_activation[-1].name if with_activation else None)


def train_copy(model, facts, split, change, seed, epochs, batch_size, threshold):
    """Train one copy with one change; returns the held-out measurements (network_facts)."""
    _, _, _, edit, training = CHANGES[change]
    if training.get("shuffle_split"):
        split = split.shuffled
    keras.utils.set_random_seed(seed)
    facts = _structure(model, facts)
    copy = _clone(model, edit, facts)
    x_train, y_train = split.x_train, split.y_train
    x_eval, y_eval = split.x_eval, split.y_eval
    if training.get("drop_non_finite"):
        keep = ev.finite_rows(x_train, y_train)
        x_train, y_train = x_train[keep], y_train[keep]
    x_train, x_eval = x_train.astype(np.float32), x_eval.astype(np.float32)
    loss_name = training.get("loss")
    copy_facts = dict(ev.model_facts(copy), loss=facts["loss"],
                      from_logits=facts["from_logits"], task=facts["task"])
    if loss_name:
        if loss_name == "labels":
            loss_name = _labels_loss(facts, y_train)
        copy_facts = dict(ev.model_facts(copy), loss=loss_name, from_logits=False)
        copy_facts["task"] = "regression" if loss_name == "mse" else copy_facts["task"]
        loss = keras.losses.get(loss_name)
    else:
        loss = ev.loss_function(facts, y_train)
    copy.compile(optimizer=_optimizer(model, training.get("lr_factor", 1.0)), loss=loss)
    if training.get("standardize"):
        flat = x_train.reshape(len(x_train), -1)
        mean, std = np.nanmean(flat, axis=0), np.nanstd(flat, axis=0)
        std[~(std > 0)] = 1.0
        x_train = ((flat - mean) / std).reshape(x_train.shape).astype(np.float32)
        x_eval = ((x_eval.reshape(len(x_eval), -1) - mean) / std).reshape(
            x_eval.shape).astype(np.float32)
    if training.get("standardize_targets"):
        y_train, y_eval = np.asarray(y_train, np.float64), np.asarray(y_eval, np.float64)
        mean, std = np.nanmean(y_train, axis=0), np.nanstd(y_train, axis=0)
        std = np.where(std > 0, std, 1.0)
        y_train, y_eval = (y_train - mean) / std, (y_eval - mean) / std
    class_weight = None
    if training.get("class_weights"):
        labels = ev.labels_of(y_train, facts["task"], facts["output_units"])
        class_weight = _class_weights(labels) if labels is not None else None
    copy.fit(x_train, ev.loss_targets(y_train, copy_facts, loss), epochs=epochs,
             batch_size=batch_size, shuffle=True, verbose=0, class_weight=class_weight,
             callbacks=[_StopOnNaN()])
    return ev.network_facts(copy, x_eval, y_eval, copy_facts, threshold=threshold,
                            gradients=False)


def verdict(k, n, baseline_rate):
    """What a change did to the collapse rate, compared with the unchanged copies.

    A change is credited only where its exact 95% interval excludes the unchanged copies'
    rate: with 5 seeds a single run either way is noise.
    """
    low, high = rate_interval(k, n)
    if baseline_rate == 0:
        return "as_is copies did not collapse" if k == 0 else "collapses more"
    if high < baseline_rate:
        return "removes the collapse" if k == 0 else "reduces the collapse"
    if low > baseline_rate:
        return "collapses more"
    return "no clear difference"


def try_fixes(model, x, y, seeds=5, epochs=20, batch_size=32, changes=None,
              threshold=metrics.COLLAPSE_THRESHOLD, facts=None, data=None, progress=None):
    """Retrain copies of `model` with one change each, `seeds` copies per change.

    Args:
        model: the user's Keras model (its architecture, optimizer and loss are copied).
        x, y: the user's data; EVAL_FRACTION of it (stratified) is held out for measuring.
        seeds: copies per change (seeds 0..seeds-1, shared by every change: paired).
        epochs, batch_size: training length for every copy.
        changes: names from CHANGES; None = every applicable one.
        threshold: rel_output_std below this is output collapse.
        progress: optional callable(text) told about each copy.

    Returns:
        (results, notes): results are dicts (change, description, causes, runs, collapsed,
        rate, interval, median_score, verdict, seconds), best first; notes are strings.
    """
    facts = facts or ev.model_facts(model)
    data = data or ev.data_facts(x, y, facts["task"], facts["output_units"])
    changes = changes or applicable_changes(facts, data)
    if "as_is" not in changes:
        changes = ["as_is", *changes]
    x, y = np.asarray(x), np.asarray(y)
    split = _Split(x, y, facts, data)
    split.shuffled = _Split(x, y, facts, data, shuffle=True)
    notes = list(split.notes)
    if getattr(model, "optimizer", None) is None:
        notes.append("the model was saved uncompiled: copies train with Adam 1e-3")
    results = []
    for change in changes:
        start, outcomes, scores = time.perf_counter(), [], []
        for seed in range(seeds):
            measured = train_copy(model, facts, split, change, seed, epochs, batch_size,
                                  threshold)
            outcomes.append(measured["kind"] != "none")
            scores.append(measured["score"])
            if progress:
                progress(f"{change} seed {seed}: {measured['kind']}")
        k, n = int(sum(outcomes)), len(outcomes)
        low, high = rate_interval(k, n)
        finite = [s for s in scores if s is not None and math.isfinite(s)]
        description, causes = CHANGES[change][0], CHANGES[change][1]
        results.append({"change": change, "description": description, "causes": list(causes),
                        "runs": n, "collapsed": k, "rate": k / n, "interval": [low, high],
                        "median_score": float(np.median(finite)) if finite else None,
                        "seconds": round(time.perf_counter() - start, 2)})
    baseline = results[0]["rate"]
    for result in results:
        result["verdict"] = ("reference" if result["change"] == "as_is"
                             else verdict(result["collapsed"], result["runs"], baseline))
    results[1:] = sorted(results[1:], key=lambda r: (r["rate"], -(r["median_score"] or 0)))
    return results, notes
