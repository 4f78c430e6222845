"""Generated sets for convolutional and recurrent networks: images, a series, token ids.

Every draw comes from the seed's rng (see options: the generator interface).
"""

import numpy as np

from experiments.variants.dataset.options import option

SHAPE_CLASSES = ("square", "disk", "triangle", "cross")
SHAPE_SIZE = 16  # pixels per side
SHAPE_NOISE = 0.15  # pixel noise sd; shapes are 0.6..1 bright on a 0 background

SINE_PERIODS = (40.0, 15.0, 6.0)  # steps
SINE_AMPLITUDES = (1.0, 0.5, 0.25)
SINE_NOISE = 0.1  # sd of the noise added to every step

TOKEN_CLASSES = 4
KEYWORDS = 3  # keyword ids per class: class k owns ids 1 + 3k .. 3 + 3k; 0 is padding
FIRST_FILLER = 1 + TOKEN_CLASSES * KEYWORDS  # ids FIRST_FILLER .. vocab - 1 are filler
MIN_SEQ_LEN = 10  # the shortest row (seq_len / 2) then holds the most keywords (5)


@option("shapes", "image", "multiclass")
def shapes(n, rng):
    """(n, 16, 16, 1) images of one filled shape each, class i = SHAPE_CLASSES[i] (balanced:
    row r has class r % 4): half-size 3..6 pixels, centre anywhere it fits (sub-pixel),
    brightness 0.6..1, plus N(0, 0.15^2) noise on every pixel."""
    y = np.arange(n) % len(SHAPE_CLASSES)
    r = rng.uniform(3, 6, size=n)
    cy, cx = (rng.uniform(r, SHAPE_SIZE - 1 - r)[:, None, None] for _ in range(2))
    brightness = rng.uniform(0.6, 1.0, size=n)[:, None, None]
    r = r[:, None, None]
    rows, cols = np.mgrid[0:SHAPE_SIZE, 0:SHAPE_SIZE]
    dy, dx = np.abs(rows - cy), np.abs(cols - cx)
    masks = np.stack([
        (dy <= r) & (dx <= r),  # square
        dy**2 + dx**2 <= r**2,  # disk
        (dy <= r) & (dx <= (rows - cy + r) / 2),  # triangle, apex up, base 2r
        ((dy <= r) & (dx <= 1)) | ((dx <= r) & (dy <= 1)),  # cross, bars 3 pixels wide
    ])
    x = brightness * masks[y, np.arange(n)] + rng.normal(0, SHAPE_NOISE, (n, *rows.shape))
    return x[..., None], y, "multiclass"


@option("sine_forecast", "sequence", "regression", window=16)
def sine_forecast(n, rng, window=16):
    """(n, window, 1) windows of s(t) = sum_k a_k sin(2 pi t / P_k + phi_k) + N(0, 0.1^2)
    noise (SINE_PERIODS, SINE_AMPLITUDES; phases phi_k drawn for each window); the target is
    the window's next value s(window)."""
    periods, amplitudes = np.array(SINE_PERIODS), np.array(SINE_AMPLITUDES)
    phases = rng.uniform(0, 2 * np.pi, size=(n, 1, len(periods)))
    t = np.arange(window + 1)[None, :, None]
    s = (amplitudes * np.sin(2 * np.pi * t / periods + phases)).sum(-1)
    s = s + rng.normal(0, SINE_NOISE, size=s.shape)
    return s[:, :window, None], s[:, window], "regression"


@option("tokens", "tokens", "multiclass", seq_len=20, vocab=50)
def tokens(n, rng, seq_len=20, vocab=50):
    """(n, seq_len) int32 token ids, class r % 4 for row r: a row of seq_len / 2 .. seq_len
    tokens, pre-padded with 0, holds 1..3 keyword ids of its class and fewer (0..2) of one
    other class at random places; the rest are filler ids drawn uniformly."""
    y = np.arange(n) % TOKEN_CLASSES
    x = np.zeros((n, seq_len), np.int32)
    lengths = rng.integers((seq_len + 1) // 2, seq_len + 1, size=n)
    for i, length in enumerate(lengths):
        row = rng.integers(FIRST_FILLER, vocab, size=length)
        n_own = rng.integers(1, 4)
        other = (y[i] + rng.integers(1, TOKEN_CLASSES)) % TOKEN_CLASSES
        n_other = rng.integers(0, n_own)
        keywords = np.r_[1 + KEYWORDS * y[i] + rng.integers(0, KEYWORDS, n_own),
                         1 + KEYWORDS * other + rng.integers(0, KEYWORDS, n_other)]
        row[rng.choice(length, size=len(keywords), replace=False)] = keywords
        x[i, seq_len - length:] = row
    return x, y, "multiclass"
