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

from experiments.doctor.data_facts import VALIDATION_SHARE
from experiments.doctor.evidence import ADAPTIVE_OPTIMIZERS, DROPOUT_LAYERS, RELU_FAMILY, SATURATING
from experiments.doctor.structure import output_range

# Claims of `python run.py -m experiment=seed_claims` (conf/experiment/seed_claims.yaml; the
# README's claims table) that measured a cause or its fix. Referenced by id only: the table's
# numbers are regenerated with every run.
CLAIMS_TABLE = "docs/claims.md, the measured tables"


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


def _num(value):
    """A number, NaN for None (stored evidence is strict JSON: NaN is saved as null)."""
    return math.nan if value is None else float(value)


def _loss_ratio(net):
    """The network's loss over a constant prediction's (NaN where either is unknown)."""
    loss, base = _num(net.get("loss")), _num(net.get("baseline_loss"))
    return loss / base if base and math.isfinite(base) else math.nan


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
    # Weights thousands of times their initial scale: only steps far too large for the
    # gradients' scale get there, whatever the nominal rate (regression on raw targets).
    blown = 0.0 if net["diverged"] else log_ramp(net["max_abs_weight"], 300, 10_000)
    if lr is None:
        return 0.5 * symptom, evidence + ["learning rate unknown (model saved uncompiled)"]
    high = log_ramp(lr, 0.03, 0.3) if _adaptive(model) else log_ramp(lr, 0.3, 3.0)
    if high > 0 or blown > 0:
        evidence.insert(0, f"learning rate {_fmt(lr)} with {model['optimizer']}")
    return max(high * (0.7 + 0.3 * symptom), 0.8 * blown), evidence


def learning_rate_too_low(model, data, net, history):
    lr = model.get("learning_rate")
    if lr is None:
        return 0.0, []
    low = log_ramp(lr, 1e-4, 1e-6) if _adaptive(model) else log_ramp(lr, 1e-3, 1e-5)
    if low == 0:
        return 0.0, []
    evidence = [f"learning rate {_fmt(lr)} with {model['optimizer']}"]
    ratio = _loss_ratio(net)
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
    if strength and "non_integer_labels" in net.get("mismatches", []):
        strength *= 0.5  # the one class comes from labels cast to integers, not from the data
        evidence.append("as the loss reads the labels (cast to integers)")
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
    if "non_integer_labels" in net.get("mismatches", []):
        return 0.9, [text for code, text in zip(net["mismatches"], net["mismatch_notes"])
                     if code == "non_integer_labels"]
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


# the causes real programs hit most (benchmarks/realworld)


def softmax_single_unit(model, data, net, history):
    if model["output_activation"] != "softmax" or model["output_units"] != 1:
        return 0.0, []
    return 1.0, ["softmax over 1 output unit: exp(z) / exp(z) = 1 for every input, so the "
                 "output never changes and no gradient flows"]


def loss_output_mismatch(model, data, net, history):
    loss, act = (model.get("loss") or "").lower(), model["output_activation"] or "linear"
    units, logits = model["output_units"], model.get("from_logits")
    found = []  # (strength, sentence)
    mismatch = dict(zip(net.get("mismatches", []), net.get("mismatch_notes", [])))
    for code, strength in (("categorical_one_unit", 0.9), ("labels_exceed_outputs", 0.9),
                           ("onehot_one_unit", 0.8), ("columns_one_unit", 0.8),
                           ("continuous_targets", 0.7)):
        if code in mismatch:
            found.append((strength, mismatch[code]))
    crossentropy = "crossentropy" in loss or "hinge" in loss
    if act == "sigmoid" and units > 1 and "categorical" in loss:
        found.append((0.8, f"{units} sigmoid outputs with {loss}: the loss rewards raising "
                           "every output, so all of them saturate together"))
    if logits and act in ("softmax", "sigmoid"):
        found.append((0.7, f"from_logits=True but the output is already {act}: the loss "
                           f"applies {act} a second time and squashes the gradient"))
    if crossentropy and not logits and act == "linear" and loss and "hinge" not in loss:
        found.append((0.8, f"{loss} without from_logits=True on a linear output: outputs "
                           "outside (0, 1) are clipped and get no gradient"))
    if "binary" in loss and act == "softmax" and units > 2:
        found.append((0.4, f"binary cross-entropy on a {units}-way softmax"))
    if model["task"] == "regression" and act == "softmax" and data.get("y_columns", 1) == 1:
        found.append((0.7, f"{loss or 'a regression loss'} between class labels and softmax "
                           "outputs, which sum to 1"))
    if "hinge" in loss and act in ("sigmoid", "softmax"):
        found.append((0.5, f"{loss} on {act} outputs (hinge wants unbounded scores)"))
    if not found:
        return 0.0, []
    found.sort(key=lambda item: -item[0])
    return found[0][0], [text for _, text in found]


def output_range_mismatch(model, data, net, history):
    act, loss = model["output_activation"] or "linear", (model.get("loss") or "").lower()
    found = []
    regression = model["task"] == "regression" and "continuous_targets" not in net.get(
        "mismatches", []) or net.get("measured_task") == "regression" and data.get(
        "y_encoding") == "continuous"
    low, high = output_range(act)
    if regression and (low, high) != (-math.inf, math.inf):
        t_min, t_max = _num(data.get("target_min")), _num(data.get("target_max"))
        below = t_min < low - 1e-6
        above = t_max > high + 1e-6
        outside = t_min > high or t_max < low  # every target
        if below or above:
            found.append((1.0 if outside else 0.9, f"targets span {_fmt(data['target_min'])}..."
                               f"{_fmt(data['target_max'])} but a {act} output can only give "
                               f"{_fmt(low)}..{_fmt(high)}"))
    if act == "relu" and net.get("output_std") is not None and net["output_std"] == 0:
        found.append((0.9, "the ReLU output unit gives 0 for every input (it died: no "
                           "gradient flows through it)"))
    if act == "relu" and model["task"] != "regression":
        how = "logits" if model.get("from_logits") else "class probabilities"
        found.append((0.8, f"a ReLU output as {how} for {loss or 'a classification loss'}: "
                           "negative scores are cut to 0"))
    if not found:
        return 0.0, []
    found.sort(key=lambda item: -item[0])
    return found[0][0], [text for _, text in found]


def batchnorm_statistics(model, data, net, history):
    if not model.get("batchnorm_layers"):
        return 0.0, []
    strength, evidence = 0.0, []
    batch = net.get("batch_stats")
    if batch and net["kind"] != "none" and not (batch.get("collapsed") or batch.get(
            "one_class")):
        strength = 0.9
        evidence.append(f"with BatchNormalization on the data's own statistics the outputs "
                        f"vary (rel_output_std {_fmt(batch['rel_output_std'])}), with its "
                        f"moving statistics (inference) they do not "
                        f"({_fmt(net['rel_output_std'])})")
    for stats in net.get("batchnorm") or []:
        ratio = _num(stats.get("var_ratio_median"))
        spread = (abs(math.log10(ratio)) if ratio > 0 else math.inf) if ratio == ratio else None
        off = max(log_ramp(stats.get("mean_shift"), 3, 30), ramp(spread, 1, 2))
        if off > 0:
            strength = max(strength, 0.7 * off)
            evidence.append(f"{stats['layer']}: the data's mean is {_fmt(stats['mean_shift'])} "
                            f"moving standard deviations from the moving mean, its variance "
                            f"{_fmt(ratio)}x the moving variance")
    return strength, evidence


def non_finite_data(model, data, net, history):
    rows = data.get("non_finite_rows", 0)
    if not rows:
        return 0.0, []
    strength = 0.95 if net["diverged"] else 0.7
    return strength, [f"{rows} of {data['n_rows']} rows ({data['non_finite_share']:.1%}) hold "
                      f"NaN or inf (x: {data['non_finite_x']} values, y: "
                      f"{data['non_finite_y']}): one such row in a batch makes the loss NaN, "
                      "and every weight with it"]


def unscaled_targets(model, data, net, history):
    if model["task"] != "regression" or data.get("y_encoding") not in ("continuous", "labels"):
        return 0.0, []
    scale = max(abs(_num(data.get("target_mean"))), _num(data.get("target_std")))
    strength = log_ramp(scale, 30, 3000)
    if strength == 0:
        return 0.0, []
    return strength, [f"targets around {_fmt(data['target_mean'])} +- "
                      f"{_fmt(data['target_std'])} (standardized: 0 +- 1): the network first "
                      "learns the mean and its gradients are dominated by the scale"]


def model_too_small(model, data, net, history):
    widths = [w for w in model.get("widths", []) if w]
    classes = data.get("n_classes") or 1
    if widths:
        bottleneck = min(widths)
        small = max(ramp(bottleneck, 4, 1), 0.6 * ramp(bottleneck, classes, classes / 4)
                    if classes > 4 else 0.0)
        what = f"narrowest hidden layer {bottleneck} unit(s)"
    else:
        small, what = 0.5, "no hidden layer (a linear model)"
    if small == 0:
        return 0.0, []
    learnable = ramp(data.get("label_predictability"), 0.2, 0.6)
    ratio = _loss_ratio(net)
    stuck = ramp(ratio, 0.7, 0.98)
    strength = small * learnable * (0.4 + 0.6 * stuck)
    if strength == 0:
        return 0.0, []
    return strength, [f"{what} for {classes if classes > 1 else 'a'} "
                      f"{'classes' if classes > 1 else 'regression target'}, while the "
                      f"labels follow the inputs (label_predictability "
                      f"{_fmt(data.get('label_predictability'))})"]


def unshuffled_data(model, data, net, history):
    evidence, strength = [], 0.0
    runs = data.get("runs_ratio")
    unseen = data.get("tail_classes_unseen")
    if unseen is not None and math.isfinite(unseen) and unseen > 0:
        s = ramp(unseen, 0.2, 0.9)
        if s > 0:
            strength = max(strength, 0.9 * s)
            evidence.append(f"{unseen:.0%} of the last {int(100 * VALIDATION_SHARE)}% of rows "
                            "are of classes that never occur before them: validation_split "
                            "takes that tail, so training never sees those classes")
    if runs is not None and math.isfinite(runs):
        s = ramp(runs, 0.3, 0.02)
        if s > 0:
            strength = max(strength, 0.75 * s)
            evidence.append(f"labels come in long blocks ({_fmt(runs)} of the label changes "
                            "a shuffled order has): unshuffled batches see one class at a time")
    order = data.get("target_order")
    if order is not None and math.isfinite(order) and abs(order) > 0.9:
        strength = max(strength, 0.6 * ramp(abs(order), 0.9, 0.99))
        evidence.append(f"targets sorted by row (Spearman {_fmt(order)} with the row number)")
    return strength, evidence


def dropout_too_high(model, data, net, history):
    rates = [row["rate"] for row in model["layers"]
             if row["kind"] in DROPOUT_LAYERS and row.get("rate")]
    if not rates:
        return 0.0, []
    keep = math.prod(1 - r for r in rates)
    strength = max(ramp(max(rates), 0.6, 0.9), ramp(-math.log10(max(keep, 1e-12)), 0.6, 1.3))
    if strength == 0:
        return 0.0, []
    return strength, [f"dropout rates {', '.join(_fmt(r) for r in rates)}: "
                      f"{keep:.0%} of the signal survives each training step"]


# A symptom-like cause and the root causes that produce it: the symptom's strength is
# discounted by the strongest of them (dead units follow from a too-high learning rate,
# unscaled inputs, same-value weights or a strong penalty; a one-sided label split from 95%
# copies of a few rows).
STRUCTURAL = ("softmax_single_unit", "loss_output_mismatch", "output_range_mismatch",
              "non_finite_data", "batchnorm_statistics")
EXPLAINED_BY = {
    "dead_relu": ("learning_rate_too_high", "unscaled_inputs", "same_value_init",
                  "strong_regularization", *STRUCTURAL),
    "class_imbalance": ("low_diversity_data",),
    "vanishing_gradients": STRUCTURAL,
    "learning_rate_too_low": STRUCTURAL,
    "learning_rate_too_high": ("non_finite_data",),
    "label_noise": ("unshuffled_data", "non_finite_data"),
    "model_too_small": STRUCTURAL,
    "unscaled_targets": ("output_range_mismatch",),
    # a network can fit a dozen rows: few rows explain a collapse only where nothing else does
    "too_little_data": ("unscaled_inputs", "same_value_init", "learning_rate_too_high",
                        "learning_rate_too_low", "strong_regularization", *STRUCTURAL),
}

CAUSES = {c.name: c for c in [
    # Causes that by themselves force one output for every input come first: they win ties.
    Cause("softmax_single_unit", "softmax over a single output unit",
          "Use Dense(1, activation='sigmoid') with binary_crossentropy, or Dense(2, "
          "activation='softmax') with sparse_categorical_crossentropy.",
          (), ("sigmoid_output",), softmax_single_unit),
    Cause("loss_output_mismatch", "the loss does not fit the output layer or the labels",
          "Pair them: sigmoid + binary_crossentropy (one unit, 0/1 labels); softmax + "
          "sparse_categorical_crossentropy (k units, labels 0..k-1) or categorical_crossentropy "
          "(one-hot); a linear output with from_logits=True; never categorical cross-entropy "
          "on one unit.", (), ("fitting_loss",), loss_output_mismatch),
    Cause("output_range_mismatch", "the output activation cannot reach the targets",
          "Use a linear output for regression (or scale the targets into the activation's "
          "range), and no ReLU on the output layer of a classifier.",
          (), ("linear_output",), output_range_mismatch),
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
          ("sigmoid_vanishing", "tanh_vanishing"), ("relu_activation",), vanishing_gradients),
    Cause("dead_relu", "ReLU units dead",
          "Use LeakyReLU or ELU, he_normal initialization, wider layers or fewer of them, and a "
          "learning rate that does not blow units past zero.",
          ("relu_dies", "leaky_elu_cure", "deep_narrow_relu", "glorot_vs_he_deep"),
          ("leaky_relu",), dead_relu),
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
    Cause("batchnorm_statistics", "BatchNormalization's moving statistics do not fit the data",
          "Train long enough for the moving averages to settle (or lower momentum, e.g. 0.9), "
          "use batches of >= 16 rows, feed the same preprocessing at inference, and do not "
          "freeze BatchNormalization in training mode.", (), ("batchnorm_momentum",),
          batchnorm_statistics),
    Cause("non_finite_data", "NaN or inf in the data",
          "Drop or impute rows with NaN/inf (np.isfinite(x).all(axis=1)), before scaling.",
          (), ("drop_non_finite",), non_finite_data),
    Cause("unscaled_targets", "regression targets in raw units",
          "Standardize the targets with training statistics ((y - mean) / std) and invert the "
          "scaling on predictions.", (), ("standardize_targets",), unscaled_targets),
    Cause("model_too_small", "the model is too small for the task",
          "Add units or layers (a hidden layer of >= 16 units is a good start).",
          (), ("wider",), model_too_small),
    Cause("unshuffled_data", "rows sorted by label",
          "Shuffle x and y together before fit (validation_split takes the last rows "
          "unshuffled): p = np.random.permutation(len(x)); x, y = x[p], y[p].",
          (), ("shuffle_rows",), unshuffled_data),
    Cause("dropout_too_high", "dropout rate too high",
          "Use dropout rates of 0.1-0.5, and fewer dropout layers.",
          (), ("less_dropout",), dropout_too_high),
]}
