"""Result assembly: a chunk's probes scored with experiments.metrics, as Probe.measure does,
and each member's result, history and weights built as train_keras builds them."""

import math

import numpy as np
import tensorflow as tf

from experiments import metrics
from experiments.training.common import HISTORY_METRICS, history_rows, network_result
from experiments.training.engine.members import keras_order

METRIC_BLOCK_BYTES = 1 << 22  # about the float64 bytes of a layer's activations per call


class Scorer:
    """Scores probes of a chunk with experiments.metrics, as Probe.measure does."""

    def __init__(self, chunk, program):
        members = chunk.members
        self.real, self.program = chunk.real, program
        self.n_conv = len(chunk.spec.convs)
        self.task = members[0].data.task
        self.y_eval = np.stack([m.data.y_eval for m in members])
        self.y_train = np.stack([m.data.y_train for m in members])
        self.threshold = np.asarray([m.settings.collapse_threshold for m in members])

    def measure(self, probe, kernels, final=False):
        """network_metrics_batch (plus the gradient metrics and dead_relu_fraction if
        `final`) for the real members.

        Args:
            probe: the program's probe dict (numpy); the outputs are computed here.
            kernels: the kernels (member axis last).
            final: the first or last probe: every metric, grad_norm_ratio and baseline_score
                included; otherwise only what the history records.
        """
        real = self.real
        outputs = np.asarray(self.program.outputs(probe["logits"][real]), np.float64)
        # float32 views: the metrics convert one layer at a time to float64 (the same values
        # and memory order as converting all first), so deep networks need less memory. A
        # Conv2D layer's rows are inputs x positions (unit form, see keras_probe).
        hidden = [h[real].transpose(0, 2, 1) for h in probe["hidden"]]
        kernels = [np.moveaxis(k[..., real], -1, 0) for k in kernels]
        names = metrics.NETWORK_METRICS if final else ("loss", *HISTORY_METRICS)
        # A few hundred members at a time: the metrics' float64 temporaries stay small
        # instead of being fresh memory (page faults) at every call, ~10% off the benchmark
        # grid's engine time. Every metric is computed member by member: same values.
        values = max(h.shape[1] * h.shape[2] for h in [*hidden, outputs])  # per member
        step = max(1, METRIC_BLOCK_BYTES // (8 * values))
        parts = [metrics.network_metrics_batch(
            outputs[i:i + step], self.y_eval[i:i + step], [h[i:i + step] for h in hidden],
            [k[i:i + step] for k in kernels], self.task, train_targets=self.y_train[i:i + step],
            threshold=self.threshold[i:i + step], names=names)
            for i in range(0, len(outputs), step)]
        out = {name: None if parts[0][name] is None
               else np.concatenate([part[name] for part in parts]) for name in names}
        # the last Conv2D layer's channels (the history does not record it)
        out["channel_similarity"] = (
            np.concatenate([metrics.channel_similarity_batch(hidden[self.n_conv - 1][i:i + step])
                            for i in range(0, len(outputs), step)])
            if self.n_conv and final else np.full(len(outputs), np.nan))
        if final:
            out["saturated_gates"] = np.full(len(outputs), np.nan)  # no recurrent layer
            extra = probe["final"]
            grads = [g[real] for g in extra["grads"]]
            out["grad_norm_ratio"] = metrics.grad_norm_ratio_batch(grads[0], grads[-1])
            out["zero_grad_fraction"] = metrics.zero_grad_fraction_batch(grads)
            out["dead_relu_fraction"] = metrics.dead_relu_fraction_batch(
                [z[real] for z in probe["train_preact_max"]])
            n = len(outputs)
            out["input_correlation"] = (metrics.input_correlation_batch(extra["pre_last"][real])
                                        if "pre_last" in extra else np.full(n, np.nan))
            out["jacobian_gain"] = (metrics.jacobian_gain_batch(extra["slopes"][real],
                                                                kernels[-2])
                                    if "slopes" in extra else np.full(n, np.nan))
        return out


def assemble(chunk, at_init, epochs, params):
    """[(result, history, final weights)] for chunk.members.

    Args:
        at_init: the scored measurement at initialization.
        epochs: [(epoch, indices of the members still training, their losses, future of the
            scored measurement)] in order; the last one's measurement is the final one.
        params: the final weights (numpy, program order, member axis last).
    """
    n = len(chunk.members)
    at_init = final = metrics.every_member_metrics(at_init, n)  # epochs=0: init is the final
    histories = [history_rows(0, math.nan, at_init[i]) for i in range(n)]
    losses = [[] for _ in range(n)]
    for epoch, running, epoch_loss, measured in epochs:
        final = metrics.every_member_metrics(measured.result(), n)
        for i in running:
            losses[i].append(epoch_loss[i])
            histories[i] += history_rows(epoch, epoch_loss[i], final[i])
    spec = chunk.spec
    n_conv = len(spec.convs)
    channels = [spec.image[2] if n_conv else 0] + [filters for filters, _, _ in spec.convs]
    shapes = [(k, k, channels[i], filters) for i, (filters, k, _) in enumerate(spec.convs)]
    params = keras_order(params, [spec.has_bias(i) for i in range(n_conv + spec.depth + 1)],
                         shapes + [None] * (spec.depth + 1))
    return [(network_result(final[i], at_init[i], losses[i], member.data), histories[i],
             [p[..., slot] for p in params])
            for i, (member, slot) in enumerate(zip(chunk.members, chunk.slots(), strict=True))]


def numpy_tree(structure):
    return tf.nest.map_structure(np.asarray, structure)
