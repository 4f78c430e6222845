"""Datasets and their corruptions."""

import numpy as np
import pytest

from experiments.variants.dataset import DATASET, N_PROTOTYPES, make_dataset


def data(make_cfg, *overrides, seed=0):
    cfg = make_cfg(*overrides)
    return make_dataset(cfg.dataset, seed, cfg.eval_fraction)


@pytest.mark.parametrize("name", DATASET.names())
def test_every_dataset_makes_standardized_splits(make_cfg, name):
    d = data(make_cfg, f"dataset={name}")
    assert d.task in ("binary", "multiclass", "regression")
    assert len(d.x_train) + len(d.x_eval) == d.n_samples
    assert len(d.x_eval) == int(np.ceil(0.25 * d.n_samples))
    np.testing.assert_allclose(d.x_train.mean(0), 0, atol=1e-5)
    std = d.x_train.std(0)
    np.testing.assert_allclose(std[std > 0], 1, atol=1e-4)
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
