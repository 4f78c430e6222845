"""The batched path: many tiny networks trained as one compiled TensorFlow computation.

`train_keras` (experiments.training.keras) trains one network with `model.fit`; almost all
of its time is Keras's per-step overhead. `train_many` trains K networks of one shape together:
every weight tensor gets a trailing member axis (kernel (fan_in, fan_out, K), bias (units, K);
a Conv2D kernel in unit form, (k * k * in, filters, K)), so a training step is a handful of
element-wise operations and batched products over all members at once, and a whole epoch (its
batch loop included) is one XLA-compiled `tf.function` call. model=mlp and model=cnn train
here (an mlp reads images flattened); what does not (recurrent models, batchnorm) says
`engine_supports`, and the sweep trains it with Keras (experiments.sweep.blocks).

It replicates what `model.fit` does for each member, step by step (see docs of each part):
the same seeded initial weights, the same batch order, Keras's losses (from logits), weight
penalties, optimizer update rules, dropout masks (the same Philox random numbers), loss
averaging and TerminateOnNaN; results and history are scored with the same functions
(experiments.metrics) in the same format as `train_keras`. Members only meet in the member
axis: a diverging member never changes the numbers of the others.

Members of one computation must share the network and data shapes (see members.shape_key); they
may differ in initializer, learning rate, activation, optimizer, regularization, dropout rate,
dataset content and seed.

Modules, by concept: support (which configurations the engine takes; no TensorFlow), members
(jobs read and prepared: data, initial weights, batch orders), updates (Keras's optimizer rules),
dropout (TensorFlow's random numbers), conv (Conv2D and pooling on the member axis), program
(the compiled programs), compile_cache (compiled programs kept on disk between processes), plan
(members split into chunks), chunk (a chunk's arrays), results (scoring and result rows) and
train (train_many, which runs them).

Importing the package loads no TensorFlow: train_many, member_model, default_chunk_size and
stateless_uniform load it at their first use (`engine.train_many`), so the sweep's process can
ask `engine_supports` without it.

Example:
    results = train_many([(cfg, seed) for seed in range(3)])
    result, history = results[0]
"""

from experiments.training.engine import compile_cache

compile_cache.enable()  # before TensorFlow loads

from experiments.training.engine.support import engine_supports  # noqa: E402

_LAZY = {"default_chunk_size": "plan", "member_model": "train", "stateless_uniform": "dropout",
         "train_many": "train"}

__all__ = ["default_chunk_size", "engine_supports", "member_model", "stateless_uniform",
           "train_many"]


def __getattr__(name):
    """The TensorFlow-backed names, imported at their first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
