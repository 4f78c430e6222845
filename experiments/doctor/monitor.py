"""CollapseMonitor: a Keras callback that measures collapse every epoch and says why it happens.

Example:
    from experiments.doctor import CollapseMonitor
    monitor = CollapseMonitor(x_train[:256], y_train[:256])
    model.fit(x_train, y_train, epochs=20, callbacks=[monitor])
    monitor.frame()          # the history, one row per epoch (epoch 0 = before training)
    monitor.plot()           # rel_output_std, dead units and gradient ratio over epochs
"""

import logging
import math

import keras
import numpy as np

from experiments import metrics
from experiments.doctor import evidence as ev
from experiments.doctor.diagnosis import rank_causes

log = logging.getLogger("experiments.doctor")

SCALARS = ("rel_output_std", "output_std", "majority_fraction", "decision_collapsed",
           "collapsed", "diverged", "dead_fraction", "neuron_similarity", "weight_spread",
           "grad_norm_ratio", "max_abs_weight", "loss")
PER_LAYER = ("dead_share", "similarity", "identical", "unit_std")
PER_KERNEL = ("grad_norms", "weight_norms")


class CollapseMonitor(keras.callbacks.Callback):
    """Measures the project's collapse metrics on probe rows at the start and every epoch.

    When the model is collapsed (output spread below `threshold` of the target spread, one
    class for >= 99% of the probe rows, or NaN/inf) it logs one warning on the logger
    "experiments.doctor": the kind of collapse, since which epoch, the evidence, the likely
    causes ranked and what to try. It never stops training.

    Attributes:
        history: one dict per measurement (epoch, train_loss, kind, the metrics in SCALARS,
            per hidden layer dead_share, similarity, identical, unit_std; per Dense kernel
            grad_norms and weight_norms; learning_rate and penalty_x_lr).
        collapsed_since: first epoch of the current collapse, or None.
        diagnosis: the ranked causes of the warning, or None if none was logged.
        notes: layers or metrics that could not be measured, and why.
    """

    def __init__(self, x_probe, y_probe, threshold=metrics.COLLAPSE_THRESHOLD, every=1,
                 gradients=True, patience=3, log_dir=None):
        """Args:
            x_probe, y_probe: a few hundred rows of the training data (256 is plenty).
            threshold: rel_output_std below this is output collapse.
            every: measure every this many epochs (and always at the start).
            gradients: also measure per-layer gradient norms (one backward pass).
            patience: a decision collapse is reported once it has lasted this many measured
                epochs, or at the end of training (an untrained network often predicts one
                class for a few epochs); output collapse and divergence are reported at once.
            log_dir: also write every measurement as TensorBoard scalars there (the
                SCALARS under "collapse/", per layer dead_share and per kernel grad_norms),
                step = epoch; view with `tensorboard --logdir LOG_DIR`.
        """
        super().__init__()
        self.x_probe = np.asarray(x_probe, dtype=np.float32)
        self.y_probe = np.asarray(y_probe)
        self.threshold, self.every, self.gradients = threshold, max(1, int(every)), gradients
        self.patience = max(1, int(patience))
        self._decision_run = 0
        self.history, self.collapsed_since, self.diagnosis = [], None, None
        self.notes = []
        self._facts = self._data = self._prober = None
        self._offset = 0
        self.log_dir, self._writer = log_dir, None

    # keras hooks

    def on_train_begin(self, logs=None):
        self._facts = ev.model_facts(self.model)
        self.notes = list(self._facts["notes"])
        ev.check_data(self.x_probe, self.y_probe, self._facts, tuple(self.model.inputs[0].shape))
        self._prober = ev.Prober(self.model, self._facts)
        # A second fit() continues the same history, its epochs counted on from the last.
        self._offset = self.history[-1]["epoch"] if self.history else 0
        if not self.history:
            self._measure(0, math.nan)

    def on_train_end(self, logs=None):
        if self.diagnosis is None and self.history and self.history[-1]["kind"] != "none":
            self._report(self._last_net, self._last_facts)

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every == 0:
            self._measure(self._offset + done, float((logs or {}).get("loss", math.nan)))

    # measurement

    def _measure(self, epoch, train_loss):
        facts = dict(self._facts, learning_rate=ev.learning_rate(
            getattr(self.model, "optimizer", None)))
        net = ev.network_facts(self.model, self.x_probe, self.y_probe, facts,
                               prober=self._prober, threshold=self.threshold,
                               gradients=self.gradients)
        row = {"epoch": epoch, "train_loss": train_loss, "kind": net["kind"]}
        row.update({name: net.get(name) for name in SCALARS})
        row.update({name: list(net[name]) for name in PER_LAYER + PER_KERNEL})
        row["layers"] = list(net["layers"])
        row["learning_rate"] = facts["learning_rate"]
        penalty = max(facts["max_l1"], facts["max_l2"])
        row["penalty_x_lr"] = (penalty * facts["learning_rate"]
                               if penalty and facts["learning_rate"] else None)
        self.history.append(row)
        self._write_scalars(row)
        self._last_net, self._last_facts = net, facts
        if net["kind"] == "none":
            self.collapsed_since, self._decision_run = None, 0
            return
        if self.collapsed_since is None:
            self.collapsed_since = epoch
        if net["kind"] == "decision":
            self._decision_run += epoch > 0  # one class before training is not news
            if self._decision_run < self.patience:
                return
        if self.diagnosis is None:
            self._report(net, facts)

    def _write_scalars(self, row):
        if self.log_dir is None:
            return
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        values = {f"collapse/{name}": row.get(name) for name in SCALARS + ("train_loss",)}
        for layer, share in zip(row["layers"], row["dead_share"]):
            values[f"dead_share/{layer}"] = share
        for i, norm in enumerate(row["grad_norms"]):
            values[f"grad_norms/{i}"] = norm
        with self._writer.as_default():
            for name, value in values.items():
                if isinstance(value, (bool, int, float)) and value is not None:
                    tf.summary.scalar(name, float(value), step=int(row["epoch"]))
        self._writer.flush()

    def _report(self, net, facts):
        if self._data is None:  # only needed for a diagnosis: kept off the per-epoch path
            self._data = ev.data_facts(self.x_probe, self.y_probe, facts["task"],
                                       facts["output_units"])
        self.diagnosis = rank_causes(facts, self._data, net, self.history)
        log.warning(self.message(net, facts))

    def message(self, net, facts):
        """The warning's text: kind, since when, evidence, causes ranked, what to try."""
        since = ("at initialization (epoch 0, before any update)" if self.collapsed_since == 0
                 else f"since epoch {self.collapsed_since}")
        rows = len(self.x_probe)
        what = {
            "output": f"output collapse {since}: rel_output_std "
                      f"{_fmt(net['rel_output_std'])} < {self.threshold} on {rows} probe rows",
            "decision": f"decision collapse {since}: {_fmt(net['majority_fraction'])} of "
                        f"{rows} probe rows get the same class",
            "diverged": f"training diverged {since}: NaN/inf in the weights or outputs",
        }[net["kind"]]
        lines = [f"CollapseMonitor: {what}."]
        if not self.diagnosis:
            lines.append("No cause of the vocabulary has evidence; run collapse-doctor on the "
                         "saved model and the full data.")
        for rank, cause in enumerate(self.diagnosis[:3], start=1):
            evidence = "; ".join(cause["evidence"]) or "no direct evidence"
            lines.append(f"  {rank}. {cause['cause']} (score {cause['score']:.2f}): {evidence}")
        if self.diagnosis:
            lines.append(f"  Try: {self.diagnosis[0]['fix']}")
        return "\n".join(lines)

    # reading the history

    def frame(self):
        """The history as a pandas DataFrame, per-layer lists spread into columns
        (dead_share[hidden_0], grad_norms[0], ...)."""
        import pandas as pd

        rows = []
        for row in self.history:
            flat = {k: v for k, v in row.items() if k not in PER_LAYER + PER_KERNEL + (
                "layers",)}
            for name in PER_LAYER:
                for layer, value in zip(row["layers"], row[name]):
                    flat[f"{name}[{layer}]"] = value
            for name in PER_KERNEL:
                for i, value in enumerate(row[name]):
                    flat[f"{name}[{i}]"] = value
            rows.append(flat)
        return pd.DataFrame(rows)

    def plot(self, ax=None):
        """rel_output_std, dead_fraction and grad_norm_ratio over epochs; returns the figure."""
        import matplotlib.pyplot as plt

        frame = self.frame()
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for name in ("rel_output_std", "dead_fraction", "grad_norm_ratio"):
            if name in frame and frame[name].notna().any():
                ax.plot(frame["epoch"], frame[name].astype(float), marker="o", label=name)
        ax.axhline(self.threshold, color="grey", linestyle=":", label="collapse threshold")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_xlabel("epoch (0 = before training)")
        ax.legend()
        return ax.figure


def _fmt(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3g}"
