"""The doctor's cause vocabulary: one entry per cause, each with its rule, its fix and the
seed-claim measurements behind the fix.

A rule reads the evidence (experiments.doctor.evidence: `model`, `data`, `net`, and `history`
when the callback has one) and returns (strength in [0, 1], [evidence sentences]). Strength
says how strongly the facts point at the cause; `experiments.doctor.diagnosis` turns strengths
into scores (a network that is not collapsed gets at most half) and ranks them.

Every threshold below was chosen on the calibration seeds of benchmarks/fault_benchmark.py and
then frozen before the benchmark was scored on its other seeds.
"""

import math
from dataclasses import dataclass, field

from experiments.doctor.evidence import ADAPTIVE_OPTIMIZERS, RELU_FAMILY, SATURATING

# Claims of `python run.py -m experiment=seed_claims` (conf/experiment/seed_claims.yaml; the
# README's claims table) that measured a cause or its fix. Referenced by id only: the table's
# numbers are regenerated with every run.
CLAIMS_TABLE = "README, 'The seed's claims, measured'"


@dataclass(frozen=True)
class Cause:
    """One name of the vocabulary."""

    name: str
    title: str  # what is wrong, in a few words
    fix: str  # what to do
    claims: tuple = ()  # seed_claims ids that measured it
    changes: tuple = ()  # experiments.doctor.fixes changes that test the fix
    rule: object = field(default=None, repr=False, compare=False)

    def fix_text(self):
        """The fix, with the claims that measured it."""
        if not self.claims:
            return self.fix
        ids = ", ".join(f"`{c}`" for c in self.claims)
        return f"{self.fix} Measured by the seed_claims sweep: claim {ids} ({CLAIMS_TABLE})."


def ramp(value, zero_at, one_at):
    """0 at `zero_at`, 1 at `one_at`, linear between, clipped; 0 for NaN or None."""
    if value is None or not math.isfinite(value) and not math.isinf(value):
        return 0.0
    if zero_at == one_at:
        return float(value >= one_at)
    t = (value - zero_at) / (one_at - zero_at)
    return float(min(1.0, max(0.0, t)))


def log_ramp(value, zero_at, one_at):
    """ramp on a log10 scale; values <= 0 count as the smallest possible."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    if value <= 0:
        return ramp(-math.inf, math.log10(zero_at), math.log10(one_at))
    return ramp(math.log10(value), math.log10(zero_at), math.log10(one_at))


def _fmt(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and (abs(value) >= 1e4 or 0 < abs(value) < 1e-3):
        return f"{value:.2g}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _adaptive(model):
    return (model.get("optimizer") or "") in ADAPTIVE_OPTIMIZERS


# -----------------------------------------------------------------------------
# rules: (model, data, net, history) -> (strength, evidence)


def same_value_init(model, data, net, history):
    evidence, strength = [], 0.0
    identical = [name for name, same in zip(net["layers"], net["identical"]) if same]
    if identical:
        strength = 0.95
        evidence.append(f"every unit of {', '.join(identical)} has the same weights: the "
                        "units compute one function (symmetry never broken)")
    if model["same_value_init"]:
        strength = max(strength, 0.85)
        evidence.append(f"same-value kernel initializer: {'; '.join(model['same_value_init'])}")
    similar = [s for s in net["similarity"] if s is not None]
    if similar and max(similar) >= 0.999:  # weak alone: a layer fed a 1-D signal does this too
        strength = max(strength, 0.4)
        evidence.append(f"neuron_similarity {_fmt(max(similar))}: live units move in lockstep")
    return strength, evidence


def learning_rate_too_high(model, data, net, history):
    lr, evidence = model.get("learning_rate"), []
    symptom = 0.0
    if net["diverged"]:
        symptom = 1.0
        evidence.append("weights or outputs are NaN/inf: training diverged")
    elif net["max_abs_weight"] > 10:
        symptom = log_ramp(net["max_abs_weight"], 10, 1000)
        evidence.append(f"largest weight {_fmt(net['max_abs_weight'])}")
    dead = max(net["dead_share"], default=0.0)
    if dead >= 0.9 and any(a in RELU_FAMILY for a in net["layer_activations"]):
        symptom = max(symptom, 0.5)
        evidence.append(f"{dead:.0%} of the units of a ReLU layer are dead")
    if lr is None:
        return 0.5 * symptom, evidence + ["learning rate unknown (model saved uncompiled)"]
    high = log_ramp(lr, 0.03, 0.3) if _adaptive(model) else log_ramp(lr, 0.3, 3.0)
    if high > 0:
        evidence.insert(0, f"learning rate {_fmt(lr)} with {model['optimizer']}")
    return high * (0.7 + 0.3 * symptom), evidence


def learning_rate_too_low(model, data, net, history):
    lr = model.get("learning_rate")
    if lr is None:
        return 0.0, []
    low = log_ramp(lr, 1e-4, 1e-6) if _adaptive(model) else log_ramp(lr, 1e-3, 1e-5)
    if low == 0:
        return 0.0, []
    evidence = [f"learning rate {_fmt(lr)} with {model['optimizer']}"]
    ratio = net["loss"] / net["baseline_loss"] if net["baseline_loss"] else math.nan
    learned = ramp(ratio, 0.8, 0.98)
    if math.isfinite(ratio):
        evidence.append(f"loss {_fmt(net['loss'])} vs {_fmt(net['baseline_loss'])} for a "
                        "constant prediction: little was learned")
    return low * (0.6 + 0.4 * learned), evidence


def strong_regularization(model, data, net, history):
    factor = max(model["max_l1"], model["max_l2"])
    if factor <= 0:
        return 0.0, []
    kind = "L1" if model["max_l1"] >= model["max_l2"] else "L2"
    strength = log_ramp(factor, 0.01, 0.3)
    lr = model.get("learning_rate")
    evidence = [f"{kind} factor {_fmt(factor)}"
                + (f" (factor x learning rate {_fmt(factor * lr)})" if lr else "")]
    spread = net["weight_spread"]
    tiny = log_ramp(spread, 1e-2, 1e-4)
    if tiny > 0:
        evidence.append(f"weight_spread {_fmt(spread)}: weights pushed to zero")
    return strength * (0.7 + 0.3 * tiny), evidence


def unscaled_inputs(model, data, net, history):
    rms, ratio = data["input_rms_max"], data["input_scale_ratio"]
    strength = log_ramp(rms, 10, 100)
    evidence = []
    if strength > 0:
        evidence.append(f"inputs up to {_fmt(rms)} in root-mean-square (standardized: ~1)")
    spread = 0.6 * log_ramp(ratio, 100, 10_000)
    if spread > strength:
        strength = spread
        evidence.append(f"feature scales differ {_fmt(ratio)}-fold")
    return strength, evidence


def class_imbalance(model, data, net, history):
    share = data.get("majority_share")
    if share is None:
        return 0.0, []
    strength = ramp(share, 0.85, 0.97)
    evidence = [f"{share:.1%} of the rows are one class"] if strength > 0 else []
    return strength, evidence


def vanishing_gradients(model, data, net, history):
    saturating = sum(a in SATURATING for a in net["layer_activations"])
    architecture = ramp(saturating, 1, 4)
    evidence = []
    if saturating >= 2:
        evidence.append(f"{saturating} hidden layers with saturating activations "
                        f"({', '.join(sorted(set(net['layer_activations']) & set(SATURATING)))})")
    ratio = net["grad_norm_ratio"]
    gradient = log_ramp(ratio, 1e-2, 1e-4)
    if gradient > 0:
        evidence.append(f"grad_norm_ratio {_fmt(ratio)}: the first layer gets almost no "
                        "gradient")
    stds = [s for s in net["unit_std"] if s is not None and math.isfinite(s)]
    signal = 0.0
    if len(stds) >= 2 and stds[0] > 0:
        decay = stds[-1] / stds[0]
        signal = log_ramp(decay, 1e-1, 1e-3)
        if signal > 0:
            evidence.append(f"unit activations vary {_fmt(decay)}x as much in the last hidden "
                            "layer as in the first: the signal fades with depth")
    symptom = max(gradient, signal)
    return max(symptom * (0.6 + 0.4 * architecture), 0.8 * architecture * (symptom > 0)), \
        evidence


def dead_relu(model, data, net, history):
    relu = [(name, share) for name, share, act in
            zip(net["layers"], net["dead_share"], net["layer_activations"])
            if act in RELU_FAMILY]
    if not relu:
        return 0.0, []
    name, share = max(relu, key=lambda item: item[1])
    strength = ramp(share, 0.5, 1.0)
    evidence = []
    if share > 0:
        evidence.append(f"{share:.0%} of the ReLU units of {name} are dead (same activation "
                        "for every input)")
    if strength and net["dead_fraction"] is not None:
        evidence.append(f"dead_fraction {_fmt(net['dead_fraction'])} over all hidden units")
    return strength, evidence


def label_noise(model, data, net, history):
    predictability = data["label_predictability"]
    if predictability is None or not math.isfinite(predictability):
        return 0.0, []
    strength = ramp(predictability, 0.3, 0.05) * ramp(data["n_rows"], 10, 50)
    evidence = []
    if strength > 0:
        evidence.append(f"label_predictability {_fmt(predictability)}: a row's nearest "
                        "neighbours hardly share its label (0 = chance)")
    return strength, evidence


def too_little_data(model, data, net, history):
    n = data["n_rows"]
    strength = ramp(n, 100, 20)
    return strength, [f"only {n} rows"] if strength > 0 else []


def low_diversity_data(model, data, net, history):
    share = data["duplicate_share"]
    strength = ramp(share, 0.5, 0.9)
    return strength, [f"{share:.0%} of the rows repeat another row"] if strength > 0 else []


# A symptom-like cause and the root causes that produce it: the symptom's strength is
# discounted by the strongest of them (dead units follow from a too-high learning rate,
# unscaled inputs, same-value weights or a strong penalty; a one-sided label split from 95%
# copies of a few rows).
EXPLAINED_BY = {
    "dead_relu": ("learning_rate_too_high", "unscaled_inputs", "same_value_init",
                  "strong_regularization"),
    "class_imbalance": ("low_diversity_data",),
}

CAUSES = {c.name: c for c in [
    Cause("same_value_init", "weights start with the same value",
          "Initialize kernels randomly: he_normal for ReLU-family layers, glorot_uniform (the "
          "Keras default) otherwise; never zeros or a constant.",
          ("zeros_init", "constant_init", "glorot_he_avoid"), ("reinitialize",),
          same_value_init),
    Cause("learning_rate_too_high", "learning rate too high",
          "Divide the learning rate by 10 (SGD rarely needs more than 0.1, Adam more than 1e-3), "
          "or clip gradients (clipnorm=1.0).",
          ("high_lr",), ("lr_div_10",), learning_rate_too_high),
    Cause("learning_rate_too_low", "learning rate too low",
          "Multiply the learning rate by 10 (SGD usually works at 1e-2..1e-1, Adam at 1e-3), "
          "or train for more epochs.",
          ("low_lr",), ("lr_times_10",), learning_rate_too_low),
    Cause("strong_regularization", "weight penalty too strong",
          "Lower the L1/L2 factor 10-100x (1e-4..1e-2 is usual) or remove it.",
          ("strong_regularization", "weight_spread_diagnostic"),
          ("no_regularization",), strong_regularization),
    Cause("unscaled_inputs", "inputs not standardized",
          "Standardize every input feature with training statistics: (x - mean) / std "
          "(sklearn StandardScaler, or keras.layers.Normalization adapted on the training x).",
          ("unnormalized_inputs",), ("standardize_inputs",), unscaled_inputs),
    Cause("class_imbalance", "one class dominates the labels",
          "Weight classes (fit(..., class_weight=...), inverse class frequency), resample, and "
          "judge the model by per-class recall rather than accuracy.",
          ("imbalanced_data",), ("class_weights",), class_imbalance),
    Cause("vanishing_gradients", "gradients vanish through saturating layers",
          "Use ReLU-family hidden activations with he_normal initialization, fewer layers, or "
          "BatchNormalization between layers.",
          ("vanishing_gradients",), ("relu_activation",), vanishing_gradients),
    Cause("dead_relu", "ReLU units dead",
          "Use LeakyReLU or ELU, he_normal initialization, wider layers or fewer of them, and a "
          "learning rate that does not blow units past zero.",
          ("dying_relu", "deep_narrow_relu", "glorot_vs_he_deep"), ("leaky_relu",), dead_relu),
    Cause("label_noise", "labels do not follow the inputs",
          "Check that x and y are aligned (shuffled together, same row order) and that labels "
          "are right; relabel or drop noisy rows.",
          ("label_noise",), (), label_noise),
    Cause("too_little_data", "too few rows",
          "Collect more rows; until then use a smaller batch or more epochs so that the network "
          "gets enough updates, and a smaller network.",
          ("tiny_data",), (), too_little_data),
    Cause("low_diversity_data", "rows repeat",
          "Remove duplicate rows and check the data pipeline (a join or an augmentation "
          "repeating few rows).",
          ("low_diversity",), (), low_diversity_data),
]}
