"""Statistics of the claims and the doctor: exact rate intervals, paired tests, corrections.

(First piece; the rest of the module is being written.)
"""

from statsmodels.stats.proportion import proportion_confint

CONFIDENCE = 0.95


def rate_interval(k, n, confidence=CONFIDENCE):
    """Exact (Clopper-Pearson) interval of a rate k/n; (nan, nan) for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    return float(low), float(high)
