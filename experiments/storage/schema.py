"""Column names of the results Parquet: one row per trained network.

Both training paths write exactly these columns; analysis reads them by these names.
"""

from experiments import catalogue, factors

# 3: auroc; imbalance keeps the training size; seed_offset, tag, output_layer
# 4: model, cnn/rnn shape (conv_layers, filters, kernel_size, pooling, cell, units, layers,
#    embedding), batchnorm, clipnorm, target_scale, target_shift (older files: see
#    experiments.factors.missing_value)
SCHEMA_VERSION = 4

# Every factor a sweep can vary, one flat typed column each (experiments.factors).
FACTOR_COLUMNS = factors.columns()

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
