"""Two-feature binary classifier (sigmoid MLP) whose accuracy stays near 50 %.

Source: https://stackoverflow.com/questions/50306988 (in mohmehmo/defects4ml, bugs/078)
Symptom, as reported: the benchmark: "accuracy of the model stays near 50 %" (the model
gives about the same output for every input after training).
Settled cause: defects4ml bug 078, root cause "Suboptimal learning rate": the fix replaces
the default RMSprop (lr 0.001) by Adam(lr=1e-1). -> learning_rate_too_low
Original code, relevant lines:
    cls0 = np.random.uniform(low=0.2, high=0.4, size=(n_samples,n_feats))
    cls1 = np.random.uniform(low=0.5, high=0.7, size=(n_samples,n_feats))
    model.add(Dense(2, activation='sigmoid', input_shape=(n_feats,)))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    history = model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=True)
Port: the program generates its own data; it is generated the same way here (seeded).
Nothing reduced.
"""

import keras
import numpy as np

CASE = {
    "id": "so_50306988",
    "source": "https://stackoverflow.com/questions/50306988",
    "benchmark": "mohmehmo/defects4ml: bugs/078",
    "cause": "learning_rate_too_low",
    "healthy": False,
    "also": (),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    n_samples, n_feats = 200, 2
    cls0 = rng.uniform(0.2, 0.4, size=(n_samples, n_feats))
    cls1 = rng.uniform(0.5, 0.7, size=(n_samples, n_feats))
    x = np.concatenate((cls0, cls1))
    y = np.concatenate((np.zeros(n_samples), np.ones(n_samples)))
    order = rng.permutation(len(x))  # the original shuffles its class blocks
    x, y = x[order], y[order]
    model = keras.Sequential([
        keras.Input((n_feats,)),
        keras.layers.Dense(2, activation="sigmoid"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model, x, y, {"epochs": 5, "batch_size": 32}
