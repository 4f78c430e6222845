"""experiments.theory against values derivable by hand."""

import math

import pytest

from experiments import theory


def test_tanh_without_bias_is_critical_at_sigma_w2_one():
    # q* = 0 for sigma_w^2 <= 1 (sigma_b = 0) and tanh'(0) = 1, so chi1 = sigma_w^2
    assert theory.critical_sigma_w2("tanh", 0.0) == pytest.approx(1.0, abs=1e-6)
    assert theory.q_star("tanh", 0.8, 0.0) == 0.0
    assert theory.chi1("tanh", 0.8, 0.0) == pytest.approx(0.8)


def test_tanh_with_bias_needs_larger_weights():
    # a bias keeps q* > 0, where tanh' < 1: the boundary moves right (Schoenholz et al. Fig. 1)
    critical = theory.critical_sigma_w2("tanh", 0.05)
    assert 1.7 < critical < 1.8
    assert theory.chi1("tanh", critical, 0.05) == pytest.approx(1.0, abs=1e-6)
    assert theory.critical_sigma_w2("tanh", 0.3) > critical


@pytest.mark.parametrize("sigma_b2", [0.0, 0.05, 0.3])
def test_relu_is_critical_at_two(sigma_b2):
    # relu'(z)^2 = 1 on half the line whatever q: chi1 = sigma_w^2 / 2
    assert theory.critical_sigma_w2("relu", sigma_b2) == pytest.approx(2.0, rel=1e-6)
    assert theory.chi1("relu", 1.5, sigma_b2) == pytest.approx(0.75)
    assert theory.xi_c("relu", 1.5, sigma_b2) == pytest.approx(-1 / math.log(0.75))


def test_relu_and_linear_lengths():
    # E[relu(sqrt(q) z)^2] = q / 2: q* = sigma_b^2 / (1 - sigma_w^2 / 2), inf beyond 2
    assert theory.q_star("relu", 1.0, 0.05) == pytest.approx(0.1)
    assert theory.q_star("relu", 2.5, 0.05) == math.inf
    # linear: q* = sigma_b^2 / (1 - sigma_w^2), chi1 = sigma_w^2
    assert theory.q_star("linear", 0.5, 0.1) == pytest.approx(0.2)
    assert theory.chi1("linear", 0.5, 0.1) == pytest.approx(0.5)


def test_correlation_map_fixes_one_and_follows_the_arc_cosine_kernel():
    assert theory.correlation_map(1.0, "tanh", 1.5, 0.05) == pytest.approx(1.0, abs=1e-9)
    # ReLU, no bias: c' = (sqrt(1 - c^2) + (pi - arccos c) c) / pi; c = 0 gives 1 / pi
    assert theory.correlation_map(0.0, "relu", 2.0, 0.0, q=1.0) == pytest.approx(1 / math.pi)
    # tanh by quadrature: an odd function keeps c = 0 at zero bias
    assert theory.correlation_map(0.0, "tanh", 2.0, 0.0, q=1.0) == pytest.approx(0.0, abs=1e-12)
    # linear, no bias, sigma_w^2 = 1 (lengths kept): correlations are kept
    assert theory.correlation_map(0.3, "linear", 1.0, 0.0, q=1.0) == pytest.approx(0.3)


def test_fixed_point_of_correlations_by_phase():
    assert theory.c_star("tanh", 1.0, 0.05) == 1.0  # ordered
    assert theory.c_star("tanh", 2.0, 0.0) == pytest.approx(0.0, abs=1e-9)  # odd, no bias
    c = theory.c_star("tanh", 2.5, 0.05)
    assert 0 < c < 1
    assert theory.correlation_map(c, "tanh", 2.5, 0.05) == pytest.approx(c, abs=1e-9)


def test_depth_scale_diverges_at_the_boundary():
    ordered = theory.xi_c("tanh", 1.0, 0.05)
    assert ordered == pytest.approx(-1 / math.log(theory.chi1("tanh", 1.0, 0.05)))
    near = theory.xi_c("tanh", 1.74, 0.05)
    assert near > 10 * ordered
    assert theory.trainable_depth("tanh", 1.0, 0.05) == pytest.approx(6 * ordered)


def test_born_dead_bound():
    assert theory.p_alive_at_a_point(2, 3) == pytest.approx((3 / 4) ** 3)
    assert theory.p_born_dead_bound(1, 1) == pytest.approx(0.5)
    assert theory.p_born_dead_bound(5, 0) == 0.0
    assert theory.p_born_dead_bound(2, 200) == pytest.approx(1.0)


def test_glorot_over_he_scale():
    # square layers: Glorot's variance is half He's, per layer: 2^(-L/2)
    assert theory.relu_scale_ratio([10] * 4, [10] * 4) == pytest.approx(2.0 ** -2)
    # a (2 -> 10) layer: sqrt(2 / 12)
    assert theory.relu_scale_ratio([2], [10]) == pytest.approx(math.sqrt(2 / 12))


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation 'swish' unknown"):
        theory.chi1("swish", 1.0, 0.0)
