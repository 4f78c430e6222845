"""The verdict rule of the claims, written once: one family of tests, one word per level.

Every evaluable level of every claim of a sweep contributes up to two tests of its paired
effect (cause rate - control rate over matched pairs of networks):
- the difference test, H0: effect = 0 (exact McNemar, two-sided);
- the equivalence test (TOST), H0: |effect| >= margin (the same statistic at +-margin).
Both kinds go into one Holm family, so the chance of any wrong verdict word in the sweep
(an effect called where there is none, or "no effect" called where there is one of at least the
margin) is at most alpha. A test that could not reject (its smallest attainable p exceeds
alpha / K, Tarone's K: too few discordant pairs for the difference test, too few pairs for the
equivalence test; Tarone 1990) is left out of the family, so it does not dilute the others.

Each test is carried out at the level Holm's step-down gives it, and the interval shown is
Tango's at exactly that level: (1 - a) for the difference test, (1 - 2a) for the equivalence
test. An equivalence test rejects exactly when its interval lies inside the margin; a
difference the exact test rejects has an interval that excludes 0 (the exact test is the more
conservative: at few discordant pairs an interval may exclude 0 where the test does not).
"""

import math
from dataclasses import dataclass

import numpy as np

from analysis import stats

ALPHA = stats.ALPHA
MARGIN = 0.10  # default equivalence margin: smallest effect that counts (a preset may state it)

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
NOT_SUPPORTED = "not supported"
INCONCLUSIVE = "inconclusive"
NOT_EVALUABLE = "not evaluable"
MIXED = "mixed"
LEVEL_WORDS = (SUPPORTED, CONTRADICTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_EVALUABLE)
CLAIM_WORDS = (SUPPORTED, MIXED, NOT_SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_EVALUABLE)

_MAX_PAIRS = 10**6


@dataclass(frozen=True)
class Test:
    """One test of the family: which level it belongs to, its kind and its p."""

    level: int  # index of the level in the caller's list
    kind: str  # "difference" or "equivalence"
    p: float
    min_p: float  # smallest p it could give (Tarone's screen)


@dataclass(frozen=True)
class Decision:
    """What Holm's step-down made of one test."""

    in_family: bool
    rejected: bool
    alpha: float  # the level it was tested at (out of the family: Tarone's alpha / K)
    p_holm: float  # Holm-adjusted p (NaN out of the family)


def level_tests(level, b, c, n, margin=MARGIN):
    """The two tests of one level from its paired counts (none without pairs)."""
    if n == 0:
        return []
    return [
        Test(level, "difference", stats.difference_p(b, c, n), stats.min_difference_p(b, c)),
        Test(level, "equivalence", stats.equivalence_p(b, c, n, margin),
             stats.min_equivalence_p(n, margin)),
    ]


def tarone_k(tests, alpha=ALPHA):
    """Tarone's K: the smallest number such that at most K tests could reach p <= alpha / K
    (Tarone 1990; with Holm's step-down after it, Hommel & Krummenauer 1998)."""
    smallest = sorted(t.min_p for t in tests)
    for k in range(1, len(tests) + 1):
        if sum(p <= alpha / k for p in smallest) <= k:
            return k
    return max(len(tests), 1)


def tarone_family(tests, alpha=ALPHA):
    """Indices of the tests Tarone's screen keeps: those that could reach alpha / K. A test
    that could not cannot be rejected, so leaving it out costs nothing and spares the others
    its share of alpha."""
    k = tarone_k(tests, alpha)
    return [i for i, t in enumerate(tests) if t.min_p <= alpha / k]


def holm_family(tests, alpha=ALPHA):
    """Holm's step-down over the tests Tarone's screen keeps (see `tarone_family`).

    Returns:
        One Decision per test, in the order given. A test ranked i (0-based, by p) among m
        is tested at alpha / (m - i) until the first that fails; that one and every later one
        keep the level of the first failure (they would need at least that to reject).
    """
    inside = tarone_family(tests, alpha)
    m = len(inside)
    screen = alpha / tarone_k(tests, alpha)  # what a test left out would have had to reach
    out = [Decision(False, False, screen, math.nan) for _ in tests]
    order = sorted(inside, key=lambda i: tests[i].p)
    running, stopped = 0.0, None
    for rank, i in enumerate(order):
        level = alpha / (m - rank)
        running = max(running, min(1.0, (m - rank) * tests[i].p))
        if stopped is None and tests[i].p > level:
            stopped = level
        used = level if stopped is None else stopped
        out[i] = Decision(True, stopped is None, used, running)
    return out


def level_word(effect, difference, equivalence):
    """The verdict word of one evaluable level from its two decisions.

    supported / contradicted: the difference test rejects (effect > 0 / < 0) and the
    equivalence test does not; not supported: the equivalence test rejects (the effect is
    smaller than the margin, whether or not it is zero); inconclusive: neither rejects.
    """
    if equivalence is not None and equivalence.rejected:
        return NOT_SUPPORTED
    if difference is not None and difference.rejected:
        return SUPPORTED if effect > 0 else CONTRADICTED
    return INCONCLUSIVE


def interval(b, c, n, decision, kind):
    """Tango's interval at the level the test was carried out, or for a test left out of
    the family at the level it could not reach (NaNs without pairs)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    a = decision.alpha if decision is not None else ALPHA
    confidence = 1 - 2 * a if kind == "equivalence" else 1 - a
    return stats.paired_effect_interval(b, c, n, confidence)


def _resolves(b_rate, c_rate, size, alpha, margin):
    b, c = b_rate * size, c_rate * size
    if stats.equivalence_p(b, c, size, margin) <= alpha:
        return True
    return stats.difference_p(round(b), round(c), size) <= alpha


def pairs_needed(b, c, n, alpha, margin=MARGIN):
    """Pairs that would likely resolve an inconclusive level at the level Holm gave it.

    The discordant rates b/n and c/n are assumed to stay as observed; the answer is the
    smallest N at which either test would reject at `alpha` with counts (b N/n, c N/n).
    No discordance (or no pairs) is treated as the most favourable case for equivalence.

    Returns:
        Total pairs (>= n) as an int, capped at 10**6.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    b_rate, c_rate = (b / n, c / n) if n > 0 else (0.0, 0.0)
    lo, hi = 1, 1
    while not _resolves(b_rate, c_rate, hi, alpha, margin):
        if hi >= _MAX_PAIRS:
            return _MAX_PAIRS
        lo, hi = hi, min(hi * 2, _MAX_PAIRS)
    while lo < hi:
        mid = (lo + hi) // 2
        if _resolves(b_rate, c_rate, mid, alpha, margin):
            hi = mid
        else:
            lo = mid + 1
    return int(max(hi, n))


def claim_word(level_words):
    """The claim's word from its levels' words.

    Not-evaluable levels are set aside; of the rest: all supported, all not supported, all
    contradicted or all inconclusive give that word; any other mixture gives 'mixed' (the
    report says which levels hold what). No evaluable level: 'not evaluable'.
    """
    words = [w for w in level_words if w != NOT_EVALUABLE]
    if not words:
        return NOT_EVALUABLE
    distinct = set(words)
    if len(distinct) == 1:
        return words[0]
    return MIXED


def word_counts(level_words):
    """'3 supported, 2 not supported, 1 not evaluable' (words in LEVEL_WORDS order)."""
    words = list(level_words)
    return ", ".join(f"{words.count(w)} {w}" for w in LEVEL_WORDS if w in words)


def simulate_family(cells, n_pairs, runs, rng, margin=MARGIN, alpha=ALPHA):
    """Words of `runs` simulated sweeps: level j draws n_pairs[j] pairs from cells[j].

    Args:
        cells: (levels, 4) cell probabilities (both, cause only, control only, neither).
        n_pairs: pairs per level.
        runs: simulated sweeps.
        rng: numpy Generator.

    Returns:
        (runs, levels) array of level words.
    """
    cells = np.asarray(cells, dtype=float)
    words = np.empty((runs, len(cells)), dtype=object)
    draws = [rng.multinomial(n, p, size=runs) for n, p in zip(n_pairs, cells, strict=True)]
    for r in range(runs):
        tests = []
        counts = []
        for j, n in enumerate(n_pairs):
            b, c = int(draws[j][r, 1]), int(draws[j][r, 2])
            counts.append((b, c))
            tests += level_tests(j, b, c, n, margin)
        decisions = holm_family(tests, alpha)
        by_level = {}
        for t, d in zip(tests, decisions, strict=True):
            by_level.setdefault(t.level, {})[t.kind] = d
        for j, (b, c) in enumerate(counts):
            got = by_level.get(j, {})
            words[r, j] = level_word(b - c, got.get("difference"), got.get("equivalence"))
    return words
