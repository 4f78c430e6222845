"""Every catalogue metric x every model on both training paths (the batched engine where it
takes the configuration): defined where the catalogue's NEEDS says (a finite value on a
healthy network), NaN (None for classification metrics on regression) where it does not."""

import math

import pytest

from experiments import catalogue
from experiments.training.keras import train_keras
from experiments.variants.model import model_layers

CASES = {  # model x data: every kind of layer, each task kind
    "mlp_table": ["dataset=moons", "model.depth=2"],
    "mlp_images": ["dataset=digits_images", "activation=tanh"],
    "cnn_depth1": ["model=cnn", "dataset=shapes"],
    "cnn_depth0_batchnorm": ["model=cnn", "dataset=digits_images", "model.depth=0",
                             "model.batchnorm=true"],
    "rnn_lstm_forecast": ["model=rnn", "dataset=sine_forecast", "model.depth=2"],
    "rnn_gru_tokens": ["model=rnn", "model.cell=gru", "model.embedding=8", "dataset=tokens"],
    "rnn_simple_tokens": ["model=rnn", "model.cell=simple", "model.embedding=8",
                          "dataset=tokens", "model.depth=1"],
}


def _train(path, cfg):
    if path == "keras":
        return train_keras(cfg, 3)[0]
    from experiments.training.engine import engine_supports, train_many

    supported, reason = engine_supports(cfg)
    if not supported:  # declared Keras-only: the Keras path is its only path
        assert reason.startswith(("model=rnn", "model.batchnorm=true")), reason
        return None
    return train_many([(cfg, 3)])[0][0]


@pytest.mark.parametrize("path", ["keras", "engine"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_metric_is_defined_or_nan_by_the_catalogue_rule(make_cfg, case, path):
    cfg = make_cfg(*CASES[case], "dataset.n_samples=96", "epochs=1", "activation=tanh",
                   "init=glorot")
    result = _train(path, cfg)
    if result is None:
        return
    assert result["status"] == "ok"
    from experiments.variants.dataset import make_dataset

    data = make_dataset(cfg.dataset, 3, cfg.eval_fraction)
    layers = model_layers(cfg, data.task, data.n_classes, data.vocab_size)
    for metric in catalogue.METRICS:
        for name in (metric.name, f"{metric.name}_init"):
            value = result[name]
            if catalogue.defined(metric.name, layers, data.task):
                assert value is not None and not (isinstance(value, float)
                                                  and math.isnan(value)), (case, name)
            elif catalogue.NEEDS.get(metric.name) == "classes":
                assert value is None, (case, name, value)
            else:
                assert math.isnan(value), (case, name, value)
