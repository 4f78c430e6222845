"""Tests of analysis.stats: hand-computed values and simulations against known truth."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from analysis import stats as st

Z = float(sps.norm.ppf(0.975))


def _joint_cells(p_cause, p_control, rho):
    """Cell probabilities (both, cause_only, control_only, neither) of correlated pairs."""
    both = p_cause * p_control + rho * math.sqrt(
        p_cause * (1 - p_cause) * p_control * (1 - p_control)
    )
    cells = np.array([both, p_cause - both, p_control - both, 1 - p_cause - p_control + both])
    assert np.all(cells >= 0)
    return cells


def _draw_pairs(rng, n, cells, size):
    """Simulated (b, c) counts of `size` experiments of n pairs each."""
    draws = rng.multinomial(n, cells, size=size)
    return draws[:, 1], draws[:, 2]


def _interval_coverage(b, c, n, truth):
    """Share of simulated (b, c) whose paired interval covers the true effect."""
    pairs, counts = np.unique(np.stack([b, c], axis=1), axis=0, return_counts=True)
    hit = 0
    for (bb, cc), k in zip(pairs, counts):
        _, low, high = st.paired_effect_interval(int(bb), int(cc), n)
        hit += k * (low <= truth <= high)
    return hit / counts.sum()


# ---------------------------------------------------------------- hand-computed values


def test_rate_interval_hand_values():
    low, high = st.rate_interval(0, 5)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.025 ** (1 / 5), abs=1e-9)  # = 0.5218
    assert high == pytest.approx(0.5218, abs=1e-4)
    assert all(math.isnan(v) for v in st.rate_interval(0, 0))


def test_paired_counts_literal():
    cause = [1, 1, 0, 0, 1, np.nan, 1, 0]
    control = [1, 0, 1, 0, 0, 1, np.nan, 0]
    assert st.paired_counts(cause, control) == {
        "n": 6,
        "both": 1,
        "cause_only": 2,
        "control_only": 1,
        "neither": 2,
    }
    assert st.paired_counts(np.array([True, False]), np.array([False, False]))["cause_only"] == 1
    with pytest.raises(ValueError):
        st.paired_counts([1, 0], [1])
    with pytest.raises(ValueError):
        st.paired_counts([2, 0], [1, 0])


def test_paired_interval_published_and_closed_forms():
    # Fagerland, Lydersen & Laake (2014) Table V, Bentur et al. data: Tango (-0.517, -0.026)
    effect, low, high = st.paired_effect_interval(1, 7, 21)
    assert effect == pytest.approx(-6 / 21)
    assert (round(low, 3), round(high, 3)) == (-0.517, -0.026)
    # b = c = 0: +/- z^2 / (n + z^2), not [0, 0], shrinking with n
    widths = []
    for n in (10, 30, 100):
        effect, low, high = st.paired_effect_interval(0, 0, n)
        assert effect == 0.0
        assert high == pytest.approx(Z**2 / (n + Z**2), abs=1e-6)
        assert low == pytest.approx(-high, abs=1e-9)
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2] > 0
    # b = n: [(n - z^2) / (n + z^2), 1]; c = n mirrored
    assert st.paired_effect_interval(30, 0, 30) == pytest.approx(
        (1.0, (30 - Z**2) / (30 + Z**2), 1.0), abs=1e-6
    )
    assert st.paired_effect_interval(0, 30, 30) == pytest.approx(
        (-1.0, -1.0, -(30 - Z**2) / (30 + Z**2)), abs=1e-6
    )
    assert all(math.isnan(v) for v in st.paired_effect_interval(0, 0, 0))
    with pytest.raises(ValueError):
        st.paired_effect_interval(20, 20, 30)


# ---------------------------------------------------------------- coverage by simulation


@pytest.mark.parametrize("n", [10, 30, 100])
@pytest.mark.parametrize("p", [0.02, 0.1, 0.5])
def test_rate_interval_coverage(n, p):
    rng = np.random.default_rng(1000 * n + int(100 * p))
    k = rng.binomial(n, p, size=4000)
    values, counts = np.unique(k, return_counts=True)
    covered = sum(
        cnt * (lo <= p <= hi)
        for v, cnt in zip(values, counts)
        for lo, hi in [st.rate_interval(v, n)]
    )
    assert covered / counts.sum() >= 0.93


PAIRED_SETTINGS = [
    (0.5, 0.5, 0.0),  # no effect, independent
    (0.1, 0.1, 0.5),  # no effect, rare and correlated
    (0.3, 0.1, 0.0),  # moderate effect
    (0.7, 0.2, 0.3),  # large effect, correlated
    (0.05, 0.02, 0.0),  # rare events
    (0.2, 0.6, 0.4),  # negative effect, near the largest possible correlation
]


@pytest.mark.parametrize("n", [30, 100])
@pytest.mark.parametrize("p_cause,p_control,rho", PAIRED_SETTINGS)
def test_paired_interval_coverage(n, p_cause, p_control, rho):
    rng = np.random.default_rng(
        [n, round(1000 * p_cause), round(1000 * p_control), round(10 * rho)]
    )
    # 20000 draws (SE ~0.17%): the score interval runs a little under 95% in some cells
    # (exact coverage 93.6% at n=100, 0.05 vs 0.02), so 4000 draws would be a coin toss
    b, c = _draw_pairs(rng, n, _joint_cells(p_cause, p_control, rho), 20000)
    assert _interval_coverage(b, c, n, p_cause - p_control) >= 0.93


# ---------------------------------------------------------------- verdict calibration


# ---------------------------------------------------------------- mechanism verdict


def test_mechanism_moved_as_claimed_and_other_way():
    rng = np.random.default_rng(3)
    control = rng.normal(0.3, 0.1, 25)
    cause = control + 0.2 + rng.normal(0, 0.03, 25)  # shift of ~1.5 control spreads
    up = st.mechanism_verdict(cause, control, "higher")
    assert up["word"] == st.MOVED
    assert up["n"] == 25 and up["p"] < 0.001
    assert up["median_difference"] == pytest.approx(np.median(cause - control))
    assert up["relative_effect"] == pytest.approx(
        up["median_difference"] / sps.iqr(control, scale="normal")
    )
    assert st.mechanism_verdict(cause, control, "lower")["word"] == st.MOVED_OTHER_WAY
    with pytest.raises(ValueError):
        st.mechanism_verdict(cause, control, "up")


def test_mechanism_did_not_move():
    rng = np.random.default_rng(4)
    control = rng.normal(0.3, 0.1, 25)
    same = st.mechanism_verdict(control + rng.normal(0, 0.05, 25), control, "higher")
    assert same["word"] == st.DID_NOT_MOVE
    # significant but tiny relative to the control's spread
    tiny = st.mechanism_verdict(control + 0.01 + rng.normal(0, 0.001, 25), control, "higher")
    assert tiny["p"] < 0.05 and tiny["word"] == st.DID_NOT_MOVE
    zeros = st.mechanism_verdict(np.zeros(10), np.zeros(10), "higher")
    assert zeros["word"] == st.DID_NOT_MOVE and zeros["p"] == 1.0
    assert zeros["relative_effect"] == 0.0


def test_mechanism_false_moves_are_rare_under_the_null():
    rng = np.random.default_rng(5)
    words = [
        st.mechanism_verdict(rng.normal(0, 1, 20), rng.normal(0, 1, 20), "higher")["word"]
        for _ in range(300)
    ]
    assert np.mean(np.array(words) != st.DID_NOT_MOVE) <= 0.05


def test_mechanism_counts_nonfinite_values():
    cause = np.array([0.9, np.nan, 0.8, np.inf, 0.7, 0.95, 0.85, 0.9, 0.8])
    control = np.array([0.1, 0.2, np.nan, np.nan, 0.1, 0.15, 0.05, 0.1, 0.2])
    out = st.mechanism_verdict(cause, control, "higher")
    assert out["n_nonfinite_cause"] == 2
    assert out["n_nonfinite_control"] == 2
    assert out["n"] == 6
    assert out["word"] == st.MOVED
    empty = st.mechanism_verdict([np.nan, 1.0], [0.0, np.inf], "lower")
    assert empty["word"] == st.NO_DATA and empty["n"] == 0
    assert (empty["n_nonfinite_cause"], empty["n_nonfinite_control"]) == (1, 1)
