"""Datasets and their corruptions."""

import numpy as np
import pytest

from experiments.variants.dataset import (
    DATASET,
    N_PROTOTYPES,
    REAL_SIZES,
    SHAPE_CLASSES,
    DatasetCache,
    check_dataset,
    dataset_kind,
    make_dataset,
)
from experiments.variants.dataset.arrays import FIRST_FILLER, KEYWORDS, TOKEN_CLASSES
from experiments.variants.registry import ConfigError

NEW_SETS = ("digits_images", "shapes", "sine_forecast", "tokens")


def data(make_cfg, *overrides, seed=0):
    cfg = make_cfg(*overrides)
    return make_dataset(cfg.dataset, seed, cfg.eval_fraction)


@pytest.mark.parametrize("name", DATASET.names())
def test_every_dataset_makes_standardized_splits(make_cfg, name):
    d = data(make_cfg, f"dataset={name}")
    assert d.task in ("binary", "multiclass", "regression")
    assert d.kind == dataset_kind(name)
    assert len(d.x_train) + len(d.x_eval) == d.n_samples
    assert len(d.x_eval) == int(np.ceil(0.25 * d.n_samples))
    assert d.n_features == int(np.prod(d.x_train.shape[1:]))
    if d.kind == "table":  # per feature
        np.testing.assert_allclose(d.x_train.mean(0), 0, atol=1e-5)
        std = d.x_train.std(0)
        np.testing.assert_allclose(std[std > 0], 1, atol=1e-4)
    elif d.kind in ("image", "sequence"):  # one mean and sd over every value
        assert abs(d.x_train.mean()) < 1e-5 and d.x_train.std() == pytest.approx(1, abs=1e-4)
    else:  # token ids as generated
        assert d.x_train.dtype == np.int32 and d.x_train.min() >= 0
    if d.task != "regression":
        assert set(np.unique(d.y_train)) <= set(range(d.n_classes))


def test_real_datasets_ship_inside_scikit_learn(make_cfg):
    d = data(make_cfg, "dataset=digits")
    assert (d.n_samples, d.n_features, d.n_classes, d.task) == (1797, 64, 10, "multiclass")


def test_same_seed_same_data_other_seed_other_data(make_cfg):
    a, b, c = (data(make_cfg, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)


def test_imbalance_sets_the_minority_share_of_the_training_split(make_cfg):
    d = data(make_cfg, "dataset.imbalance=0.1")
    minority = np.bincount(d.y_train).min() / len(d.y_train)
    assert minority == pytest.approx(0.1, abs=0.005)
    clean = data(make_cfg)
    np.testing.assert_array_equal(d.x_eval, clean.x_eval)  # evaluation set untouched


def test_label_noise_flips_that_share_of_training_labels(make_cfg):
    clean, noisy = data(make_cfg), data(make_cfg, "dataset.label_noise=0.25")
    # rows are reshuffled after corruption: compare label counts per identical input row
    by_row = {tuple(x): y for x, y in zip(clean.x_train, clean.y_train)}
    flipped = np.mean([by_row[tuple(x)] != y for x, y in zip(noisy.x_train, noisy.y_train)])
    assert flipped == pytest.approx(0.25, abs=0.002)


def test_duplicate_share_leaves_few_distinct_rows(make_cfg):
    d = data(make_cfg, "dataset.duplicate_share=0.9")
    n = len(d.x_train)
    distinct = len(np.unique(d.x_train, axis=0))
    kept = n - round(0.9 * n)  # rows not replaced; the copies add at most the prototypes
    assert kept <= distinct <= kept + N_PROTOTYPES


def test_input_scale_and_shift_unnormalize_both_splits(make_cfg):
    d = data(make_cfg, "dataset.input_scale=1000", "dataset.input_shift=5")
    np.testing.assert_allclose(d.x_train.mean(0), 5, atol=0.05)
    np.testing.assert_allclose(d.x_train.std(0), 1000, rtol=1e-4)
    assert abs(d.x_eval.std() - 1000) < 100


def test_outliers_replace_that_share_of_training_inputs(make_cfg):
    clean, dirty = data(make_cfg), data(make_cfg, "dataset.outliers=0.1")
    known = {tuple(x) for x in clean.x_train}
    replaced = np.mean([tuple(x) not in known for x in dirty.x_train])
    assert replaced == pytest.approx(0.1, abs=0.002)


# -- a fixed evaluation set (eval_samples) ------------------------------------------------------


@pytest.mark.parametrize("name", ["moons", "digits"])
def test_fixed_eval_set_does_not_change_with_n_samples(make_cfg, name):
    small = data(make_cfg, f"dataset={name}", "dataset.n_samples=16", "dataset.eval_samples=500")
    large = data(make_cfg, f"dataset={name}", "dataset.n_samples=512",
                 "dataset.eval_samples=500")
    assert (len(small.x_train), len(small.x_eval)) == (16, 500)
    assert (len(large.x_train), len(large.x_eval)) == (512, 500)
    assert small.n_samples == 16 and large.n_samples == 512  # training rows
    np.testing.assert_array_equal(small.y_eval, large.y_eval)  # the same evaluation rows
    # inputs are standardized with each training set's statistics: the same points up to an
    # affine map per feature
    for j in range(small.x_eval.shape[1]):
        a, b = small.x_eval[:, j], large.x_eval[:, j]
        if np.std(a) > 0:
            assert abs(np.corrcoef(a, b)[0, 1]) > 0.999


def test_fixed_eval_rows_of_a_shipped_set_are_never_trained_on(make_cfg):
    d = data(make_cfg, "dataset=digits", "dataset.n_samples=null", "dataset.eval_samples=1000")
    assert (len(d.x_train), len(d.x_eval)) == (797, 1000)  # 1797 rows in all
    train = {row.tobytes() for row in d.x_train}
    overlap = sum(row.tobytes() in train for row in d.x_eval)
    assert overlap <= 5  # digits holds a few duplicate images; no row is reused


def test_eval_samples_is_validated(make_cfg):
    from experiments.sweep.config import validate
    from experiments.variants.registry import ConfigError

    with pytest.raises(ConfigError, match=r"dataset.eval_samples=4: must be an integer >= 8"):
        validate(make_cfg("dataset.eval_samples=4"))
    with pytest.raises(ConfigError, match=r"dataset.n_samples=1000: digits has 797 rows besides"):
        validate(make_cfg("dataset=digits", "dataset.n_samples=1000",
                          "dataset.eval_samples=1000"))


# -- images, sequences and token ids ----------------------------------------------------------


@pytest.mark.parametrize("name, kind, shape, dtype, task, n_classes", [
    ("digits_images", "image", (8, 8, 1), np.float32, "multiclass", 10),
    ("shapes", "image", (16, 16, 1), np.float32, "multiclass", 4),
    ("sine_forecast", "sequence", (16, 1), np.float32, "regression", 1),
    ("tokens", "tokens", (20,), np.int32, "multiclass", 4),
])
def test_new_sets_have_their_shapes_dtypes_and_classes(make_cfg, name, kind, shape, dtype, task,
                                                       n_classes):
    d = data(make_cfg, f"dataset={name}")
    assert (d.kind, d.input_shape, d.task, d.n_classes) == (kind, shape, task, n_classes)
    assert d.x_train.dtype == dtype and d.x_eval.dtype == dtype
    assert d.x_eval.shape[1:] == shape
    assert d.n_samples == (1797 if name == "digits_images" else 1024)
    assert d.vocab_size == (50 if name == "tokens" else 0)
    assert set(d.baselines) == ({"persistence", "mean"} if name == "sine_forecast" else set())
    if task != "regression":
        assert len(np.unique(np.r_[d.y_train, d.y_eval])) == n_classes


def test_dataset_kind_is_known_without_generating():
    kinds = {name: dataset_kind(name) for name in DATASET.names()}
    assert {n: k for n, k in kinds.items() if k != "table"} == {
        "digits_images": "image", "shapes": "image", "sine_forecast": "sequence",
        "tokens": "tokens"}
    assert {n for n, k in kinds.items() if k == "table"} == {
        "moons", "circles", "xor", "spirals", "regression", "digits", "breast_cancer", "wine",
        "diabetes"}
    with pytest.raises(ConfigError, match="dataset='nope' is not an option"):
        dataset_kind("nope")


def test_digits_images_are_the_digits_table_reshaped(make_cfg):
    table, images = DATASET.get("digits"), DATASET.get("digits_images")
    x, y, _ = table(300, np.random.default_rng(5))
    x_img, y_img, _ = images(300, np.random.default_rng(5))
    assert x_img.shape == (300, 8, 8, 1) and x.shape == (300, 64)
    np.testing.assert_array_equal(x_img.reshape(300, 64), x)
    np.testing.assert_array_equal(y_img, y)
    assert REAL_SIZES["digits_images"] == REAL_SIZES["digits"] == 1797
    # through make_dataset: the same rows and split; standardized per pixel vs over all pixels
    t = data(make_cfg, "dataset=digits", "dataset.n_samples=400", seed=2)
    i = data(make_cfg, "dataset=digits_images", "dataset.n_samples=400", seed=2)
    np.testing.assert_array_equal(t.y_train, i.y_train)
    flat = i.x_train.reshape(len(i.x_train), 64)
    for j in np.flatnonzero(t.x_train.std(0) > 0):
        assert np.corrcoef(flat[:, j], t.x_train[:, j])[0, 1] > 0.9999


def test_digits_images_has_the_digits_sizes(make_cfg):
    d = data(make_cfg, "dataset=digits_images", "dataset.n_samples=null",
             "dataset.eval_samples=1000")
    assert (len(d.x_train), len(d.x_eval), d.n_samples) == (797, 1000, 797)
    with pytest.raises(ConfigError, match=r"^dataset.n_samples=2000: digits_images has 1797 "):
        check_dataset(make_cfg("dataset=digits_images", "dataset.n_samples=2000").dataset)


def test_shapes_classes_are_balanced_and_differ(make_cfg):
    d = data(make_cfg, "dataset=shapes")
    assert len(SHAPE_CLASSES) == 4
    assert np.bincount(np.r_[d.y_train, d.y_eval]).tolist() == [256] * 4
    assert sorted(np.bincount(d.y_train).tolist()) == [192] * 4  # stratified split
    # the class means differ: a constant output cannot fit them
    means = [d.x_train[d.y_train == k].mean(0) for k in range(4)]
    assert min(np.abs(a - b).max() for i, a in enumerate(means) for b in means[i + 1:]) > 0.3
    # position jitter: shapes are not all centred on the same pixel
    assert len({np.unravel_index(np.argmax(x[..., 0]), x.shape[:2]) for x in d.x_train[:50]}) > 10


def test_tokens_ids_stay_in_range_and_keywords_decide_the_class(make_cfg):
    d = data(make_cfg, "dataset=tokens", "dataset.vocab=30", "dataset.seq_len=12")
    assert d.vocab_size == 30 and d.input_shape == (12,)
    x, y = np.r_[d.x_train, d.x_eval], np.r_[d.y_train, d.y_eval]
    assert x.min() >= 0 and x.max() < 30 and x.max() >= FIRST_FILLER
    assert np.bincount(y).tolist() == [256] * TOKEN_CLASSES
    # padding comes first: no 0 after a token
    assert not np.any((x[:, :-1] != 0) & (x[:, 1:] == 0))
    assert (x != 0).sum(1).min() >= 6  # seq_len / 2 tokens at least
    # the class holds the most keywords of its own
    counts = np.stack([((x >= 1 + KEYWORDS * k) & (x <= KEYWORDS * (k + 1))).sum(1)
                       for k in range(TOKEN_CLASSES)], axis=1)
    assert (counts.argmax(1) == y).all()
    assert (np.sort(counts, 1)[:, -1] > np.sort(counts, 1)[:, -2]).all()


def test_sine_forecast_baselines(make_cfg):
    d = data(make_cfg, "dataset=sine_forecast", "dataset.window=8")
    assert d.input_shape == (8, 1)
    assert 0.8 < d.baselines["persistence"] < 0.95  # a better forecast exists
    assert abs(d.baselines["mean"]) < 0.02
    last, y = d.x_eval[:, -1, 0], d.y_eval
    r2 = 1 - np.sum((y - last) ** 2) / np.sum((y - y.mean()) ** 2)
    assert d.baselines["persistence"] == pytest.approx(r2, abs=1e-5)


def test_sine_forecast_targets_share_the_inputs_units(make_cfg):
    d = data(make_cfg, "dataset=sine_forecast", "dataset.n_samples=64",
             "dataset.eval_samples=200", seed=4)
    # the evaluation set comes from its own stream: regenerate it raw
    raw_x, raw_y, _ = DATASET.get("sine_forecast")(200, np.random.default_rng([4, 7]), window=16)
    slope, intercept = np.polyfit(raw_x.ravel(), d.x_eval.ravel(), 1)  # x' = (x - m) / s
    np.testing.assert_allclose(d.x_eval[..., 0], raw_x[..., 0] * slope + intercept, atol=1e-5)
    np.testing.assert_allclose(d.y_eval, raw_y * slope + intercept, atol=1e-5)


@pytest.mark.parametrize("name", ["regression", "diabetes", "sine_forecast"])
def test_target_scale_and_shift_move_regression_targets_exactly(make_cfg, name):
    clean = data(make_cfg, f"dataset={name}")
    moved = data(make_cfg, f"dataset={name}", "dataset.target_scale=1000",
                 "dataset.target_shift=5000")
    np.testing.assert_array_equal(moved.y_train, clean.y_train * 1000.0 + 5000.0)
    np.testing.assert_array_equal(moved.y_eval, clean.y_eval * 1000.0 + 5000.0)
    np.testing.assert_array_equal(moved.x_train, clean.x_train)
    assert moved.baselines == clean.baselines
    assert abs(moved.y_train.mean() - 5000) < 100 and 900 < moved.y_train.std() < 1100


@pytest.mark.parametrize("overrides, message", [
    (("dataset=digits", "dataset.target_scale=1000"),
     "dataset.target_scale=1000: digits is a classification set (only regression targets "
     "scale); allowed: 1.0"),
    (("dataset=tokens", "dataset.target_shift=5"),
     "dataset.target_shift=5: tokens is a classification set (only regression targets scale); "
     "allowed: 0.0"),
    (("dataset=tokens", "dataset.input_scale=1000"),
     "dataset.input_scale=1000: tokens holds token ids; allowed: 1.0"),
    (("dataset=tokens", "dataset.input_shift=1"),
     "dataset.input_shift=1: tokens holds token ids; allowed: 0.0"),
    (("dataset=regression", "dataset.target_scale=0"),
     "dataset.target_scale=0: must be a number > 0"),
    (("dataset=regression", "dataset.target_shift=abc"),
     "dataset.target_shift='abc': must be a number"),
    (("dataset=sine_forecast", "dataset.window=1"), "dataset.window=1: must be an integer >= 2"),
    (("dataset=tokens", "dataset.seq_len=5"), "dataset.seq_len=5: must be an integer >= 10"),
    (("dataset=tokens", "dataset.vocab=10"), "dataset.vocab=10: must be an integer >= 14"),
    (("dataset=sine_forecast", "dataset.imbalance=0.1"),
     "dataset.imbalance=0.1: sine_forecast is a regression set; allowed: null"),
])
def test_new_keys_are_refused_in_one_line(make_cfg, overrides, message):
    with pytest.raises(ConfigError) as err:
        check_dataset(make_cfg(*overrides).dataset)
    assert str(err.value) == message


def test_defaults_of_the_new_keys_pass_everywhere(make_cfg):
    for name in DATASET.names():
        check_dataset(make_cfg(f"dataset={name}").dataset)
    check_dataset(make_cfg("dataset=regression", "dataset.target_scale=1000",
                           "dataset.target_shift=-3").dataset)


# -- corruptions of the new sets --------------------------------------------------------------


@pytest.mark.parametrize("name", ["shapes", "tokens"])
def test_imbalance_and_label_noise_on_new_sets(make_cfg, name):
    d = data(make_cfg, f"dataset={name}", "dataset.imbalance=0.2")
    counts = np.bincount(d.y_train)
    assert (len(d.y_train) - counts.max()) / len(d.y_train) == pytest.approx(0.2, abs=0.005)
    clean, noisy = data(make_cfg, f"dataset={name}"), data(make_cfg, f"dataset={name}",
                                                          "dataset.label_noise=0.25")
    by_row = {x.tobytes(): y for x, y in zip(clean.x_train, clean.y_train)}
    flipped = np.mean([by_row[x.tobytes()] != y for x, y in zip(noisy.x_train, noisy.y_train)])
    assert flipped == pytest.approx(0.25, abs=0.002)


@pytest.mark.parametrize("name", NEW_SETS)
def test_duplicate_share_and_outliers_on_new_sets(make_cfg, name):
    d = data(make_cfg, f"dataset={name}", "dataset.duplicate_share=0.9")
    n = len(d.x_train)
    kept = n - round(0.9 * n)
    assert kept <= len(np.unique(d.x_train, axis=0)) <= kept + N_PROTOTYPES
    clean, dirty = data(make_cfg, f"dataset={name}"), data(make_cfg, f"dataset={name}",
                                                          "dataset.outliers=0.1")
    known = {x.tobytes() for x in clean.x_train}
    new = np.array([x.tobytes() not in known for x in dirty.x_train])
    assert new.mean() == pytest.approx(0.1, abs=0.002)
    replaced = dirty.x_train[new]
    if name == "tokens":  # random ids, no padding
        assert replaced.min() >= 1 and replaced.max() < 50
    else:
        assert 8 < replaced.std() < 12
    np.testing.assert_array_equal(dirty.x_eval, clean.x_eval)


@pytest.mark.parametrize("name", ["shapes", "sine_forecast"])
def test_input_scale_and_shift_on_images_and_sequences(make_cfg, name):
    clean = data(make_cfg, f"dataset={name}")
    d = data(make_cfg, f"dataset={name}", "dataset.input_scale=1000", "dataset.input_shift=5")
    np.testing.assert_allclose(d.x_train, clean.x_train * 1000 + 5, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(d.x_eval, clean.x_eval * 1000 + 5, rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(d.y_train, clean.y_train)


# -- the cache: the same seed gives the same arrays -------------------------------------------


@pytest.mark.parametrize("name", NEW_SETS)
def test_new_sets_through_the_cache_are_deterministic_per_seed(make_cfg, name):
    cfg = make_cfg(f"dataset={name}", "dataset.n_samples=200", "dataset.outliers=0.1")
    a = DatasetCache().get(cfg.dataset, 3, cfg.eval_fraction)
    cache = DatasetCache()
    b = cache.of([(cfg, 3)])
    c = cache.get(cfg.dataset, 4, cfg.eval_fraction)
    (b,) = b.values()
    assert cache.get(cfg.dataset, 3, cfg.eval_fraction) is b  # made once
    for f in ("x_train", "y_train", "x_eval", "y_eval"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert (a.kind, a.vocab_size, a.baselines) == (b.kind, b.vocab_size, b.baselines)
    assert not np.array_equal(a.x_train, c.x_train)
    other = make_cfg(f"dataset={name}", "dataset.n_samples=100")
    assert len(cache.get(other.dataset, 3, cfg.eval_fraction).x_train) == 75
