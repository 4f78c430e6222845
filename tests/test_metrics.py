"""Tests of experiments.metrics against values computed by hand on tiny arrays."""

import math

import numpy as np
import pytest

from experiments import metrics as m

NAN = float("nan")

# -----------------------------------------------------------------------------
# output collapse


def test_output_std_single_unit():
    # [0, 1, 0, 1]: mean 0.5, every deviation 0.5 -> std 0.5
    assert m.output_std(np.array([0.0, 1.0, 0.0, 1.0])) == pytest.approx(0.5)
    assert m.output_std(np.array([[0.0], [1.0], [0.0], [1.0]])) == pytest.approx(0.5)


def test_output_std_averages_units():
    # column 0 [0, 1, 0, 1] -> 0.5; column 1 [0, 2, 0, 2] -> 1.0; mean 0.75
    outputs = np.array([[0.0, 0.0], [1.0, 2.0], [0.0, 0.0], [1.0, 2.0]])
    assert m.output_std(outputs) == pytest.approx(0.75)


def test_all_equal_outputs_are_collapsed():
    outputs = np.full((4, 1), 0.3)
    targets = np.array([[0.0], [1.0], [0.0], [1.0]])
    assert m.output_std(outputs) == 0.0
    assert m.rel_output_std(outputs, targets) == 0.0
    assert m.collapsed(outputs, targets) is True


def test_rel_output_std_and_threshold():
    targets = np.array([[0.0], [1.0], [0.0], [1.0]])  # std 0.5
    # [0.4, 0.6, 0.4, 0.6]: std 0.1 -> 0.1 / 0.5 = 0.2, not collapsed
    spread = np.array([[0.4], [0.6], [0.4], [0.6]])
    assert m.rel_output_std(spread, targets) == pytest.approx(0.2)
    assert m.collapsed(spread, targets) is False
    # [0.5, 0.501, ...]: std 0.0005 -> 0.0005 / 0.5 = 0.001 < 0.01, collapsed
    tiny = np.array([[0.5], [0.501], [0.5], [0.501]])
    assert m.rel_output_std(tiny, targets) == pytest.approx(0.001)
    assert m.collapsed(tiny, targets) is True
    assert m.collapsed(tiny, targets, threshold=0.0005) is False


def test_constant_targets_give_nan_and_not_collapsed():
    outputs = np.array([[0.1], [0.2]])
    targets = np.array([[1.0], [1.0]])
    assert math.isnan(m.rel_output_std(outputs, targets))
    assert m.collapsed(outputs, targets) is False


def test_nan_outputs_are_not_collapsed_but_diverged():
    # A diverged network is an outcome of its own: it is not counted as collapsed.
    outputs = np.array([[0.2], [NAN], [0.7]])
    targets = np.array([[0.0], [1.0], [1.0]])
    assert math.isnan(m.output_std(outputs))
    assert math.isnan(m.rel_output_std(outputs, targets))
    assert m.collapsed(outputs, targets) is False
    assert m.collapsed(np.array([[np.inf], [0.0]]), np.array([[0.0], [1.0]])) is False


# -----------------------------------------------------------------------------
# decision collapse


def test_predicted_classes_sigmoid():
    # p >= 0.5 -> 1; NaN -> 0
    probs = np.array([[0.2], [0.5], [0.7], [NAN]])
    np.testing.assert_array_equal(m.predicted_classes(probs), [0, 1, 1, 0])
    np.testing.assert_array_equal(m.predicted_classes(np.array([0.9, 0.1])), [1, 0])


def test_predicted_classes_softmax():
    probs = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [NAN, 0.9, 0.1]])
    np.testing.assert_array_equal(m.predicted_classes(probs), [1, 0, 0])


def test_majority_fraction():
    # [0, 0, 1, 2]: value 0 appears 2 of 4 times
    assert m.majority_fraction(np.array([0, 0, 1, 2])) == pytest.approx(0.5)
    assert m.majority_fraction(np.array([3, 3, 3])) == 1.0
    assert math.isnan(m.majority_fraction(np.array([], dtype=int)))


def test_decision_collapsed():
    balanced = np.array([0, 1] * 50)
    assert m.decision_collapsed(np.zeros(100, dtype=int), balanced) is True
    # 98 of 100 predictions are class 0: 0.98 < 0.99
    mostly = np.array([0] * 98 + [1] * 2)
    assert m.decision_collapsed(mostly, balanced) is False


def test_decision_not_collapsed_when_labels_one_sided():
    # labels themselves are all class 0: predicting only class 0 is not a collapse
    assert m.decision_collapsed(np.zeros(100, dtype=int), np.zeros(100, dtype=int)) is False


# -----------------------------------------------------------------------------
# dead units and neuron similarity


def test_unit_is_dead():
    # unit 0 constant, unit 1 varies, unit 2 constant, unit 3 has a NaN
    acts = np.array([[0.0, 1.0, 5.0, NAN], [0.0, 2.0, 5.0, 1.0], [0.0, 3.0, 5.0, 2.0]])
    np.testing.assert_array_equal(m.unit_is_dead(acts), [True, False, True, True])


def test_unit_is_dead_tolerance():
    # [1, 1 + 1e-7]: std 5e-8 <= 1e-6, dead; [0, 1e-5]: std 5e-6 > 1e-6, live
    acts = np.array([[1.0, 0.0], [1.0 + 1e-7, 1e-5]])
    np.testing.assert_array_equal(m.unit_is_dead(acts), [True, False])
    np.testing.assert_array_equal(m.unit_is_dead(acts, tol=1e-4), [True, True])


def test_dead_fraction_over_layers():
    # layer 1: 3 of 4 dead (see test_unit_is_dead); layer 2: 0 of 2 dead -> 3 / 6
    layer1 = np.array([[0.0, 1.0, 5.0, NAN], [0.0, 2.0, 5.0, 1.0], [0.0, 3.0, 5.0, 2.0]])
    layer2 = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    assert m.dead_fraction([layer1, layer2]) == pytest.approx(0.5)
    assert math.isnan(m.dead_fraction([]))


def test_all_dead_layer():
    acts = np.zeros((5, 3))  # e.g. ReLU units that never fire
    assert m.dead_fraction([acts]) == 1.0
    assert math.isnan(m.neuron_similarity(acts))


def test_single_live_unit_similarity_is_nan():
    acts = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    assert math.isnan(m.neuron_similarity(acts))


def test_identical_units_similarity_one():
    acts = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert m.neuron_similarity(acts) == pytest.approx(1.0)
    # a positive rescaling is the same function up to scale: corr still 1
    assert m.neuron_similarity(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])) == pytest.approx(1.0)


def test_anti_correlated_units():
    # [1, 2, 3] vs [3, 2, 1]: corr -1 -> |corr| 1
    acts = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    assert m.neuron_similarity(acts) == pytest.approx(1.0)


def test_partially_correlated_units_hand_computed():
    # x = [1, 2, 3, 4], y = [1, 3, 2, 4], both mean 2.5
    # dx = [-1.5, -0.5, 0.5, 1.5], dy = [-1.5, 0.5, -0.5, 1.5]
    # sum dx*dy = 2.25 - 0.25 - 0.25 + 2.25 = 4; sum dx^2 = sum dy^2 = 5 -> corr 4 / 5 = 0.8
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([1.0, 3.0, 2.0, 4.0])
    dead = np.full(4, 7.0)  # ignored
    assert m.neuron_similarity(np.stack([x, y, dead], axis=1)) == pytest.approx(0.8)
    # add z = -x: pairs |xy| = 0.8, |xz| = 1, |yz| = 0.8 -> 2.6 / 3
    acts = np.stack([x, y, -x], axis=1)
    assert m.neuron_similarity(acts) == pytest.approx(2.6 / 3)


# -----------------------------------------------------------------------------
# weights and gradients


def test_weight_spread():
    constant = np.full((2, 2), 2.0)
    # [0, 2, 0, 2]: std 1
    a = np.array([[0.0, 2.0], [0.0, 2.0]])
    # [1, 2, 3, 4]: mean 2.5, var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, std 1.118
    b = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert m.weight_spread([constant]) == 0.0
    assert m.weight_spread([b]) == pytest.approx(math.sqrt(1.25))
    assert m.weight_spread([b, a]) == pytest.approx(1.0)  # min over layers
    assert m.weight_spread([a, b, constant]) == 0.0
    assert math.isnan(m.weight_spread([a, np.array([[NAN, 1.0]])]))
    assert math.isnan(m.weight_spread([]))


def test_grad_norm_ratio():
    first = np.array([[3.0, 4.0]])  # norm sqrt(9 + 16) = 5
    last = np.array([[1.0], [2.0], [2.0], [0.0]])  # norm sqrt(1 + 4 + 4) = 3
    assert m.grad_norm_ratio(first, last) == pytest.approx(5 / 3)
    assert m.grad_norm_ratio(first, np.zeros((4, 1))) == math.inf
    assert math.isnan(m.grad_norm_ratio(np.zeros((1, 2)), np.zeros((4, 1))))
    assert math.isnan(m.grad_norm_ratio(np.array([[NAN, 1.0]]), last))
    assert math.isnan(m.grad_norm_ratio(first, np.array([[np.inf]])))



def test_dead_relu_fraction_hand_computed():
    # layer 1, 3 training inputs x 2 units: unit 0 is <= 0 on every input (0 counts as off),
    # unit 1 is positive on two; layer 2's only unit is 0 everywhere: 2 of 3 units are off
    layer1 = np.array([[-1.0, 2.0], [0.0, -3.0], [-0.5, 1.0]])
    layer2 = np.zeros((3, 1))
    assert m.dead_relu_fraction([layer1, layer2]) == pytest.approx(2 / 3)
    # each unit's maximum over the inputs gives the same answer (what the engine passes)
    maxima = [layer1.max(axis=0, keepdims=True), layer2.max(axis=0, keepdims=True)]
    assert m.dead_relu_fraction(maxima) == pytest.approx(2 / 3)
    assert m.dead_relu_fraction([np.array([[1e-30]])]) == 0.0
    assert math.isnan(m.dead_relu_fraction([layer1, np.array([[NAN], [0.0], [0.0]])]))
    assert math.isnan(m.dead_relu_fraction([]))
    batch = m.dead_relu_fraction_batch([np.stack([layer1, -np.abs(layer1)])])
    np.testing.assert_allclose(batch, [0.5, 1.0])


def test_zero_grad_fraction_hand_computed():
    # 3 of 4 entries of the first gradient and 1 of 2 of the last are exactly 0: 4 of 6
    first = np.array([[0.0, 1e-12], [0.0, -0.0]])
    last = np.array([[2.0], [0.0]])
    assert m.zero_grad_fraction([first, last]) == pytest.approx(4 / 6)
    assert m.zero_grad_fraction([np.ones((2, 2))]) == 0.0
    assert math.isnan(m.zero_grad_fraction([first, np.array([[np.inf], [0.0]])]))
    assert math.isnan(m.zero_grad_fraction([]))



def test_dead_layer_hand_computed():
    varying = np.array([[0.0, 1.0], [0.0, 2.0]])  # unit 0 dead, unit 1 alive: layer alive
    constant = np.array([[0.5, 0.0], [0.5, 0.0]])  # both units constant: layer dead
    assert m.dead_layer([varying]) is False
    assert m.dead_layer([varying, constant]) is True
    assert m.dead_layer([]) is False


def test_input_correlation_hand_computed():
    # cosines: (a, b) 0, (a, c) and (b, c) 1/sqrt(2): mean sqrt(2) / 3
    z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert m.input_correlation(z) == pytest.approx(math.sqrt(2) / 3)
    # a zero vector has no direction: left out of the pairs
    assert m.input_correlation(np.vstack([z, [0.0, 0.0]])) == pytest.approx(math.sqrt(2) / 3)
    assert m.input_correlation(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])) == pytest.approx(1)
    assert m.input_correlation(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(-1)
    assert math.isnan(m.input_correlation(np.array([[1.0, 0.0], [0.0, 0.0]])))
    assert math.isnan(m.input_correlation(np.array([[1.0, NAN], [1.0, 0.0]])))


def test_jacobian_gain_hand_computed():
    # |W_i.|^2 = [2, 4]; input 1: 1 * 2 + 0 * 4 = 2, input 2: 2 + 4 = 6; mean 4 over 2 units
    slopes = np.array([[1.0, 0.0], [1.0, 1.0]])
    kernel = np.array([[1.0, 1.0], [2.0, 0.0]])
    assert m.jacobian_gain(slopes, kernel) == pytest.approx(2.0)
    # a linear layer with orthogonal weights keeps lengths: gain 1
    assert m.jacobian_gain(np.ones((3, 2)), np.array([[0.6, 0.8], [-0.8, 0.6]])) == \
        pytest.approx(1.0)
    assert math.isnan(m.jacobian_gain(slopes, np.array([[1.0, np.inf], [0.0, 0.0]])))


# -----------------------------------------------------------------------------
# losses and scores


def test_binary_crossentropy_hand_computed():
    # p = 0.5 for both classes: -log(0.5) = log 2
    assert m.binary_crossentropy(np.array([[0.5], [0.5]]), np.array([0, 1])) == pytest.approx(
        math.log(2)
    )
    # p = 0 for y = 1 and p = 1 for y = 0 are clipped: -log(1e-7) = 7 log 10 for each input
    clipped = m.binary_crossentropy(np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]))
    assert clipped == pytest.approx(7 * math.log(10))
    assert math.isnan(m.binary_crossentropy(np.array([[NAN], [0.5]]), np.array([0, 1])))


def test_binary_crossentropy_matches_keras():
    import keras

    probs = np.array([[0.9], [0.2], [0.6], [0.3], [0.999]], dtype=np.float32)
    y = np.array([[1.0], [0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    expected = float(np.mean(np.asarray(keras.losses.binary_crossentropy(y, probs))))
    assert m.binary_crossentropy(probs, y) == pytest.approx(expected, rel=1e-5)


def test_categorical_crossentropy_hand_computed():
    # true class has p = 0.5 -> -log 0.5 = log 2; [1, 1, 2] is renormalized to [.25, .25, .5]
    onehot = np.array([[0.0, 0.0, 1.0]])
    assert m.categorical_crossentropy(np.array([[0.25, 0.25, 0.5]]), onehot) == pytest.approx(
        math.log(2)
    )
    assert m.categorical_crossentropy(np.array([[1.0, 1.0, 2.0]]), onehot) == pytest.approx(
        math.log(2)
    )
    assert math.isnan(m.categorical_crossentropy(np.array([[NAN, 0.5, 0.5]]), onehot))


def test_categorical_crossentropy_matches_keras():
    import keras

    probs = np.array(
        [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.2, 0.2, 0.2]], dtype=np.float32
    )
    onehot = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
    expected = float(np.mean(np.asarray(keras.losses.categorical_crossentropy(onehot, probs))))
    assert m.categorical_crossentropy(probs, onehot) == pytest.approx(expected, rel=1e-5)


def test_mean_squared_error():
    # errors [0, 0, 2]: (0 + 0 + 4) / 3
    assert m.mean_squared_error(np.array([[1.0], [2.0], [3.0]]), np.array([1, 2, 5])) == (
        pytest.approx(4 / 3)
    )
    assert math.isnan(m.mean_squared_error(np.array([NAN, 1.0]), np.array([1.0, 1.0])))


def test_accuracy():
    # 3 of 4 match
    assert m.accuracy(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])) == pytest.approx(0.75)


def test_r2_score():
    # y = [1, 2, 3, 4]: mean 2.5, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5
    # pred = [1, 2, 3, 3]: SS_res = 1 -> 1 - 1/5 = 0.8
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert m.r2_score(np.array([[1.0], [2.0], [3.0], [3.0]]), y) == pytest.approx(0.8)
    assert math.isnan(m.r2_score(np.array([1.0, 2.0]), np.array([3.0, 3.0])))  # SS_tot = 0
    assert math.isnan(m.r2_score(np.array([NAN, 2.0]), np.array([1.0, 3.0])))


def test_baseline_score():
    # most common train class 0; eval [0, 1, 1, 0] -> 2 of 4 right
    assert m.baseline_score(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 0]), "binary") == 0.5
    # most common train class 2; eval [2, 0, 2, 2] -> 3 of 4 right
    assert m.baseline_score(np.array([2, 2, 1, 0]), np.array([2, 0, 2, 2]), "multiclass") == 0.75
    # train mean 2; eval [1, 2, 3, 4]: SS_res = 1 + 0 + 1 + 4 = 6, SS_tot = 5 -> 1 - 6/5 = -0.2
    score = m.baseline_score(np.array([1.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0]), "regression")
    assert score == pytest.approx(-0.2)


def test_unknown_task_raises():
    with pytest.raises(ValueError, match="task"):
        m.baseline_score(np.array([0]), np.array([0]), "ranking")
    with pytest.raises(ValueError, match="regression"):
        m.network_metrics(np.zeros((2, 1)), np.array([0, 1]), [], [], "ranking")


# -----------------------------------------------------------------------------
# network_metrics

KEYS = {
    "output_std",
    "rel_output_std",
    "collapsed",
    "majority_fraction",
    "decision_collapsed",
    "balanced_accuracy",
    "auroc",
    "saturated_fraction",
    "dead_fraction",
    "dead_layer",
    "neuron_similarity",
    "identical_units",
    "weight_spread",
    "loss",
    "score",
    "baseline_score",
}

# layer 1: unit 0 dead, unit 1 live; layer 2: two live units, the second = 2 * the first
HIDDEN = [
    np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [0.0, 4.0]]),
    np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0]]),
]
# [0, 2, 0, 2] std 1; [1, 3] std 1
KERNELS = [np.array([[0.0, 2.0], [0.0, 2.0]]), np.array([[1.0], [3.0]])]


def check_shared(result):
    assert set(result) == KEYS
    assert result["dead_fraction"] == pytest.approx(0.25)  # 1 of 4 units
    assert result["neuron_similarity"] == pytest.approx(1.0)
    assert result["weight_spread"] == pytest.approx(1.0)
    assert result["identical_units"] == 0.0  # columns [0, 0] and [2, 2] differ


def test_network_metrics_binary():
    outputs = np.array([[0.75], [0.25], [0.75], [0.25]])
    targets = np.array([1, 0, 1, 0])
    result = m.network_metrics(
        outputs, targets, HIDDEN, KERNELS, "binary", train_targets=np.array([1, 1, 1, 0])
    )
    check_shared(result)
    assert result["output_std"] == pytest.approx(0.25)
    assert result["rel_output_std"] == pytest.approx(0.5)  # 0.25 / 0.5
    assert result["collapsed"] is False
    assert result["majority_fraction"] == pytest.approx(0.5)
    assert result["decision_collapsed"] is False
    assert result["balanced_accuracy"] == 1.0
    assert result["auroc"] == 1.0  # every class-1 score above every class-0 score
    assert result["saturated_fraction"] == 0.0
    assert result["loss"] == pytest.approx(-math.log(0.75))  # p of the true class is 0.75
    assert result["score"] == 1.0
    assert result["baseline_score"] == 0.5  # always class 1


def test_network_metrics_multiclass():
    targets = np.array([0, 1, 2, 0])
    # outputs = 0.25 + 0.25 * one-hot: std is 0.25 * the target std -> rel 0.25
    outputs = 0.25 + 0.25 * np.eye(3)[targets]
    result = m.network_metrics(outputs, targets, HIDDEN, KERNELS, "multiclass")
    check_shared(result)
    assert result["rel_output_std"] == pytest.approx(0.25)
    assert result["collapsed"] is False
    assert result["majority_fraction"] == pytest.approx(0.5)  # class 0 twice of 4
    assert result["decision_collapsed"] is False
    assert result["loss"] == pytest.approx(math.log(2))  # p of the true class is 0.5
    assert result["score"] == 1.0
    assert math.isnan(result["baseline_score"])  # no train_targets


def test_network_metrics_regression():
    # outputs [1, 2, 3, 3]: mean 2.25, var (1.5625 + 0.0625 + 0.5625 + 0.5625) / 4 = 0.6875
    # targets [1, 2, 3, 4]: var 5 / 4 = 1.25 -> rel sqrt(0.6875 / 1.25) = sqrt(0.55)
    outputs = np.array([[1.0], [2.0], [3.0], [3.0]])
    targets = np.array([1.0, 2.0, 3.0, 4.0])
    result = m.network_metrics(
        outputs, targets, HIDDEN, KERNELS, "regression", train_targets=np.array([1.0, 3.0])
    )
    check_shared(result)
    assert result["output_std"] == pytest.approx(math.sqrt(0.6875))
    assert result["rel_output_std"] == pytest.approx(math.sqrt(0.55))
    assert result["collapsed"] is False
    assert result["majority_fraction"] is None
    assert result["decision_collapsed"] is None
    assert result["loss"] == pytest.approx(0.25)  # one error of 1 over 4 inputs
    assert result["score"] == pytest.approx(0.8)  # see test_r2_score
    assert result["baseline_score"] == pytest.approx(-0.2)  # see test_baseline_score


@pytest.mark.parametrize("task,k", [("binary", 1), ("multiclass", 3), ("regression", 1)])
def test_network_metrics_nan_outputs(task, k):
    outputs = np.full((4, k), NAN)
    targets = np.array([0, 1, 2, 0]) if task == "multiclass" else np.array([0, 1, 1, 0])
    kernels = [np.array([[NAN, 1.0]])]
    result = m.network_metrics(outputs, targets, [np.full((4, 2), NAN)], kernels, task)
    assert set(result) == KEYS
    assert result["collapsed"] is False  # diverged, not collapsed
    assert result["decision_collapsed"] in (False, None)
    for key in ("output_std", "rel_output_std", "loss", "score", "weight_spread"):
        assert math.isnan(result[key]), key
    assert result["dead_fraction"] == 1.0
    assert math.isnan(result["neuron_similarity"])


def test_network_metrics_constant_outputs_and_no_hidden_layers():
    outputs = np.full((4, 1), 0.5)
    result = m.network_metrics(outputs, np.array([0, 1, 1, 0]), [], KERNELS, "binary")
    assert result["output_std"] == 0.0
    assert result["collapsed"] is True
    assert result["majority_fraction"] == 1.0  # 0.5 >= 0.5: all class 1
    assert result["decision_collapsed"] is True
    assert result["loss"] == pytest.approx(math.log(2))
    assert math.isnan(result["dead_fraction"])
    assert math.isnan(result["neuron_similarity"])


# -----------------------------------------------------------------------------
# batched metrics: a leading member axis, one value per network


def stack(*arrays):
    return np.stack([np.asarray(a, dtype=np.float64) for a in arrays])


def test_batched_output_metrics_per_member():
    targets = np.array([[0.0], [1.0], [0.0], [1.0]])  # std 0.5
    spread = np.array([[0.4], [0.6], [0.4], [0.6]])  # std 0.1
    tiny = np.array([[0.5], [0.501], [0.5], [0.501]])  # std 0.0005
    broken = np.array([[0.2], [NAN], [0.7], [0.1]])
    outputs, target_stack = stack(spread, tiny, broken), stack(targets, targets, targets)
    np.testing.assert_allclose(m.output_std_batch(outputs)[:2], [0.1, 0.0005])
    rel = m.rel_output_std_batch(outputs, target_stack)
    np.testing.assert_allclose(rel[:2], [0.2, 0.001])
    assert math.isnan(rel[2])  # only the broken member is NaN
    np.testing.assert_array_equal(m.collapsed_batch(outputs, target_stack), [False, True, False])
    # one threshold per member
    per_member = m.collapsed_batch(outputs, target_stack, threshold=np.array([0.3, 0.0005, 1]))
    np.testing.assert_array_equal(per_member, [True, False, False])


def test_batched_single_functions_agree_on_every_member():
    rng = np.random.default_rng(3)
    outputs = rng.random((5, 20, 1))
    labels = rng.integers(0, 2, (5, 20))
    hidden = rng.normal(size=(5, 20, 4)) * (rng.random((5, 1, 4)) > 0.3)
    grads = rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 4, 1))
    batch = m.network_metrics_batch(outputs, labels, [hidden], [grads[0], grads[1]], "binary",
                                    train_targets=labels[:, ::-1])
    for k in range(5):
        single = m.network_metrics(outputs[k], labels[k], [hidden[k]], [grads[0][k], grads[1][k]],
                                   "binary", train_targets=labels[k, ::-1])
        assert m.member_metrics(batch, k) == pytest.approx(single, nan_ok=True)
        assert m.grad_norm_ratio_batch(*grads)[k] == m.grad_norm_ratio(grads[0][k], grads[1][k])
    assert set(batch) == KEYS


def test_batched_majority_and_mode_ties():
    # member 0: [2, 2, 1, 1]: tie -> 0.5; member 1: all 3 -> 1.0
    classes = np.array([[2, 2, 1, 1], [3, 3, 3, 3]])
    np.testing.assert_allclose(m.majority_fraction_batch(classes), [0.5, 1.0])
    # baseline: ties go to the smallest class (1 for member 0), eval [1, 1, 2, 0] -> 0.5
    score = m.baseline_score_batch(classes, np.array([[1, 1, 2, 0], [3, 0, 0, 0]]), "binary")
    np.testing.assert_allclose(score, [0.5, 0.25])
    assert math.isnan(m.majority_fraction_batch(np.zeros((2, 0), dtype=int))[1])


def test_batched_hidden_metrics_isolate_a_nan_member():
    # member 0: HIDDEN's layers (see below); member 1: everything NaN
    layers = [stack(h, np.full_like(h, NAN)) for h in HIDDEN]
    np.testing.assert_allclose(m.dead_fraction_batch(layers), [0.25, 1.0])
    similarity = m.neuron_similarity_batch(layers[1])
    assert similarity[0] == pytest.approx(1.0)
    assert math.isnan(similarity[1])
    kernels = [stack(k, np.full_like(k, NAN)) for k in KERNELS]
    spread = m.weight_spread_batch(kernels)
    assert spread[0] == pytest.approx(1.0) and math.isnan(spread[1])


def test_batched_losses_and_scores():
    probs = stack([[0.5], [0.5]], [[0.75], [0.25]])
    y = np.array([[0, 1], [1, 0]])
    np.testing.assert_allclose(m.binary_crossentropy_batch(probs, y),
                               [math.log(2), -math.log(0.75)])
    # regression: member 0 errors [0, 0, 2]; member 1 NaN
    pred = stack([[1.0], [2.0], [3.0]], [[NAN], [1.0], [1.0]])
    mse = m.mean_squared_error_batch(pred, np.array([[1, 2, 5], [1, 2, 5]]))
    assert mse[0] == pytest.approx(4 / 3) and math.isnan(mse[1])
    r2 = m.r2_score_batch(stack([1, 2, 3, 3], [1, 2, 3, 4]), stack([1, 2, 3, 4], [1, 2, 3, 4]))
    np.testing.assert_allclose(r2, [0.8, 1.0])
    np.testing.assert_allclose(m.accuracy_batch(np.array([[0, 1], [1, 1]]),
                                                np.array([[0, 0], [1, 1]])), [0.5, 1.0])


def test_network_metrics_batch_names_subset():
    outputs = stack([[0.75], [0.25], [0.75], [0.25]], np.full((4, 1), 0.5))
    labels = np.array([[1, 0, 1, 0], [1, 0, 1, 0]])
    hidden = [stack(h, h) for h in HIDDEN]
    kernels = [stack(k, k) for k in KERNELS]
    subset = m.network_metrics_batch(outputs, labels, hidden, kernels, "binary",
                                     names=("loss", "rel_output_std", "dead_fraction"))
    assert list(subset) == ["loss", "rel_output_std", "dead_fraction"]
    np.testing.assert_allclose(subset["loss"], [-math.log(0.75), math.log(2)])
    np.testing.assert_allclose(subset["rel_output_std"], [0.5, 0.0])
    full = m.network_metrics_batch(outputs, labels, hidden, kernels, "regression")
    assert full["majority_fraction"] is None and full["decision_collapsed"] is None


# -----------------------------------------------------------------------------
# outcomes that tell a shifted prior, saturation and symmetry apart


def test_balanced_accuracy_by_hand():
    # always class 0 on labels [0, 0, 0, 1]: recall 1 for class 0, 0 for class 1 -> 0.5
    assert m.balanced_accuracy([0, 0, 0, 0], [0, 0, 0, 1]) == 0.5
    # recalls: class 0 1/1, class 1 2/3 -> (1 + 2/3) / 2
    assert m.balanced_accuracy([0, 1, 1, 0], [0, 1, 1, 1]) == pytest.approx(5 / 6)
    # a predicted class absent from the labels does not add a class to the mean
    assert m.balanced_accuracy([2, 2, 1, 1], [1, 1, 1, 1]) == 0.5
    assert math.isnan(m.balanced_accuracy([], []))


def test_saturated_fraction_by_hand():
    assert m.saturated_fraction([0.0, 1.0, 0.5, 1 - 1e-7]) == 0.75
    softmax = np.array([[1 - 1e-7, 1e-7], [0.5, 0.5]])
    assert m.saturated_fraction(softmax) == 0.5
    assert math.isnan(m.saturated_fraction([0.2, NAN]))


def test_identical_units_by_hand():
    out = np.ones((4, 1))
    assert m.identical_units([np.full((3, 4), 0.5), out]) == 1.0  # constant init
    kernel = np.full((3, 4), 0.5)
    kernel[:, 0] = [1.0, 2.0, 3.0]  # one unit differs, three stay equal
    assert m.identical_units([kernel, out]) == 0.75
    assert m.identical_units([np.arange(12.0).reshape(3, 4), out]) == 0.0
    # equal up to 1e-9 of the largest weight counts as equal; 1e-3 does not
    near = np.array([[1.0, 1.0 + 1e-9], [2.0, 2.0]])
    assert m.identical_units([near, np.ones((2, 1))]) == 1.0
    apart = np.array([[1.0, 1.001], [2.0, 2.0]])
    assert m.identical_units([apart, np.ones((2, 1))]) == 0.0
    # two layers: 2 + 3 units, identical in the second only
    first = np.array([[1.0, 2.0]])
    second = np.full((2, 3), 0.1)
    assert m.identical_units([first, second, np.ones((3, 1))]) == pytest.approx(3 / 5)
    assert math.isnan(m.identical_units([out]))  # no hidden layer
    assert math.isnan(m.identical_units([np.array([[NAN, 1.0]]), out[:2]]))


def _weight_metrics_all_at_once(kernels):
    """weight_spread and identical_units as they were: every kernel copied to float64 first."""
    rows = [np.ascontiguousarray(np.asarray(k, np.float64).reshape(len(k), -1)) for k in kernels]
    spread = np.where(m._finite_members(*rows), np.min([r.std(axis=1) for r in rows], axis=0),
                      np.nan)
    hidden = [np.asarray(k, np.float64) for k in kernels[:-1]]
    same, finite = np.zeros(len(hidden[0])), m._finite_members(*hidden)
    for kernel in hidden:
        scale = np.abs(kernel).max(axis=(1, 2)) * m.IDENTICAL_TOL
        grid = np.round(kernel / np.where(scale > 0, scale, 1.0)[:, None, None])
        for k in np.flatnonzero(finite):
            _, inverse, counts = np.unique(grid[k].T, axis=0, return_inverse=True,
                                           return_counts=True)
            same[k] += np.sum(counts[inverse.reshape(-1)] > 1)
    total = sum(k.shape[2] for k in hidden)
    return spread, np.where(finite, same / total, np.nan)


def test_weight_metrics_layer_by_layer_same_values_less_memory():
    import tracemalloc

    rng = np.random.default_rng(0)
    width, depth, members = 200, 12, 2
    kernels = [rng.normal(size=(members, width, width)).astype(np.float32)
               for _ in range(depth)]
    kernels[3][:, :, 7] = kernels[3][:, :, 9]  # two identical units in one layer
    kernels[5][1, 0, 0] = np.inf  # member 1 non-finite
    kernels.append(rng.normal(size=(members, width, 1)).astype(np.float32))
    tracemalloc.start()
    with np.errstate(all="ignore"):
        spread_ref, same_ref = _weight_metrics_all_at_once(kernels)
    _, ref_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    spread = m.weight_spread_batch(kernels)
    _, spread_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    same = m.identical_units_batch(kernels)
    _, same_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_array_equal(spread, spread_ref)  # bit for bit
    np.testing.assert_array_equal(same, same_ref)
    assert same[0] == pytest.approx(2 / (width * depth)) and math.isnan(same[1])
    assert math.isnan(spread[1])
    # all kernels in float64 take depth (12) layers' worth; one at a time, a few layers' worth
    layer64 = members * width * width * 8
    assert ref_peak > depth * layer64
    assert spread_peak < 3 * layer64
    assert same_peak < 6 * layer64


@pytest.mark.parametrize("n", [9, 256, 1347, 8193])
def test_hidden_metrics_of_float32_equal_those_of_its_float64_copy(n):
    """The engine passes float32 activations and the metrics convert them to float64 where
    they compute: the values are those of converting first, bit for bit, whatever the layout
    (a contiguous (K, units, n) array seen transposed, as the engine passes it, or a
    (K, n, units) array as the Keras path passes it) and with dead, NaN and live units."""
    rng = np.random.default_rng(n)
    units_first = (rng.normal(size=(4, 6, n)) * rng.choice([1e-4, 1.0, 1e3], size=(4, 6, 1))
                   + rng.normal(size=(4, 6, 1))).astype(np.float32)
    units_first[0, 2] = 0.5  # a dead unit
    units_first[1, :, 3] = np.nan  # a diverged member
    units_first[2, 1] = units_first[2, 0]  # two identical units
    for acts in (units_first.transpose(0, 2, 1),
                 np.ascontiguousarray(units_first.transpose(0, 2, 1))):
        wide = acts.astype(np.float64)
        # what unit_is_dead_batch relies on: _dead's arithmetic is np.std's, along each row
        # (units with a non-finite value are dead whatever their std)
        centered, finite = m._centered(acts)
        rows = np.ascontiguousarray(np.moveaxis(wide, 1, -1))
        assert finite.sum() == 4 * 6 - 6
        np.testing.assert_array_equal(np.sqrt((centered * centered).sum(axis=-1) / n)[finite],
                                      np.std(rows, axis=-1)[finite])
        np.testing.assert_array_equal(m.unit_is_dead_batch(acts), m.unit_is_dead_batch(wide))
        np.testing.assert_array_equal(m.neuron_similarity_batch(acts),
                                      m.neuron_similarity_batch(wide))
        np.testing.assert_array_equal(m.dead_layer_batch([acts]), m.dead_layer_batch([wide]))
    assert m.unit_is_dead_batch(acts)[0, 2] and m.unit_is_dead_batch(acts)[1].all()
    assert m.neuron_similarity_batch(acts)[2] > 0


def test_every_member_metrics_equals_member_metrics():
    """Whole columns converted at once give each member's member_metrics, value and type."""
    batch = {"rate": np.float32([0.25, np.nan, 1e-8]), "flag": np.array([True, False, True]),
             "count": np.array([1, 2, 3]), "absent": None, "shared": np.broadcast_to(0.5, (3,))}
    every = m.every_member_metrics(batch, 3)
    for k in range(3):
        one = m.member_metrics(batch, k)
        assert repr(every[k]) == repr(one)
        assert [type(v) for v in every[k].values()] == [type(v) for v in one.values()]
    assert every[1]["flag"] is False and every[2]["count"] == 3.0 and every[0]["absent"] is None


def test_auroc_hand_values_and_sklearn():
    from sklearn.metrics import roc_auc_score

    # scores 0.1, 0.4 (class 0), 0.35, 0.8 (class 1): 3 of 4 (pos, neg) pairs ordered
    assert m.auroc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    # ties count half; a constant output is 0.5 whatever the class shares
    assert m.auroc(np.array([0.5, 0.5, 0.5]), np.array([0, 1, 1])) == 0.5
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 60)
    probs = rng.dirichlet([1, 1, 1], 60)
    assert m.auroc(probs, labels) == pytest.approx(
        roc_auc_score(labels, probs, multi_class="ovr", average="macro"))
    assert math.isnan(m.auroc(np.array([0.2, np.nan]), np.array([0, 1])))
    assert math.isnan(m.auroc(np.array([0.2, 0.3]), np.array([1, 1])))  # one class only
