"""What theory predicts for networks at initialization, in plain numpy.

Mean-field signal propagation (Poole et al. 2016, "Exponential expressivity in deep neural
networks through transient chaos"; Schoenholz et al. 2017, "Deep information propagation"):
a wide network with weights N(0, sigma_w^2 / fan_in) and biases N(0, sigma_b^2) maps the
squared length q of a pre-activation and the correlation c of two inputs' pre-activations
layer by layer,

    q' = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2
    c' = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*,
         u1 = sqrt(q*) z1, u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2),

z, z1, z2 standard normal. q converges to q*; c = 1 is a fixed point whose stability is
chi1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]: ordered phase (chi1 < 1, every pair of inputs ends
up perfectly correlated: the same output for every input) or chaotic (chi1 > 1, c -> c* < 1).
Correlations approach their fixed point as exp(-l / xi_c), xi_c = -1 / ln(chi_c*), chi_c* =
sigma_w^2 E[phi'(u1) phi'(u2)] at c* (= chi1 in the ordered phase); networks train to depth
about 6 xi_c.

ReLU networks born dead (Lu, Shin, Su & Karniadakis 2020): with symmetric weights and zero
biases, each layer of width n is dead at a given input with probability 2^-n (all n
pre-activations <= 0), independently of the layers before; the network is alive there with
probability (1 - 2^-n)^L. Their randomized asymmetric initialization (RAI) draws, per unit,
one entry of its weights-and-bias row from a positive distribution P (Beta(2, 1)) and the
others from N(0, sigma^2), sigma = rai_scale() / sqrt(fan_in + 1): see rai_second_moment_bound.

Expectations over Gaussians use Gauss-Hermite quadrature (GAUSS_POINTS nodes; product rule in
two dimensions). Example:
    >>> round(critical_sigma_w2("tanh", 0.0), 6)
    1.0
"""

import functools
import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

GAUSS_POINTS = 200  # even: no node at 0, where ReLU's derivative jumps
GAUSS2_POINTS = 100  # per dimension of the two-dimensional (correlation) integrals
Q_CAP = 1e12  # q beyond this counts as diverged (inf)
Q_FLOOR = 1e-30  # q* = 0 is evaluated as this: the limit of phi' there (ReLU's is 1/2)
TOL = 1e-13

_NODES, _WEIGHTS = hermegauss(GAUSS_POINTS)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)  # expectations under N(0, 1)
_NODES2, _WEIGHTS2 = hermegauss(GAUSS2_POINTS)
_WEIGHTS2 = _WEIGHTS2 / math.sqrt(2 * math.pi)

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# name -> (phi, phi'), numpy, as Keras defines them (experiments.variants.activation names)
ACTIVATIONS = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "linear": (lambda x: x, np.ones_like),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
            lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))),
    "selu": (lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0))),
             lambda x: _SELU_SCALE * np.where(x > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(x, 0)))),
}


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"theory: activation {name!r} unknown; allowed: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def gauss(f, q):
    """E[f(sqrt(q) z)], z ~ N(0, 1)."""
    return float(np.sum(_WEIGHTS * f(math.sqrt(q) * _NODES)))


def gauss2(f, g, q, c):
    """E[f(u1) g(u2)] for (u1, u2) centred Gaussian, variances q, correlation c."""
    z1, z2 = _NODES2[:, None], _NODES2[None, :]
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(max(0.0, 1.0 - c * c)) * z2)
    return float(np.sum(_WEIGHTS2[:, None] * _WEIGHTS2[None, :] * f(u1) * g(u2)))


def length_map(q, activation, sigma_w2, sigma_b2):
    """q' = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2: the next layer's pre-activation length."""
    phi, _ = _activation(activation)
    return sigma_w2 * gauss(lambda x: phi(x) ** 2, q) + sigma_b2


@functools.lru_cache(maxsize=4096)
def q_star(activation, sigma_w2, sigma_b2):
    """The stable fixed point of length_map: 0, a positive length, or inf (q grows without
    bound, e.g. ReLU with sigma_w^2 > 2).

    Found by bisection of h(q) = length_map(q) - q between a length where h > 0 and one where
    h < 0 (iterating the map converges too slowly near the order-to-chaos boundary). With
    h(0) = 0 (zero bias, phi(0) = 0) a positive fixed point exists only if h > 0 just above 0.
    """
    def h(q):
        return length_map(q, activation, sigma_w2, sigma_b2) - q

    low = 0.0
    if h(low) <= 0.0:
        low = 1e-9
        if h(low) <= 0.0:
            return 0.0
    high = max(1.0, 2.0 * sigma_b2)
    while h(high) >= 0.0:
        high *= 2.0
        if high > Q_CAP:
            return math.inf
    return _bisect(lambda q: h(q) > 0.0, low, high, 200, rtol=TOL)


def _bisect(below, low, high, iterations, rtol=0.0, atol=0.0):
    """The midpoint of the bracket [low, high] of the point where `below(x)` turns false,
    halved `iterations` times or until high - low <= atol + rtol * high."""
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        if below(mid):
            low = mid
        else:
            high = mid
        if high - low <= atol + rtol * high:
            break
    return 0.5 * (low + high)


def _finite_q(q):
    return min(max(q, Q_FLOOR), Q_CAP)


@functools.lru_cache(maxsize=4096)
def chi1(activation, sigma_w2, sigma_b2):
    """sigma_w^2 E[phi'(sqrt(q*) z)^2]: the slope of the correlation map at c = 1."""
    _, dphi = _activation(activation)
    q = _finite_q(q_star(activation, sigma_w2, sigma_b2))
    return sigma_w2 * gauss(lambda x: dphi(x) ** 2, q)


def _relu_pair(c):
    """ReLU's two-point expectations in closed form (the arc-cosine kernels of Cho & Saul):
    E[relu(u1) relu(u2)] / q and E[relu'(u1) relu'(u2)] at correlation c; quadrature
    converges slowly across the kink."""
    c = min(1.0, max(-1.0, c))
    angle = math.acos(c)
    return (math.sqrt(1.0 - c * c) + (math.pi - angle) * c) / (2 * math.pi), \
        (math.pi - angle) / (2 * math.pi)


def correlation_map(c, activation, sigma_w2, sigma_b2, q=None):
    """c' of two inputs whose pre-activations have length q (default q*) and correlation c."""
    phi, _ = _activation(activation)
    q = _finite_q(q_star(activation, sigma_w2, sigma_b2) if q is None else q)
    if activation == "relu":
        return (sigma_w2 * q * _relu_pair(c)[0] + sigma_b2) / q
    return (sigma_w2 * gauss2(phi, phi, q, c) + sigma_b2) / q


@functools.lru_cache(maxsize=4096)
def c_star(activation, sigma_w2, sigma_b2):
    """The stable fixed point of correlation_map: 1 in the ordered phase (chi1 <= 1), else
    the c* < 1 where the map crosses the diagonal from above (bisection on [0, 1))."""
    if chi1(activation, sigma_w2, sigma_b2) <= 1.0:
        return 1.0
    q = _finite_q(q_star(activation, sigma_w2, sigma_b2))

    def f(c):
        return correlation_map(c, activation, sigma_w2, sigma_b2, q) - c

    low = 0.0
    if f(low) <= 0.0:
        return 0.0
    # just below 1 the map lies under the diagonal (its slope there is chi1 > 1); the first
    # candidate far enough from 1 for the quadrature to tell
    high = next((1.0 - gap for gap in (1e-6, 1e-4, 1e-2) if f(1.0 - gap) < 0.0), None)
    if high is None:
        return 1.0
    return _bisect(lambda c: f(c) > 0.0, low, high, 100, atol=1e-13)


def chi_c(activation, sigma_w2, sigma_b2, c):
    """sigma_w^2 E[phi'(u1) phi'(u2)] at correlation c (and q*): the map's slope at c."""
    _, dphi = _activation(activation)
    if activation == "relu":
        return sigma_w2 * _relu_pair(c)[1]
    q = _finite_q(q_star(activation, sigma_w2, sigma_b2))
    return sigma_w2 * gauss2(dphi, dphi, q, c)


@functools.lru_cache(maxsize=4096)
def xi_c(activation, sigma_w2, sigma_b2):
    """Depth scale of correlations: -1 / ln chi1 in the ordered phase, -1 / ln chi_c* in the
    chaotic one (inf at the order-to-chaos boundary)."""
    slope = chi1(activation, sigma_w2, sigma_b2)
    if slope > 1.0:  # chaotic: c* < 1
        slope = chi_c(activation, sigma_w2, sigma_b2, c_star(activation, sigma_w2, sigma_b2))
    if slope <= 0.0:
        return 0.0
    return math.inf if slope >= 1.0 else -1.0 / math.log(slope)


@functools.lru_cache(maxsize=256)
def critical_sigma_w2(activation, sigma_b2, low=0.05, high=100.0):
    """The sigma_w^2 where chi1 = 1 (order to chaos) for this sigma_b^2, by bisection."""
    def excess(s):
        return chi1(activation, s, sigma_b2) - 1.0

    if excess(low) > 0 or excess(high) < 0:
        raise ValueError(f"theory: chi1 = 1 not bracketed in [{low}, {high}] for {activation}")
    return _bisect(lambda s: excess(s) <= 0, low, high, 100, rtol=1e-10)


def trainable_depth(activation, sigma_w2, sigma_b2, factor=6.0):
    """Schoenholz et al.'s trainability limit, factor * xi_c layers."""
    return factor * xi_c(activation, sigma_w2, sigma_b2)


def p_alive_at_a_point(width, depth):
    """(1 - 2^-width)^depth: a zero-bias, symmetric-weight ReLU network is alive (no layer
    with every unit off) at one given input."""
    return (1.0 - 2.0 ** -width) ** depth


def p_born_dead_bound(width, depth):
    """1 - (1 - 2^-width)^depth: dead at one input; an upper bound on P(constant function),
    which approaches it as depth grows."""
    return 1.0 - p_alive_at_a_point(width, depth)


def beta_moments(alpha, beta):
    """(E[xi], E[xi^2]) of xi ~ Beta(alpha, beta)."""
    mean = alpha / (alpha + beta)
    return mean, mean * (alpha + 1.0) / (alpha + beta + 1.0)


def rai_second_moment_bound(c, alpha=2.0, beta=1.0):
    """The factor B(c) in E[relu(z)^2] <= B(c) |x~|^2 / (fan_in + 1) for one RAI unit.

    The unit's pre-activation is z = xi x~_k + G: x~ = (x, 1) its inputs (>= 0 after a ReLU)
    and the constant 1 of the bias, k uniform over the fan_in + 1 positions, xi ~ Beta(alpha,
    beta) >= 0, G ~ N(0, sigma^2 sum_{s != k} x~_s^2), sigma = c / sqrt(fan_in + 1). Since
    relu(xi x~_k + G) <= xi x~_k + relu(G),
        E[relu(z)^2] <= sigma^2 S / 2 + 2 E[xi] x~_k sigma sqrt(S) / sqrt(2 pi) + E[xi^2] x~_k^2
    (S = sum_{s != k} x~_s^2 <= |x~|^2), and averaging over k (E_k x~_k <= |x~| / sqrt(fan_in +
    1), E_k x~_k^2 = |x~|^2 / (fan_in + 1)) gives B(c) = c^2 / 2 + 2 E[xi] c / sqrt(2 pi) +
    E[xi^2]. B = 1 keeps the mean square of a unit's output at most that of its inputs, as He's
    scale keeps it equal for symmetric weights.
    """
    mean, second = beta_moments(alpha, beta)
    return c * c / 2.0 + 2.0 * mean * c / math.sqrt(2.0 * math.pi) + second


def rai_scale(alpha=2.0, beta=1.0):
    """The c > 0 with rai_second_moment_bound(c) = 1: sigma = c / sqrt(fan_in + 1).

    For Beta(2, 1) (E[xi] = 2/3, E[xi^2] = 1/2) c = 0.600747..., the 0.6007 of Lu et al.'s
    numerical examples.
    """
    mean, second = beta_moments(alpha, beta)
    if second >= 1.0:
        raise ValueError("theory: E[xi^2] >= 1 leaves no room for the Gaussian entries")
    a = 2.0 * mean / math.sqrt(2.0 * math.pi)
    return -a + math.sqrt(a * a + 2.0 * (1.0 - second))  # root of c^2/2 + a c + second - 1


def relu_scale_ratio(fan_ins, fan_outs):
    """Output scale of a zero-bias ReLU network under Glorot over He initialization.

    Glorot's weight variance is 2 / (fan_in + fan_out), He's 2 / fan_in; the second moment
    of a ReLU layer's output is proportional to its weight variance (exactly, in
    expectation), so the output's root mean square shrinks by
    prod sqrt(fan_in / (fan_in + fan_out)): 2^(-L/2) for L square layers.
    """
    ratios = [a / (a + b) for a, b in zip(fan_ins, fan_outs, strict=True)]
    return float(math.sqrt(np.prod(ratios)))
