"""The batched engine's model=cnn (and model=mlp on images) against the Keras path, and which
configurations train where (engine_supports; experiments.sweep.blocks routes each one).

As in test_engine, every network is trained twice, by `train_many` (a test's networks in one
call) and by `train_keras`, and every result and history value compared.
"""

import contextlib
import itertools
import logging
import math

import numpy as np
import pytest
import tensorflow as tf

from experiments.sweep import batched, blocks
from experiments.sweep.config import REGISTRIES, validate
from experiments.training import engine
from experiments.training.engine import conv, members, support, updates
from experiments.training.keras import Probe, train_keras
from experiments.variants.dataset import DATASET, make_dataset
from experiments.variants.dataset import options as dataset_options
from experiments.variants.model import model_layers
from experiments.variants.registry import ConfigError
from tests.test_engine import close, compose_all, identical

CNN = ["model=cnn", "model.filters=4", "model.width=8", "epochs=2"]
DIGITS = ["dataset=digits_images", "dataset.n_samples=160"]


def _odd_images(n, rng):
    """(n, 7, 5, 2) images: odd sizes (pooling drops a row and a column), two channels."""
    x = rng.normal(size=(n, 7, 5, 2))
    y = (x[:, 2:5, 1:4, 0].mean(axis=(1, 2)) > x[:, :, :, 1].mean(axis=(1, 2))).astype(int)
    return x, y, "binary"


def _odd_regression(n, rng):
    x = rng.normal(size=(n, 9, 6, 1))
    return x, x[:, 3:6, 2:4, 0].sum(axis=(1, 2)) + 0.1 * rng.normal(size=n), "regression"


TEST_IMAGES = {"odd_images": (_odd_images, "binary"),
               "odd_regression": (_odd_regression, "regression")}


@contextlib.contextmanager
def odd_image_sets():
    """Image sets of odd sizes, registered only meanwhile (they have no conf file, which
    tests of the registries expect: a config composed with dataset=shapes is renamed to them,
    see configs)."""
    for name, (make, task) in TEST_IMAGES.items():
        dataset_options.option(name, "image", task)(make)
    try:
        yield
    finally:
        for name in TEST_IMAGES:
            DATASET._items.pop(name)
            dataset_options._INFO.pop(name)
            dataset_options.PARAMS.pop(name)


def configs(overrides_list):
    """compose_all, where an override `as=NAME` renames the dataset (a test image set)."""
    renames = [[o.split("=", 1)[1] for o in overrides if o.startswith("as=")]
               for overrides in overrides_list]
    cfgs = compose_all([[o for o in overrides if not o.startswith("as=")]
                        for overrides in overrides_list])
    for cfg, rename in zip(cfgs, renames, strict=True):
        if rename:
            cfg.dataset.name = rename[0]
    return cfgs


ODD = ["dataset=shapes", "dataset.n_samples=96", "as=odd_images"]
ODD_REGRESSION = ["dataset=shapes", "dataset.n_samples=96", "as=odd_regression"]

# Initializers, activations, optimizers, poolings, kernel sizes (even ones pad after), depths,
# penalties, dropout, biases, heads, clipnorm, tasks and image shapes, each somewhere.
GRID = [
    CNN + DIGITS + ["init=he_normal", "optimizer=adam", "lr=0.01"],
    CNN + DIGITS + ["init=glorot", "activation=tanh", "model.pooling=average", "optimizer=sgd",
                    "lr=0.1", "regularization=l1"],
    CNN + DIGITS + ["init=zeros", "optimizer=sgd", "lr=0.1", "regularization=dropout"],
    CNN + DIGITS + ["init=constant", "init.value=0.05", "activation=tanh", "optimizer=sgd",
                    "lr=0.05"],
    CNN + DIGITS + ["init=random_normal", "activation=elu", "model.pooling=none",
                    "model.kernel_size=2", "optimizer=adam", "lr=0.01", "model.depth=0"],
    CNN + DIGITS + ["init=lecun_normal", "activation=gelu", "model.kernel_size=5",
                    "model.conv_layers=1", "model.depth=2", "optimizer=sgd", "lr=0.05",
                    "regularization=l1_l2", "model.use_bias=false"],
    CNN + DIGITS + ["init=orthogonal", "activation=selu", "model.kernel_size=4",
                    "optimizer=momentum", "lr=0.01", "model.output_layer=keras_default",
                    "bias_init=normal", "optimizer.clipnorm=0.5"],
    CNN + DIGITS + ["init=he_uniform", "activation=sigmoid", "optimizer=rmsprop", "lr=0.001",
                    "regularization=l2", "model.conv_layers=3"],
    CNN + ODD + ["init=he_uniform", "activation=leaky_relu", "optimizer=adam", "lr=0.01"],
    CNN + ODD_REGRESSION + ["init=variance_scaling", "activation=tanh", "optimizer=rmsprop",
                            "lr=0.001", "model.pooling=average"],
    CNN + ["dataset=shapes", "dataset.n_samples=64", "init=glorot_normal", "activation=relu",
           "optimizer=momentum", "lr=0.01", "bias_init=constant", "bias_init.value=0.1"],
    CNN + DIGITS + ["init=glorot_normal", "activation=linear", "epochs=0"],
    # model=mlp on images (flattened), clipnorm on the MLP too
    DIGITS + ["init=he_normal", "optimizer=sgd", "lr=0.1", "optimizer.clipnorm=0.1",
              "regularization=dropout", "epochs=2"],
    ["dataset=moons", "dataset.n_samples=160", "epochs=2", "init=he_normal", "optimizer=adam",
     "lr=0.1", "optimizer.clipnorm=0.05", "model.depth=2"],
]


@pytest.fixture(scope="module")
def grid():
    """The grid's jobs, engine results (one train_many call) and Keras results."""
    jobs = [(cfg, i % 3) for i, cfg in enumerate(configs(GRID))]
    with odd_image_sets():
        return jobs, engine.train_many(jobs), [train_keras(cfg, seed) for cfg, seed in jobs]


def test_grid_covers_the_cnn_options(grid):
    jobs, mine, _ = grid
    cnns = [cfg for cfg, _ in jobs if cfg.model.name == "cnn"]
    assert {cfg.model.pooling for cfg in cnns} == {"max", "average", "none"}
    assert {cfg.model.kernel_size for cfg in cnns} >= {2, 3, 4, 5}
    assert {cfg.optimizer.name for cfg in cnns} == set(support.OPTIMIZERS)
    assert {cfg.regularization.name for cfg in cnns} == set(support.REGULARIZATIONS)
    assert {r["task"] for r, _ in mine} == {"binary", "multiclass", "regression"}
    assert {cfg.model.depth for cfg in cnns} >= {0, 1, 2}


def test_cnn_matches_keras_in_every_value(grid):
    """Every result and history value, in format and in value (float32 rounding only)."""
    jobs, mine, keras_runs = grid
    for (cfg, seed), (result, history), (k_result, k_history) in zip(jobs, mine, keras_runs,
                                                                       strict=True):
        label = (cfg.model.name, cfg.dataset.name, cfg.init.name, cfg.activation.name,
                 cfg.optimizer.name, cfg.regularization.name, seed)
        assert list(result) == list(k_result), label
        for key, value in k_result.items():
            assert close(result[key], value), (label, key, result[key], value)
        assert [(e, m) for e, m, _ in history] == [(e, m) for e, m, _ in k_history], label
        for (e, m, v), (_, _, k_v) in zip(history, k_history, strict=True):
            assert close(v, k_v), (label, e, m, v, k_v)


def test_cnn_metrics_read_the_conv_layers(grid):
    """channel_similarity is measured on a Conv2D layer (NaN for an mlp, and where fewer than
    two channels live); a zero CNN is dead."""
    jobs, mine, _ = grid
    for (cfg, _), (result, _) in zip(jobs, mine, strict=True):
        assert math.isnan(result["saturated_gates"])
        if cfg.model.name == "mlp":
            assert math.isnan(result["channel_similarity"])
        elif cfg.init.name == "he_normal":
            assert 0 < result["channel_similarity"] < 1
    zero = next(r for (cfg, _), (r, _) in zip(jobs, mine, strict=True) if cfg.init.name == "zeros")
    assert zero["dead_fraction_init"] == 1.0 and zero["decision_collapsed_init"]
    assert math.isnan(zero["channel_similarity_init"])


def test_diverging_cnn_stops_and_leaves_its_neighbour_alone():
    healthy, wild = configs([
        CNN + DIGITS + ["init=glorot", "lr=0.05"],
        CNN + DIGITS + ["init=random_normal_large", "activation=linear", "lr=1000",
                        "epochs=3"],
    ])
    solo = engine.train_many([(healthy, 1)])[0]
    together = engine.train_many([(healthy, 1), (wild, 1)])
    (k_result, k_history) = train_keras(wild, 1)
    assert together[1][0]["status"] == k_result["status"] == "diverged"
    assert [(e, m) for e, m, _ in together[1][1]] == [(e, m) for e, m, _ in k_history]
    assert max(e for e, _, _ in k_history) < 3  # TerminateOnNaN stopped it
    assert identical(together[0], solo)


def test_cnn_results_do_not_depend_on_what_else_is_trained():
    """A CNN's numbers are a function of (config, seed): alone, beside other activations
    and optimizers, or over several chunks, bit for bit."""
    overrides = [CNN + DIGITS + [f"init={i}", f"activation={a}", f"optimizer={o}"]
                 for i, a, o in itertools.product(["glorot", "zeros"], ["relu", "tanh"],
                                                  ["sgd", "adam"])]
    jobs = [(cfg, 0) for cfg in configs(overrides)]
    whole = engine.train_many(jobs)
    chunked = engine.train_many(jobs, chunk_size=3)
    assert all(identical(a, b) for a, b in zip(whole, chunked, strict=True))
    for index in (0, 5):
        assert identical(engine.train_many([jobs[index]])[0], whole[index])


def test_member_model_holds_the_cnn_weights():
    """Final CNN weights back in a keras.Sequential (Keras's shapes) give the engine's final
    measurements."""
    jobs = [(cfg, 5) for cfg in configs([
        CNN + DIGITS + ["init=he_normal", "optimizer=adam", "lr=0.01",
                        "model.kernel_size=4"],
        CNN + ODD + ["init=glorot", "activation=tanh", "model.use_bias=false",
                     "model.pooling=average"],
    ])]
    with odd_image_sets():
        trained = engine.train_many(jobs, return_weights=True)
        datas = [make_dataset(cfg.dataset, seed, cfg.eval_fraction) for cfg, seed in jobs]
    for (cfg, _), (result, _, weights), data in zip(jobs, trained, datas, strict=True):
        model = engine.member_model(cfg, data.input_shape, data.task, data.n_classes, weights)
        assert weights[0].shape == (cfg.model.kernel_size, cfg.model.kernel_size,
                                    data.input_shape[-1], cfg.model.filters)
        for layer_weights, mine in zip(model.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(layer_weights, mine)
        measured = Probe(model, data, cfg.collapse_threshold,
                         model_layers(cfg, data.task, data.n_classes)).measure()
        for key, value in measured.items():
            assert close(result[key], value, rel=1e-5, abs_=1e-7), (key, result[key], value)


@pytest.mark.parametrize("kind", ["max", "average"])
def test_pooling_and_its_gradient_are_keras_s(kind):
    """2x2 pooling of odd sizes under XLA: Keras's values; the max's gradient to the first
    maximum of each window where inputs tie (row-major), as TensorFlow routes it."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(3, 7, 5, 2)).astype(np.float32)  # many ties
    dy = rng.normal(size=(3, 3, 2, 2)).astype(np.float32)
    layer = keras.layers.MaxPooling2D(2) if kind == "max" else keras.layers.AveragePooling2D(2)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        expected = layer(xt)
    expected_grad = tape.gradient(expected, xt, output_gradients=tf.constant(dy))

    @tf.function(jit_compile=True)
    def mine(x, dy):  # (n, H, W, C) -> one member, the engine's (K, C, n, H, W)
        x = tf.transpose(x, [3, 0, 1, 2])[None]
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = conv.pool(x, kind)
        grad = tape.gradient(out, x, output_gradients=tf.transpose(dy, [3, 0, 1, 2])[None])
        return tf.transpose(out[0], [1, 2, 3, 0]), tf.transpose(grad[0], [1, 2, 3, 0])

    out, grad = mine(xt, tf.constant(dy))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_conv2d_and_its_gradients_are_keras_s(k):
    """'same' Conv2D as patches x kernel, under XLA: Keras's outputs and gradients (the
    extra padding row and column after for an even kernel)."""
    import keras

    rng = np.random.default_rng(k)
    x = rng.normal(size=(4, 6, 5, 3)).astype(np.float32)
    kernel = rng.normal(size=(k, k, 3, 2)).astype(np.float32)
    layer = keras.layers.Conv2D(2, k, padding="same", use_bias=False)
    layer.build(x.shape)
    layer.set_weights([kernel])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        expected = layer(xt)
        loss = tf.reduce_sum(tf.sin(expected))
    d_x, d_kernel = tape.gradient(loss, [xt, layer.kernel])

    @tf.function(jit_compile=True)
    def mine(x, kernel):
        x = tf.transpose(x, [3, 0, 1, 2])[None]
        unit = tf.reshape(kernel, (-1, 2))[:, :, None]
        with tf.GradientTape() as tape:
            tape.watch([x, unit])
            z = conv.conv2d(x, unit, k)
            loss = tf.reduce_sum(tf.sin(z))
        g_x, g_unit = tape.gradient(loss, [x, unit])
        return (tf.transpose(z[0], [1, 2, 3, 0]), tf.transpose(g_x[0], [1, 2, 3, 0]),
                tf.reshape(g_unit[..., 0], kernel.shape))

    z, g_x, g_kernel = mine(xt, tf.constant(kernel))
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g_x, d_x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g_kernel, d_kernel, rtol=1e-5, atol=1e-5)


# routing: what the engine takes, every registry option through it or declared Keras-only


def test_engine_supports_states_what_is_keras_only():
    assert set(support.OPTIMIZERS) == set(updates.OPTIMIZERS)
    cfgs = compose_all([[], ["model=cnn", "dataset=digits_images"],
                        ["model=rnn", "dataset=sine_forecast"], ["model.batchnorm=true"],
                        ["optimizer.clipnorm=1"]])
    verdicts = [support.engine_supports(cfg) for cfg in cfgs]
    assert [ok for ok, _ in verdicts] == [True, True, False, False, True]
    assert verdicts[2][1] == "model=rnn: recurrent layers are Keras-only"
    assert verdicts[3][1].startswith("model.batchnorm=true: BatchNormalization")
    line = support.keras_summary(cfgs + cfgs[2:3])
    assert line.startswith("3 configurations train on the Keras path")
    assert "model=rnn: recurrent layers are Keras-only (2)" in line
    assert "model.batchnorm=true" in line and support.keras_summary(cfgs[:2]) is None
    with pytest.raises(ValueError, match="model=rnn"):
        members.prepare([(cfgs[2], 0)])


# (model, dataset) a registry option is tried with, in order, until its config is valid
TINY_HOMES = (("mlp", "moons"), ("cnn", "digits_images"), ("rnn", "sine_forecast"),
              ("rnn", "tokens"))


def _home_overrides(group, option, model, data):
    overrides = [f"{group}={option}", "epochs=1", "replicates=1", "model.width=8"]
    model = option if group == "model" else model
    overrides += [] if group == "model" else [f"model={model}"]
    overrides += [] if group == "dataset" else [f"dataset={data}"]
    overrides += ["model.filters=4"] if model == "cnn" else []
    overrides += ["model.embedding=8"] if model == "rnn" and "tokens" in (data, option) else []
    return overrides


def tiny_configs():
    """{(group, option): a valid tiny config selecting it}, for every option of every
    registry: with the default model and data, else the first TINY_HOMES it is defined
    with."""
    todo = [(group, option) for group, registry in REGISTRIES.items()
            for option in registry.names()]
    found = {}
    for model, data in TINY_HOMES:
        cfgs = compose_all([_home_overrides(g, o, model, data) for g, o in todo])
        left = []
        for (group, option), cfg in zip(todo, cfgs, strict=True):
            if cfg.dataset.get("n_samples") is None or cfg.dataset.n_samples > 96:
                cfg.dataset.n_samples = 96
            try:
                validate(cfg)
            except ConfigError:
                left.append((group, option))
                continue
            found[group, option] = cfg
        todo = left
    assert not todo, f"no valid tiny configuration for {todo}"
    return found


def test_every_registry_option_trains_on_the_engine_or_is_keras_only():
    """Reading the registries: each option of each group either trains on the engine as on
    the Keras path, or engine_supports declares it Keras-only with a reason."""
    supported, keras_only = [], {}
    for (group, option), cfg in tiny_configs().items():
        ok, reason = engine.engine_supports(cfg)
        if ok:
            supported.append(((group, option), cfg))
        else:
            assert reason and "=" in reason.split(":")[0], (group, option, reason)
            keras_only[group, option] = cfg
    # recurrent models, and the data only they read
    assert keras_only and all(cfg.model.name == "rnn" for cfg in keras_only.values())
    jobs = [(cfg, 0) for _, cfg in supported]
    for ((group, option), _), (cfg, seed), ours in zip(supported, jobs, engine.train_many(jobs),
                                                       strict=True):
        theirs = train_keras(cfg, seed)
        for key, value in theirs[0].items():
            assert close(ours[0][key], value), (group, option, key, ours[0][key], value)
        assert [(e, m) for e, m, _ in ours[1]] == [(e, m) for e, m, _ in theirs[1]]


def _block(cfgs):
    from experiments.sweep.config import config_id

    return [(cfg, config_id(cfg), list(range(reps))) for cfg, reps in cfgs]


TINY = ["epochs=1", "dataset.n_samples=64"]


def test_block_rows_route_each_configuration(monkeypatch, caplog):
    """A block's configurations train where they belong, each recorded with its engine; one
    the engine fails on trains with Keras, alone, with an error naming it."""
    mlp, rnn, batchnorm, other = compose_all([
        TINY + ["lr=0.1"], TINY + ["model=rnn", "dataset=sine_forecast"],
        TINY + ["model.batchnorm=true"], TINY + ["lr=0.05", "activation=tanh"]])
    block = _block([(mlp, 2), (rnn, 1), (batchnorm, 1), (other, 1)])
    trained, engines, _ = blocks.train_block_rows(block)
    assert engines == ["batched", "keras", "keras", "batched"]
    assert [len(t) for t in trained] == [2, 1, 1, 1]
    assert all(t[r][0]["status"] == "ok" for t in trained for r in t)
    assert identical(trained[0][1][:2], engine.train_many(
        [(mlp, blocks.block_jobs(block[:1])[1][1])])[0])

    real = blocks.load_engine()

    def failing(jobs, **kw):  # fails whenever the tanh configuration is among the jobs
        if any(cfg.activation.name == "tanh" for cfg, _ in jobs):
            raise RuntimeError("engine failure")
        return real(jobs, **kw)

    monkeypatch.setattr(blocks, "load_engine", lambda: failing)
    done = []
    with caplog.at_level(logging.ERROR, logger=blocks.__name__):
        trained, engines, _ = blocks.train_block_rows(block, progress=done.append)
    assert engines == ["batched", "keras", "keras", "keras"]
    assert sum(done) == 5 and trained[3][0][0]["status"] == "ok"
    assert any(block[3][1] in r.getMessage() and "train with Keras" in r.getMessage()
               for r in caplog.records)


def test_the_sweep_names_what_trains_on_the_keras_path(tmp_path, caplog):
    from experiments.sweep.config import config_id

    cfgs = compose_all([TINY, TINY + ["model=rnn", "dataset=sine_forecast"]])
    with caplog.at_level(logging.INFO, logger=batched.__name__):
        batched.pending_blocks(cfgs, [config_id(c) for c in cfgs], tmp_path, 100)
    lines = [r.getMessage() for r in caplog.records if "Keras path" in r.getMessage()]
    assert lines == ["1 configuration trains on the Keras path, one network at a time "
                     "(model=rnn: recurrent layers are Keras-only)"]


def test_memory_plan_of_a_cnn():
    """The sweep's shape of a CNN config is the engine's (what member_bytes reads), and a
    digits CNN plans dozens of members per chunk."""
    from experiments.sweep import budget
    from experiments.training import memory

    (cfg,) = compose_all([["model=cnn", "dataset=digits_images"]])
    key = members.shape_key(members.prepare([(cfg, int(cfg.seed))])[0][0])
    assert budget.shape(cfg)[:9] == key[:9] and budget.shape(cfg)[12:14] == key[12:14]
    assert memory.member_bytes(key) > memory.member_bytes(key[:12] + ((), ()) + key[14:])
    assert 24 <= engine.default_chunk_size(key) <= 512


def test_chunks_without_a_real_member_are_not_trained():
    """Seven activations of one network each, in chunks of 3: the plan's later chunks would
    hold only padding (they were trained, and then failed to be scored)."""
    activations = ["relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh"]
    jobs = [(cfg, 0) for cfg in compose_all([TINY + [f"activation={a}"] for a in activations])]
    chunked = engine.train_many(jobs, chunk_size=3)
    assert all(identical(a, b) for a, b in zip(chunked, engine.train_many(jobs), strict=True))
