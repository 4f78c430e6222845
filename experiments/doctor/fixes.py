"""Fixes tested, not guessed: retrain copies of the user's model with one change each.

Every change is trained from fresh initial weights with the same seeds as the unchanged copy
("as_is"), on the same training rows, and measured on held-out rows with the project's
metrics. A change's collapse rate comes with its exact (Clopper-Pearson) interval from
analysis.stats.rate_interval, the statistics of the claims.

Copies are trained with Keras `model.fit`: the batched engine (experiments.training.engine) trains
networks on the project's own datasets only, and has no way to take the user's arrays.

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


# -----------------------------------------------------------------------------
# changes: each is (name, description, causes it tests, applies(facts, data), edits)


def _reinit(layer, config, facts):
    if isinstance(layer, keras.layers.Dense):
        relu = layer.name in facts["_relu_dense"]
        config["kernel_initializer"] = "he_normal" if relu else "glorot_uniform"
        config["bias_initializer"] = "zeros"
    return config


def _no_regularization(layer, config, facts):
    for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
        if key in config:
            config[key] = None
    return config


def _leaky(layer, config, facts):
    if isinstance(layer, keras.layers.Dense) and _is_relu(ev.activation_name(layer)):
        config["activation"] = "leaky_relu"
    return config


def _relu_hidden(layer, config, facts):
    if (isinstance(layer, keras.layers.Dense) and ev.activation_name(layer) in ev.SATURATING
            and layer.name in facts["_hidden"]):
        config["activation"] = "relu"
        config["kernel_initializer"] = "he_normal"
    return config


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
                      lambda f, d: f["task"] != "regression" and d.get("majority_share", 0) > 0.6,
                      None, {"class_weights": True}),
    "leaky_relu": ("LeakyReLU instead of ReLU in hidden layers", ("dead_relu",),
                   lambda f, d: any(_is_relu(a) for a in f["hidden_activations"]),
                   _leaky, {}),
    "relu_activation": ("ReLU + he_normal instead of sigmoid/tanh in hidden layers",
                        ("vanishing_gradients",),
                        lambda f, d: any(a in ev.SATURATING for a in f["hidden_activations"]),
                        _relu_hidden, {}),
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
    """The training and held-out rows every copy uses."""

    def __init__(self, x, y, facts, seed=0):
        self.notes = []
        n = len(x)
        if n < SMALL_DATA:
            self.x_train = self.x_eval = x
            self.y_train = self.y_eval = y
            self.notes.append(f"{n} rows: copies are measured on their training rows")
            return
        labels = ev.labels_of(y, facts["task"], facts["output_units"])
        stratify = None
        if labels is not None:
            counts = np.bincount(labels)
            stratify = labels if counts[counts > 0].min() >= 2 else None
        self.x_train, self.x_eval, self.y_train, self.y_eval = train_test_split(
            x, y, test_size=EVAL_FRACTION, random_state=seed, stratify=stratify)


class _StopOnNaN(keras.callbacks.Callback):
    """keras.callbacks.TerminateOnNaN without its message on stdout."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True


def train_copy(model, facts, split, change, seed, epochs, batch_size, threshold):
    """Train one copy with one change; returns the held-out measurements (network_facts)."""
    _, _, _, edit, training = CHANGES[change]
    keras.utils.set_random_seed(seed)
    units = ev.dense_units(model)
    facts = dict(facts, _hidden={dense.name for dense, _, _ in units[:-1]},
                 _relu_dense={dense.name for dense, _, act in units if _is_relu(act)})
    copy = _clone(model, edit, facts)
    loss = ev.loss_function(facts, split.y_train)
    copy.compile(optimizer=_optimizer(model, training.get("lr_factor", 1.0)), loss=loss)
    x_train, x_eval = split.x_train.astype(np.float32), split.x_eval.astype(np.float32)
    if training.get("standardize"):
        flat = x_train.reshape(len(x_train), -1)
        mean, std = flat.mean(axis=0), flat.std(axis=0)
        std[std == 0] = 1.0
        x_train = ((flat - mean) / std).reshape(x_train.shape).astype(np.float32)
        x_eval = ((x_eval.reshape(len(x_eval), -1) - mean) / std).reshape(
            x_eval.shape).astype(np.float32)
    class_weight = None
    if training.get("class_weights"):
        class_weight = _class_weights(ev.labels_of(split.y_train, facts["task"],
                                                   facts["output_units"]))
    copy.fit(x_train, ev.loss_targets(split.y_train, facts, loss), epochs=epochs,
             batch_size=batch_size, shuffle=True, verbose=0, class_weight=class_weight,
             callbacks=[_StopOnNaN()])
    copy_facts = dict(ev.model_facts(copy), loss=facts["loss"], from_logits=facts["from_logits"],
                      task=facts["task"])
    return ev.network_facts(copy, x_eval, split.y_eval, copy_facts, threshold=threshold,
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
    split = _Split(np.asarray(x), np.asarray(y), facts)
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
