"""Statistics of the claims and the doctor: exact rate intervals, paired tests, corrections.

A claim compares a "cause" arm with a "control" arm. The unit is one trained network;
replicate r of both arms shares data and initial-weight seeds, so binary outcomes
(collapsed or not) come in pairs, grouped in strata ("levels"). For pairs, ``b`` counts
cause-only collapses (1, 0), ``c`` control-only collapses (0, 1), and ``n`` all pairs.

Library code is used wherever it exists (statsmodels, scipy); the one hand-written piece
is Tango's score statistic for a paired difference of proportions (its interval, and the
difference and equivalence tests it gives), which no mainstream Python library offers. The
verdict rule built on these is `analysis.verdicts`.
"""

import math
from functools import lru_cache

import numpy as np
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

CONFIDENCE = 0.95
ALPHA = 0.05
MIN_RELATIVE = 0.5

MOVED = "moved as claimed"
MOVED_OTHER_WAY = "moved the other way"
DID_NOT_MOVE = "did not move"
NO_DATA = "no data"
MECHANISM_WORDS = (MOVED, MOVED_OTHER_WAY, DID_NOT_MOVE, NO_DATA)

def rate_interval(k, n, confidence=CONFIDENCE):
    """Exact (Clopper-Pearson) interval of a rate k/n; (nan, nan) for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    return float(low), float(high)


def paired_counts(cause, control):
    """Counts of a paired 2x2 table of 0/1 outcomes; pairs with a NaN on either side dropped.

    Args:
        cause: 0/1 outcomes of the cause networks (array-like, NaN allowed).
        control: 0/1 outcomes of the paired control networks, same length.

    Returns:
        Dict of ints: n, both (1, 1), cause_only (1, 0) = b, control_only (0, 1) = c,
        neither (0, 0).
    """
    x = np.asarray(cause, dtype=float).ravel()
    y = np.asarray(control, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"cause and control differ in length: {x.size} vs {y.size}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if not np.all(np.isin(x, (0.0, 1.0)) & np.isin(y, (0.0, 1.0))):
        raise ValueError("paired outcomes must be 0/1 (or NaN)")
    x, y = x.astype(bool), y.astype(bool)
    return {
        "n": int(x.size),
        "both": int(np.sum(x & y)),
        "cause_only": int(np.sum(x & ~y)),
        "control_only": int(np.sum(~x & y)),
        "neither": int(np.sum(~x & ~y)),
    }


def _tango_score(delta, b, c, n):
    """Tango's score statistic for H0: p_cause - p_control = delta (decreasing in delta)."""
    # Constrained ML estimate of the control-only cell probability (Tango 1998, eq. 3).
    w = -b - c + (2 * n - b + c) * delta
    p21 = (math.sqrt(max(w * w + 8 * n * c * delta * (1 - delta), 0.0)) - w) / (4 * n)
    var = n * (2 * p21 + delta * (1 - delta))
    num = b - c - n * delta
    if var <= 0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return num / math.sqrt(var)


@lru_cache(maxsize=65536)
def _tango_interval(b, c, n, confidence):
    """Cached Tango interval on float counts (see paired_effect_interval)."""
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    est = (b - c) / n
    edge = 1 - 1e-12
    if c >= n:  # every pair control-only: the effect is -1 and its lower limit too
        low = -1.0
    elif _tango_score(-edge, b, c, n) <= z:
        low = -1.0
    else:
        low = optimize.brentq(lambda d: _tango_score(d, b, c, n) - z, -edge, est, xtol=1e-10)
    if b >= n:  # every pair cause-only
        high = 1.0
    elif _tango_score(edge, b, c, n) >= -z:
        high = 1.0
    else:
        high = optimize.brentq(lambda d: _tango_score(d, b, c, n) + z, est, edge, xtol=1e-10)
    return est, float(low), float(high)


def paired_effect_interval(b, c, n, confidence=CONFIDENCE):
    """Paired effect (b - c) / n = rate_cause - rate_control with Tango's score interval.

    Tango's asymptotic score interval (Tango 1998, Stat Med 17:891-908; recommended by
    Fagerland, Lydersen & Laake 2014, Stat Med 33:2850-2875) inverts the score test of
    H0: delta = delta0 using the constrained ML variance. It needs only b, c and n, stays
    inside [-1, 1], and is not degenerate at b = c = 0: there it is
    +/- z^2 / (n + z^2) (about +/-0.114 at n = 30). At b = n it is
    [(n - z^2) / (n + z^2), 1].

    Args:
        b: pairs where only the cause network collapsed.
        c: pairs where only the control network collapsed.
        n: all pairs (b + c <= n).
        confidence: two-sided confidence level.

    Returns:
        (effect, low, high); all NaN when n = 0.
    """
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    if b < 0 or c < 0 or b + c > n:
        raise ValueError(f"need 0 <= b, c and b + c <= n (got b={b}, c={c}, n={n})")
    return _tango_interval(float(b), float(c), float(n), float(confidence))


def _normal_sf(z):
    return float(sps.norm.sf(z))


def difference_p(b, c, n):
    """Two-sided exact McNemar p of H0: effect = 0 (a binomial test of b among the b + c
    discordant pairs); 1.0 when b + c = 0.

    Exact rather than the score test at 0: with few discordant pairs the score test is
    liberal (b = 5, c = 0: 0.025 against the exact 0.0625), and Tarone's screen lets such
    tests in at the larger levels. The exact test is the more conservative of the two, so a
    difference it rejects at level a has a (1 - a) Tango interval that excludes 0.
    """
    if b + c == 0 or n == 0:
        return 1.0
    return float(sps.binomtest(int(b), int(b + c), 0.5).pvalue)


def equivalence_p(b, c, n, margin):
    """Two one-sided tests (TOST) of H0: |effect| >= margin, by Tango's score statistic.

    p = max(P(effect <= -margin), P(effect >= margin)) one-sided; a test at level a
    rejects exactly when the (1 - 2a) Tango interval lies inside (-margin, margin).
    1.0 without pairs.
    """
    if n == 0:
        return 1.0
    low_p = _normal_sf(_tango_score(-margin, float(b), float(c), float(n)))
    high_p = _normal_sf(-_tango_score(margin, float(b), float(c), float(n)))
    return max(low_p, high_p)


def min_difference_p(b, c):
    """Smallest p the difference test could give with b + c discordant pairs (all on one
    side): 2 / 2^(b + c). A test that cannot reach the level it would face can never reject
    (Tarone 1990)."""
    k = int(b + c)
    return 1.0 if k == 0 else min(1.0, 2.0 * 0.5**k)


def min_equivalence_p(n, margin):
    """Smallest p the equivalence test could give with n pairs (no discordant pair)."""
    return equivalence_p(0, 0, n, margin)


def mechanism_verdict(cause, control, direction, min_relative=MIN_RELATIVE, alpha=ALPHA):
    """Did a paired real-valued metric move as the claim says (Wilcoxon signed-rank)?

    Pairs with a non-finite value on either side are dropped and counted. The test is
    scipy's Wilcoxon signed-rank on cause - control (zero differences dropped; all-zero
    differences mean no move, p = 1). The relative effect is the median paired difference
    over a robust spread of the control: IQR / 1.349, else |median control|, else 1e-12.

    Args:
        cause: metric of the cause networks.
        control: metric of the paired control networks, same length.
        direction: "higher" or "lower", the move the claim predicts for the cause.
        min_relative: smallest |relative effect| that counts as a move.
        alpha: significance level.

    Returns:
        Dict word, median_cause, median_control, median_difference, relative_effect, p, n,
        n_nonfinite_cause, n_nonfinite_control.
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    x = np.asarray(cause, dtype=float).ravel()
    y = np.asarray(control, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"cause and control differ in length: {x.size} vs {y.size}")
    bad_x, bad_y = ~np.isfinite(x), ~np.isfinite(y)
    keep = ~(bad_x | bad_y)
    x, y = x[keep], y[keep]
    nan = float("nan")
    out = {
        "word": NO_DATA,
        "median_cause": nan,
        "median_control": nan,
        "median_difference": nan,
        "relative_effect": nan,
        "p": nan,
        "n": int(x.size),
        "n_nonfinite_cause": int(bad_x.sum()),
        "n_nonfinite_control": int(bad_y.sum()),
    }
    if x.size == 0:
        return out
    d = x - y
    med_d = float(np.median(d))
    spread = float(sps.iqr(y, scale="normal"))
    if spread <= 0:
        spread = abs(float(np.median(y))) or 1e-12
    p = 1.0 if not np.any(d != 0) else float(sps.wilcoxon(d, zero_method="wilcox").pvalue)
    rel = med_d / spread
    word = DID_NOT_MOVE
    if p < alpha and abs(rel) >= min_relative and med_d != 0:
        claimed = 1.0 if direction == "higher" else -1.0
        word = MOVED if np.sign(med_d) == claimed else MOVED_OTHER_WAY
    out.update(
        word=word,
        median_cause=float(np.median(x)),
        median_control=float(np.median(y)),
        median_difference=med_d,
        relative_effect=float(rel),
        p=p,
    )
    return out
