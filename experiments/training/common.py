"""What both training paths share, so that they write the same rows: the batch order of every
epoch, the targets' shape, the history rows and the result of a network (divergence included).

The Keras path (experiments.training.keras) and the batched engine (experiments.training.engine)
both import from here; neither owns it.
"""

import math

import numpy as np

from experiments import catalogue
from experiments.variants.dataset import Data

HISTORY_METRICS = catalogue.HISTORY_METRICS


def epoch_orders(n_train, epochs, seed):
    """The order in which each epoch visits the training rows; both engines use it."""
    rng = np.random.default_rng([seed, 1])
    return [rng.permutation(n_train) for _ in range(epochs)]


def fit_targets(data: Data, y):
    """Targets in the shape the Keras loss wants: one-hot for classes, a column otherwise."""
    if data.task == "multiclass":
        return np.eye(data.n_classes, dtype=np.float32)[y]
    return np.asarray(y, dtype=np.float32).reshape(-1, 1)


def history_rows(epoch, train_loss, measured):
    """The history rows of one network at `epoch`: (epoch, metric, value) for its training
    loss, its evaluation loss and every HISTORY_METRICS metric.

    Args:
        measured: a Probe.measure()-style dict of one network (the engine's:
            metrics.every_member_metrics).
    """
    values = [measured["loss"]] + [measured[name] for name in HISTORY_METRICS]
    names = ("eval_loss", *HISTORY_METRICS)
    return [(epoch, "loss", train_loss)] + [(epoch, name, value)
                                             for name, value in zip(names, values, strict=True)]


def _diverged(measured):
    """Non-finite outputs (hence output_std) or loss."""
    return not (math.isfinite(measured["output_std"]) and math.isfinite(measured["loss"]))


def _outcome(measured, diverged):
    """`measured` with `diverged` set, and a diverged network counted as not collapsed."""
    out = {**measured, "diverged": diverged}
    if diverged:
        out["collapsed"] = False
        if out.get("decision_collapsed") is not None:
            out["decision_collapsed"] = False
    return out


def network_result(final, at_init, losses, data):
    """The result dict of one network; train_keras and the batched engine both build it here.

    Args:
        final, at_init: Probe.measure()-style dicts after training and at initialization
            (the same values when nothing was trained, epochs=0).
        losses: the training loss of every epoch run (empty for epochs=0).
        data: the network's Data.

    Returns:
        Every metric after training, then with suffix `_init`, then status ('diverged' for
        non-finite training losses, outputs or evaluation loss, else 'ok'), train_loss (NaN
        without training), task, n_samples and persistence_score (forecasting: the evaluation
        R^2 of predicting each window's last value; NaN for other data).
    """
    diverged = _diverged(final) or not all(math.isfinite(v) for v in losses)
    at_init = _outcome(at_init, _diverged(at_init))
    result = {**_outcome(final, diverged),
              **{f"{k}_init": v for k, v in at_init.items() if k != "baseline_score"}}
    result.update(status="diverged" if diverged else "ok",
                  train_loss=float(losses[-1]) if losses else math.nan,
                  task=data.task, n_samples=data.n_samples,
                  persistence_score=float(data.baselines.get("persistence", math.nan)))
    return result
