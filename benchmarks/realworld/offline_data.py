"""Offline stand-ins for the data sets real programs load (nothing is downloaded).

Each function returns numpy arrays of the same shape and kind as the data set it stands for,
raw as the original program would receive it (pixels 0..255, prices in dollars, words as token
ids), so that a port keeps the program's own preprocessing, or its lack of one.

    mnist_like(n)        (n, 28, 28) uint8 0..255, labels 0..9: scikit-learn's digits upscaled
    digits(n)            (n, 64) float 0..16, labels 0..9: scikit-learn's digits
    cifar_like(n)        (n, 32, 32, 3) uint8 0..255, labels 0..k-1: generated coloured shapes
    tabular(n, ...)      (n, features) float, labels: scikit-learn's make_classification
    iris(), wine(), breast_cancer(), diabetes(): scikit-learn's shipped data sets, raw
    house_prices(n)      (n, features) raw feature units, prices in dollars (~1e5)
    series(n, window)    windows of a noisy multi-frequency series, next value as target
    tokens(n, length)    (n, length) int token ids, labels from the words present (sentiment)
"""

import numpy as np


def _rng(seed):
    return np.random.default_rng(seed)


def digits(n=None, seed=0):
    """scikit-learn's 8x8 digits, raw (0..16), flattened: (n, 64) float64, (n,) int labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x, y = data.data, data.target
    if n is not None:
        rows = _rng(seed).choice(len(x), size=n, replace=n > len(x))
        x, y = x[rows], y[rows]
    return x, y


def mnist_like(n=2000, seed=0, size=28):
    """MNIST-shaped digits: (n, size, size) uint8 0..255 and (n,) labels 0..9.

    scikit-learn's 8x8 digits, upscaled (bilinear) to size x size, shifted by up to 2 pixels
    and given a little pixel noise, so that rows differ as handwriting does.
    """
    from scipy.ndimage import shift, zoom

    x8, y = digits(n, seed)
    rng = _rng(seed + 1)
    out = np.empty((len(x8), size, size), np.float64)
    for i, img in enumerate(x8.reshape(-1, 8, 8)):
        big = zoom(img, (size - 8) / 8, order=1)
        pad = (size - big.shape[0]) // 2
        canvas = np.zeros((size, size))
        canvas[pad:pad + big.shape[0], pad:pad + big.shape[1]] = big
        out[i] = shift(canvas, rng.integers(-2, 3, size=2), order=0)
    out = out / 16.0 * 255.0 + rng.normal(0, 8, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8), y.astype(np.int64)


def cifar_like(n=2000, seed=0, classes=10, size=32):
    """CIFAR-shaped images: (n, size, size, 3) uint8 0..255 and (n,) labels 0..classes-1.

    Each class is a shape (disc, square, bar, cross, ring, triangle, ...) of a class-typical
    colour, at a random position and size on a textured background.
    """
    rng = _rng(seed)
    y = rng.integers(0, classes, size=n)
    yy, xx = np.mgrid[0:size, 0:size]
    base = rng.uniform(40, 215, size=(classes, 3))
    out = np.empty((n, size, size, 3), np.float64)
    for i, c in enumerate(y):
        cy, cx = rng.uniform(size * 0.3, size * 0.7, size=2)
        r = rng.uniform(size * 0.15, size * 0.3)
        dy, dx = yy - cy, xx - cx
        kind = c % 6
        if kind == 0:
            mask = dy**2 + dx**2 <= r**2
        elif kind == 1:
            mask = (abs(dy) <= r) & (abs(dx) <= r)
        elif kind == 2:
            mask = abs(dy) <= r / 3
        elif kind == 3:
            mask = (abs(dy) <= r / 4) | (abs(dx) <= r / 4)
        elif kind == 4:
            mask = abs(np.sqrt(dy**2 + dx**2) - r) <= r / 4
        else:
            mask = (dy >= -r) & (dy <= r) & (abs(dx) <= (dy + r) / 2)
        img = rng.normal(110, 30, size=(size, size, 3))
        img[mask] = base[c] + rng.normal(0, 15, size=(int(mask.sum()), 3))
        out[i] = img
    return np.clip(out, 0, 255).astype(np.uint8), y.astype(np.int64)


def tabular(n=1000, features=20, classes=2, informative=None, seed=0, weights=None,
            scale=1.0, shift=0.0):
    """scikit-learn's make_classification; `scale`/`shift` make raw, unstandardized units."""
    from sklearn.datasets import make_classification

    informative = informative or max(2, min(features, 2 * classes))
    x, y = make_classification(n_samples=n, n_features=features, n_informative=informative,
                               n_redundant=0, n_classes=classes, weights=weights,
                               random_state=seed)
    return x * scale + shift, y.astype(np.int64)


def _shipped(loader):
    data = loader()
    return data.data.astype(np.float64), data.target


def iris():
    """(150, 4) cm, labels 0..2."""
    from sklearn.datasets import load_iris

    return _shipped(load_iris)


def wine():
    """(178, 13) raw chemistry units (proline ~1e3), labels 0..2."""
    from sklearn.datasets import load_wine

    return _shipped(load_wine)


def breast_cancer():
    """(569, 30) raw units (areas ~1e3), labels 0/1."""
    from sklearn.datasets import load_breast_cancer

    return _shipped(load_breast_cancer)


def diabetes(raw=True):
    """(442, 10) features, disease progression target 25..346 (raw units)."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes(scaled=not raw)
    return data.data.astype(np.float64), data.target.astype(np.float64)


def house_prices(n=1000, seed=0):
    """Housing-like regression: (n, 8) raw features (square feet, rooms, year, ...) and a
    price in dollars (~1e5..1e6)."""
    rng = _rng(seed)
    sqft = rng.normal(1800, 600, n).clip(400)
    rooms = rng.integers(1, 7, n).astype(float)
    baths = rng.integers(1, 4, n).astype(float)
    year = rng.integers(1900, 2020, n).astype(float)
    lot = rng.lognormal(8.5, 0.5, n)
    dist = rng.uniform(0.5, 40, n)
    garage = rng.integers(0, 3, n).astype(float)
    quality = rng.integers(1, 11, n).astype(float)
    x = np.column_stack([sqft, rooms, baths, year, lot, dist, garage, quality])
    price = (120 * sqft + 8000 * baths + 15000 * quality - 2500 * dist + 400 * (year - 1900)
             + 2 * lot + 10000 * garage + rng.normal(0, 25000, n))
    return x, np.maximum(price, 20000.0)


def series(n=1000, window=20, seed=0, level=0.0, scale=1.0, horizon=1):
    """Windows of a noisy two-frequency series: x (n, window, 1), y (n,) the value `horizon`
    steps after each window; `level`/`scale` give raw units (e.g. 5000 +- 1000)."""
    rng = _rng(seed)
    t = np.arange(n + window + horizon)
    s = (np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 13)
         + 0.1 * rng.normal(size=len(t)))
    s = level + scale * s
    x = np.stack([s[i:i + window] for i in range(n)])[:, :, None]
    y = s[window + horizon - 1:window + horizon - 1 + n]
    return x, y


def tokens(n=1000, length=40, vocab=2000, classes=2, seed=0):
    """A generated text classification task: (n, length) int token ids (0 = padding) and
    (n,) labels. Each class has 20 marker words; a document holds a few markers of its class
    among common words, padded at the end to `length`."""
    rng = _rng(seed)
    y = rng.integers(0, classes, size=n)
    markers = 10 + np.arange(classes * 20).reshape(classes, 20)
    x = np.zeros((n, length), np.int64)
    for i, c in enumerate(y):
        size = rng.integers(length // 2, length + 1)
        doc = rng.integers(10 + classes * 20, vocab, size=size)
        spots = rng.choice(size, size=max(2, size // 8), replace=False)
        doc[spots] = rng.choice(markers[c], size=len(spots))
        x[i, :size] = doc
    return x, y.astype(np.int64)
