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


def test_rai_scale_solves_the_second_moment_condition():
    # Beta(2, 1): E[xi] = 2/3, E[xi^2] = 1/2, so c^2/2 + a c + 1/2 = 1 with a = (4/3)/sqrt(2 pi):
    # c = sqrt(1 + a^2) - a
    assert theory.beta_moments(2.0, 1.0) == pytest.approx((2 / 3, 1 / 2))
    a = 4 / 3 / math.sqrt(2 * math.pi)
    assert theory.rai_scale() == pytest.approx(math.sqrt(1 + a * a) - a, rel=1e-12)
    assert round(theory.rai_scale(), 4) == 0.6007  # Lu et al.'s constant
    assert theory.rai_second_moment_bound(theory.rai_scale()) == pytest.approx(1.0)


def test_rai_draw_moments_by_hand():
    import numpy as np

    from experiments.variants.init import RAI_SIGMA, RandomizedAsymmetric, rai_draw

    fan_in, units = 4, 200_000
    v = rai_draw(fan_in, units, seed=3).astype(np.float64)
    assert v.shape == (fan_in + 1, units)  # the bias is the last row of each unit's column
    sigma2 = RAI_SIGMA ** 2 / (fan_in + 1)  # 0.0721670
    # per entry: Beta(2, 1) with probability 1/5, else N(0, sigma2)
    mean = (2 / 3) / 5  # 0.13333
    second = (1 / 2 + 4 * sigma2) / 5  # 0.157734
    positive = (1 + 4 * 0.5) / 5  # 0.6: the Beta entry always, a Gaussian one half the time
    n = v.size
    assert v.mean() == pytest.approx(mean, abs=5 * math.sqrt(second / n))
    assert (v ** 2).mean() == pytest.approx(second, abs=5 * math.sqrt(0.05 / n))
    assert (v > 0).mean() == pytest.approx(positive, abs=5 * math.sqrt(0.24 / n))
    # the bias is as likely as any weight to be the asymmetric entry
    assert v[-1].mean() == pytest.approx(mean, abs=5 * math.sqrt(second / units))
    # exactly one entry per column exceeds what the others can reach only via the Beta draw:
    # the column sum's mean is E[xi] = 2/3 (Gaussians average 0)
    assert v.sum(axis=0).mean() == pytest.approx(2 / 3, abs=5 * math.sqrt(0.4 / units))
    # kernel and bias initializers cut the same draw
    kernel = RandomizedAsymmetric(7, "kernel").draw((fan_in, 10))
    bias = RandomizedAsymmetric(7, "bias", fan_in).draw((10,))
    np.testing.assert_array_equal(np.vstack([kernel, bias[None]]), rai_draw(fan_in, 10, 7))


def test_rai_respects_its_second_moment_bound():
    import numpy as np

    from experiments.variants.init import rai_draw

    x_tilde = np.array([1.0, 2.0, 0.0, 3.0, 1.0])  # 4 inputs >= 0 and the bias's constant 1
    z = x_tilde @ rai_draw(4, 400_000, seed=11).astype(np.float64)
    measured = np.mean(np.maximum(z, 0.0) ** 2)
    bound = theory.rai_second_moment_bound(0.6007) * (x_tilde @ x_tilde) / 5  # 2.99984
    assert measured <= bound
    assert measured > 0.5 * bound  # a bound, not far off
