"""Column names of the results Parquet: one row per trained network.

Both training paths write exactly these columns; analysis reads them by these names.
"""

from experiments import catalogue

SCHEMA_VERSION = 3  # 3: auroc; imbalance keeps the training size; seed_offset, tag, output_layer

# Every factor a sweep can vary, one flat typed column each.
FACTOR_COLUMNS = {
    "init": "string",
    "init_value": "float64",  # constant initializer's value (NaN for other initializers)
    "init_stddev": "float64",  # random_normal's stddev (NaN for other initializers)
    "init_sigma_w": "float64",  # variance_scaling's sigma_w (NaN for other initializers)
    "bias_init": "string",  # zeros, constant, normal, or rai (drawn with the kernel)
    "bias_value": "float64",  # constant bias's value (NaN for other bias options)
    "bias_stddev": "float64",  # normal bias's stddev (NaN for other bias options)
    "use_bias": "boolean",  # false: Dense layers without bias
    "output_layer": "string",  # same, or keras_default (Glorot kernel, zero bias, with bias)
    "activation": "string",
    "regularization": "string",
    "reg_strength": "float64",  # L1/L2 factor, or dropout rate
    "optimizer": "string",
    "lr": "float64",
    "dataset": "string",
    "n_samples": "int64",
    "eval_samples": "Int64",  # size of the fixed evaluation set (NA: eval_fraction of n_samples)
    "imbalance": "float64",  # minority share of the training split (NaN = as generated)
    "label_noise": "float64",
    "duplicate_share": "float64",
    "input_scale": "float64",
    "input_shift": "float64",
    "outliers": "float64",
    "depth": "int64",
    "width": "int64",
    "epochs": "int64",
    "batch_size": "int64",
    "seed_offset": "int64",  # added to every seed (an A/A arm on other seeds)
    "tag": "string",  # a label the training never reads (+tag=...), for placebo claims
}

ID_COLUMNS = {
    "sweep": "string",
    "claim": "string",  # the claim whose grid trained this row (claims experiments), else NA
    "config_id": "string",
    "replicate": "int64",
    "seed": "int64",
    "task": "string",  # binary, multiclass or regression
    "engine": "string",  # keras or batched
    "status": "string",  # ok, diverged or error
    "error": "string",
}

# Metrics measured after training (experiments.catalogue); each also exists with the suffix
# "_init" (at initialization).
METRICS = {metric.name: metric.dtype for metric in catalogue.METRICS}

EXTRA_COLUMNS = {
    "baseline_score": "float64",
    "persistence_score": "float64",  # forecasting: evaluation R^2 of repeating the last value
    "train_loss": "float64",
    "duration_s": "float64",
    "tf_version": "string",
    "keras_version": "string",
    "schema_version": "int64",
}


def metric_columns():
    """Metric columns in file order: each metric after training, then at initialization."""
    cols = {}
    for name, dtype in METRICS.items():
        cols[name] = dtype
        cols[f"{name}_init"] = dtype
    return cols


def all_columns():
    """Every column of a runs Parquet file, name -> pandas dtype, in file order."""
    return {**FACTOR_COLUMNS, **ID_COLUMNS, **metric_columns(), **EXTRA_COLUMNS}


HISTORY_COLUMNS = {
    "config_id": "string",
    "replicate": "int64",
    "epoch": "int64",  # 0 = at initialization
    "metric": "string",  # loss, rel_output_std, dead_fraction, ...
    "value": "float64",
}
