"""docs/columns.md, written from the results schema and the metric catalogue.

Every column of a runs file, in file order, with its type, its name in the report and what it
means: the factors (through `factor_columns`), the identity and status columns, every metric of
experiments.catalogue (also at initialization), the rest; then the history file's columns.
`tests/test_docs.py` checks that docs/columns.md is what this module writes.

Example:
    python -m analysis.columns_doc            # writes docs/columns.md
    python -m analysis.columns_doc --check    # exit status 1 if docs/columns.md is not current
"""

import argparse
import inspect
import re
import sys
from pathlib import Path

from experiments import catalogue, factors
from experiments.storage import schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "columns.md"

# What a column is, where the schema's own comment (`schema_comments`) is missing or says less.
MEANINGS = {
    "init": "kernel initializer (`conf/init/`)",
    "activation": "hidden layers' activation (`conf/activation/`)",
    "regularization": "regularization option (`conf/regularization/`)",
    "optimizer": "optimizer option (`conf/optimizer/`)",
    "lr": "learning rate",
    "dataset": "dataset option (`conf/dataset/`)",
    "n_samples": "rows the dataset uses, both splits (with `eval_samples` set: the training "
                 "rows; null in the config: every row of a real set)",
    "label_noise": "share of training labels replaced by another class (or noise)",
    "duplicate_share": "share of training rows replaced by copies of 3 rows (low diversity)",
    "input_scale": "inputs multiplied after standardization (1000 = unnormalized)",
    "input_shift": "added to inputs after scaling",
    "outliers": "share of training rows whose inputs are replaced by N(0, 10^2) noise",
    "output_layer": "same, or keras_default: the output layer as a plain Keras Dense (Glorot "
                    "kernel, zero bias) whatever `init` and `use_bias` say (the seed's Example 1)",
    "depth": "hidden Dense layers",
    "width": "units per hidden Dense layer",
    "epochs": "training epochs (0: measured at initialization only)",
    "batch_size": "training batch size",
    "sweep": "the results folder's name",
    "config_id": "hash of the resolved config without seed and replicates",
    "replicate": "the network's number within its configuration: 0, 1, ...",
    "seed": "the network's seed, seed + seed_offset + replicate (its data, initial weights and "
            "batch order)",
    "status": "ok, diverged (non-finite loss or outputs) or error",
    "error": "the message of a network that raised (`status=error`), else NA",
    "baseline_score": "score of predicting the training majority class (accuracy) or the "
                      "training mean (R^2)",
    "train_loss": "last epoch's training loss (as Keras reports it)",
    "duration_s": "seconds to train and measure the network (batched engine: its block's "
                  "time shared equally)",
    "tf_version": "TensorFlow's version",
    "keras_version": "Keras's version",
    "schema_version": "version of these columns (a folder holds one)",
    "value": "the metric's value at that epoch",
}

COLLAPSE_WHEN = {"high": "high", "low": "low", "true": "true"}


def schema_comments():
    """Column -> the comment beside it in experiments/storage/schema.py (`"name": "dtype",  #
    comment`), for the columns it comments."""
    pattern = re.compile(r'^\s*"(\w+)":\s*"\w+",\s*#\s*(.+?)\s*$')
    found = {}
    for line in inspect.getsource(schema).splitlines():
        match = pattern.match(line)
        if match:
            found.setdefault(match.group(1), match.group(2))
    return found


def meaning(column):
    """What a non-metric column is: MEANINGS, else the schema's comment, else ''."""
    return MEANINGS.get(column) or schema_comments().get(column, "")


def factor_columns():
    """Every factor column as (name, pandas dtype, display name, meaning), in file order, from
    the factor catalogue (experiments/factors.py)."""
    return [(f.column, f.dtype, f.display, f.description or meaning(f.column))
            for f in factors.FACTORS]


def _cell(text):
    return str(text).replace("|", "\\|")


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render():
    """The text of docs/columns.md."""
    factors = _table(["column", "type", "in the report", "meaning"],
                     [(f"`{n}`", t, d, m) for n, t, d, m in factor_columns()])
    ids = _table(["column", "type", "meaning"],
                 [(f"`{n}`", t, meaning(n)) for n, t in schema.ID_COLUMNS.items()])
    metrics = _table(
        ["column", "type", "in the report", "collapse when", "every epoch", "meaning"],
        [(f"`{m.name}`", m.dtype, m.display, COLLAPSE_WHEN.get(m.collapse_when, ""),
          "yes" if m.history else "", m.description) for m in catalogue.METRICS])
    extra = _table(["column", "type", "meaning"],
                   [(f"`{n}`", t, meaning(n)) for n, t in schema.EXTRA_COLUMNS.items()])
    history = _table(["column", "type", "meaning"],
                     [(f"`{n}`", t, meaning(n)) for n, t in schema.HISTORY_COLUMNS.items()])
    every_epoch = ", ".join(f"`{name}`" for name in catalogue.HISTORY_METRICS)
    return f"""# Results columns

<!-- Generated by `python -m analysis.columns_doc` from experiments/storage/schema.py,
experiments/catalogue.py and experiments/factors.py: edit those, then run it again. -->

One row per trained network in `results/<sweep>/runs/*.parquet`, schema version
{schema.SCHEMA_VERSION}. With the batched engine one file per block of networks trained
together, named by a hash of its (config_id, replicate) pairs (a configuration's rows may span
several files); with `hydra/launcher=basic` one file per configuration. Every file is written
to a temporary name and renamed. The columns come in this order: factors, identity, metrics
(each followed by its `_init` twin), the rest.

## Factors

What the configuration was: one flat typed column per value a sweep can vary (NaN or NA where
it does not apply).

{factors}

## Identity and status

{ids}

## Metrics

Measured after training, on the evaluation split unless the meaning says otherwise; each also
as `<name>_init`, the same metric at initialization. "Collapse when" says which way the metric
points towards collapse; "every epoch": also in the history.

{metrics}

## Other columns

{extra}

## History

Per-epoch values in long form in `results/<sweep>/history/*.parquet`, one row per network,
epoch and metric. The metrics: `loss` (the epoch's training loss), `eval_loss` (the
evaluation loss) and {every_epoch}.

{history}
"""


def main(argv=None):
    """Write docs/columns.md, or with --check say whether it is current."""
    parser = argparse.ArgumentParser(prog="python -m analysis.columns_doc",
                                     description=main.__doc__)
    parser.add_argument("--check", action="store_true",
                        help="exit status 1 if docs/columns.md is not current; write nothing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.exists() and DOC.read_text(encoding="utf-8") == text
        if not current:
            print(f"{DOC} is not current: run python -m analysis.columns_doc", file=sys.stderr)
        return 0 if current else 1
    DOC.write_text(text, encoding="utf-8")
    print(DOC)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
