"""XOR with a 2-4-1 sigmoid network, mean absolute error and slow SGD: outputs stay near 0.5.

Source: https://stackoverflow.com/questions/31556268 ("How to use keras for XOR") (in
ArabelaTso/DeepFD, Benchmark/Subjects/31556268)
Symptom, as reported: after 1000 epochs the predictions for [0,1] and [1,1] are
"[[ 0.49635666] [ 0.51274764]]": about the same output whatever the input.
Settled cause: the accepted answer trains far longer (50000 epochs), and converges faster with
MSE and Adam/RMSprop; DeepFD labels the fault "(1) Loss (2) Epoch (3) Learning rate
(4) Optimizer" and its patch raises SGD's learning rate 0.05 -> 0.1 with more epochs. The
optimizer moves too slowly for the epochs given. -> learning_rate_too_low
Original code, relevant lines:
    model.add(Dense(input_dim=2, output_dim=4, init="glorot_uniform"))
    model.add(Activation("sigmoid"))
    model.add(Dense(input_dim=4, output_dim=1, init="glorot_uniform"))
    model.add(Activation("sigmoid"))
    sgd = SGD(l2=0.0, lr=0.05, decay=1e-6, momentum=0.11, nesterov=True)
    model.compile(loss='mean_absolute_error', optimizer=sgd)
    train_data = np.array((list1, list2, list3, list4))  # four samples
    model.fit(train_data, label, nb_epoch=1000, batch_size=4, verbose=1, shuffle=True)
Port: the post's four XOR rows (DeepFD's copy adds a train_test_split that the post does not
have; the post's version is kept). decay=1e-6 is left out (Keras 3 has no per-step decay;
over 1000 steps it lowers the rate by 0.1 %). 1000 epochs reduced to 100 (Keras 3 spends
~75 ms per epoch on fit() overhead alone; the outputs are as flat at 100 epochs as at 1000).
"""

import keras
import numpy as np

CASE = {
    "id": "so_31556268",
    "source": "https://stackoverflow.com/questions/31556268",
    "benchmark": "ArabelaTso/DeepFD: Benchmark/Subjects/31556268",
    "cause": "learning_rate_too_low",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x = np.array([[1, 1], [1, 0], [0, 0], [0, 1]], dtype="float32")
    y = np.array([[0], [1], [0], [1]], dtype="float32")
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(4, kernel_initializer="glorot_uniform"),
        keras.layers.Activation("sigmoid"),
        keras.layers.Dense(1, kernel_initializer="glorot_uniform"),
        keras.layers.Activation("sigmoid"),
    ])
    sgd = keras.optimizers.SGD(learning_rate=0.05, momentum=0.11, nesterov=True)
    model.compile(loss="mean_absolute_error", optimizer=sgd)
    return model, x, y, {"epochs": 100, "batch_size": 4, "shuffle": True}
