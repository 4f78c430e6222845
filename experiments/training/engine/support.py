"""What the batched engine trains, decided per configuration before anything is trained.

`engine_supports(cfg)` says whether the engine builds the network of a composed config exactly
as the Keras path does; a configuration it does not take trains on the Keras path
(experiments.sweep.blocks routes each configuration, never a whole block). This module
imports neither TensorFlow nor Keras: the sweep's own process, which never loads them, names
the configurations that go to Keras with `keras_summary` at the start of a sweep.

The engine takes:
  * model=mlp (tables, and image inputs flattened as Keras's Flatten does) and model=cnn
    (Conv2D 'same' + 2x2 max / average pooling or none, Flatten, Dense), with or without
    biases, with either output layer;
  * every init, bias_init and activation option (they are drawn and applied with the Keras
    path's own functions);
  * regularization none, l1, l2, l1_l2 and dropout (kernel penalties on every kernel, conv
    kernels included; dropout after every hidden Dense layer);
  * optimizer sgd, momentum, adam and rmsprop (Keras's update rules, engine.updates), with or
    without optimizer.clipnorm (each gradient tensor clipped to that L2 norm).
Keras-only (KERAS_ONLY): model=rnn (recurrent layers and embeddings) and model.batchnorm=true
(BatchNormalization: batch statistics in training, moving averages in the probes). A new option
of a registry is Keras-only until the engine lists it here.
"""

import math

MODELS = ("mlp", "cnn")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")  # engine.updates.OPTIMIZERS, in that order
REGULARIZATIONS = ("none", "l1", "l2", "l1_l2", "dropout")  # engine.members.penalties
POOLINGS = ("max", "average", "none")
KERAS_ONLY = {
    "model=rnn": "recurrent layers are Keras-only",
    "model.batchnorm=true": "BatchNormalization (batch statistics, moving averages) is "
                            "Keras-only",
}


def _get(node, key, default=None):
    return node.get(key, default) if hasattr(node, "get") else getattr(node, key, default)


def engine_supports(cfg):
    """(True, "") if the batched engine trains config `cfg` as the Keras path does, else
    (False, reason): one phrase naming the key and value, e.g. "model=rnn: recurrent layers
    are Keras-only".

    `cfg`: a composed config (or anything with its model, optimizer and regularization
    nodes). Reads the config only: no dataset is made, nothing is imported.
    """
    model = _get(cfg, "model")
    name = _get(model, "name")
    if name not in MODELS:
        key = f"model={name}"
        return False, f"{key}: {KERAS_ONLY.get(key, 'not built by the engine').split(': ')[-1]}"
    if _get(model, "batchnorm", False):
        return False, f"model.batchnorm=true: {KERAS_ONLY['model.batchnorm=true']}"
    if name == "cnn" and _get(model, "pooling", "max") not in POOLINGS:
        return False, f"model.pooling={_get(model, 'pooling')}: not built by the engine"
    optimizer = _get(cfg, "optimizer")
    if _get(optimizer, "name") not in OPTIMIZERS:
        return False, f"optimizer={_get(optimizer, 'name')}: no engine update rule"
    clipnorm = _get(optimizer, "clipnorm")
    if clipnorm is not None and not (isinstance(clipnorm, (int, float))
                                     and math.isfinite(clipnorm)):
        return False, f"optimizer.clipnorm={clipnorm!r}: not a number the engine clips with"
    regularization = _get(_get(cfg, "regularization"), "name")
    if regularization not in REGULARIZATIONS:
        return False, f"regularization={regularization}: no engine penalty"
    return True, ""


def keras_summary(configs):
    """One line naming why configurations go to the Keras path, or None if none does:
    "3 configurations train on the Keras path (model=rnn: recurrent layers are Keras-only
    (2); model.batchnorm=true: ... (1))"."""
    reasons = {}
    for cfg in configs:
        ok, reason = engine_supports(cfg)
        if not ok:
            reasons[reason] = reasons.get(reason, 0) + 1
    if not reasons:
        return None
    n = sum(reasons.values())
    parts = "; ".join(reason if len(reasons) == 1 else f"{reason} ({count})"
                      for reason, count in reasons.items())
    return (f"{n} configuration{'s' if n != 1 else ''} train{'s' if n == 1 else ''} on the "
            f"Keras path, one network at a time ({parts})")
