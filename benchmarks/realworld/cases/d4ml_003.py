"""Softmax (logistic) regression on MNIST trained with a hand-written cross-entropy: NaN.

Source: https://github.com/gabrieleangeletti/Deep-Learning-TensorFlow/commit/726b371 (in
mohmehmo/defects4ml, bugs/003; also thedeepchecker/thedeepchecker GH_buggy_examples/DLT_726b371)
Symptom, as reported: the benchmark: "Because of implementing cross_entropy manually, in some
cases it shows nan value"; its test asserts the accuracy reaches 0.5, which a NaN model
(argmax of NaN = class 0 for every row) does not.
Settled cause: defects4ml bug 003, root cause "Wrong loss function calculation": the fix clips
the probabilities to [1e-10, inf) inside both logs. The vocabulary has no name for an
unclipped hand-written log loss. -> None (other)
Original code, relevant lines:
    self.W_ = tf.Variable(tf.zeros([n_features, n_classes]), name='weights')
    self.b_ = tf.Variable(tf.zeros([n_classes]), name='biases')
    self.model_output = tf.nn.softmax(tf.matmul(self.input_data, self.W_) + self.b_)
    cost = - tf.reduce_mean(ref_input * tf.log(model_output) +
                            (1 - ref_input) * tf.log(1 - model_output))
    self.train_step = tf.train.AdamOptimizer(self.learning_rate).minimize(self.cost)
    # flags: learning_rate 0.01, num_epochs 10, batch_size 10, dataset mnist (pixels in 0..1)
Port: the TF1 graph becomes Dense(10, softmax, zeros initializers) with the same loss written
with keras.ops and no clipping; Adam(0.01), batch 10, 10 epochs, per-epoch shuffling as the
original. MNIST (55000 rows, read by input_data as 0..1 floats) is replaced by
offline_data.mnist_like(2000) / 255, flattened to 784.
"""

import keras
from keras import ops

from benchmarks.realworld import offline_data

CASE = {
    "id": "d4ml_003",
    "source": "https://github.com/gabrieleangeletti/Deep-Learning-TensorFlow/commit/726b371",
    "benchmark": "mohmehmo/defects4ml: bugs/003",
    "cause": None,
    "other": "hand-written cross-entropy with unclipped log(p) and log(1 - p): log(0) -> NaN",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def manual_cross_entropy(ref_input, model_output):
    """The program's cost: -mean(y log p + (1 - y) log(1 - p)), without clipping."""
    return -ops.mean(ref_input * ops.log(model_output)
                     + (1 - ref_input) * ops.log(1 - model_output))


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    images, labels = offline_data.mnist_like(2000, seed=seed)
    x = images.reshape(len(images), 784).astype("float32") / 255.0
    y = keras.utils.to_categorical(labels, 10)
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros",
                           bias_initializer="zeros"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=manual_cross_entropy,
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 10, "batch_size": 10, "shuffle": True}
