"""Datasets: the `dataset` config group, and the data problems the seed blames as corruptions.

Synthetic sets are generated from the seed; real sets ship inside scikit-learn (no download).
A set is of one kind (dataset_kind): a table (n, features), images (n, height, width, 1),
a sequence (n, steps, 1) or token ids (n, steps).
Steps for one replicate:
  1. generate (or subsample) `n_samples` rows,
  2. split off a held-out evaluation set (never trained on): `eval_fraction` of the rows, or,
     with `eval_samples` set, a separate set of that many rows drawn from its own random
     stream, so it is the same whatever `n_samples` is (then all `n_samples` rows train),
  3. standardize with training statistics: a table per feature, images and sequences with
     one mean and sd of all their values (a forecast target with its series' mean and sd),
     other regression targets with their own; token ids stay as they are,
  4. (forecasting) score the baselines on the evaluation set,
  5. corrupt the training split: imbalance, label_noise, duplicate_share, outliers,
  6. unnormalize both splits: inputs with input_scale and input_shift (not token ids),
     regression targets with target_scale and target_shift.

Modules: options (registry, kinds, table sets), arrays (image, sequence and token sets),
make (the steps above), checks (config checks), cache (DATASETS).
"""

from experiments.variants.dataset.arrays import SHAPE_CLASSES, TOKEN_CLASSES
from experiments.variants.dataset.cache import DATASETS, DatasetCache
from experiments.variants.dataset.checks import check_dataset, dataset_size
from experiments.variants.dataset.make import (
    EVAL_STREAM,
    N_PROTOTYPES,
    OUTLIER_SCALE,
    Data,
    corrupt_training,
    forecast_baselines,
    make_dataset,
)
from experiments.variants.dataset.options import (
    DATASET,
    KINDS,
    REAL_SIZES,
    dataset_kind,
    dataset_task,
)

__all__ = [
    "DATASET", "DATASETS", "EVAL_STREAM", "KINDS", "N_PROTOTYPES", "OUTLIER_SCALE", "REAL_SIZES",
    "SHAPE_CLASSES", "TOKEN_CLASSES", "Data", "DatasetCache", "check_dataset",
    "corrupt_training", "dataset_kind", "dataset_size", "dataset_task", "forecast_baselines",
    "make_dataset",
]
