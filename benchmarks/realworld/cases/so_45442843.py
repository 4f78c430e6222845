"""One-feature binary classifier ending in a softmax over one unit, trained on MAE.

Source: https://stackoverflow.com/questions/45442843 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/45442843)
Symptom, as reported (benchmark table): loss 0.502, accuracy 0.498, i.e. chance; every row
gets the same prediction.
Settled cause: the benchmark's Correct Code (and patch table) replace
Dense(1, init='normal') + Activation('softmax') with a sigmoid output and binary
cross-entropy (it also standardizes X): a softmax over one unit is always 1.
-> softmax_single_unit (also: the unscaled input)
Original code, relevant lines:
    X = dataset[:,0:1].astype(float)          # one raw feature, 15000 .. 25000
    Y = dataset[:,1].astype(bool)
    Xtrain, Xtest = X[0:train_size,:], X[train_size:len(X),:]      # first 80 %
    model.add(Dense(1 , input_dim =1 ))
    model.add(Activation('sigmoid'))
    model.add(Dense(1 , init='normal'))
    model.add(Activation('softmax'))
    model.compile(loss='mean_absolute_error', optimizer='rmsprop',metrics=['accuracy'])
    model.fit(Xtrain, Ytrain, validation_data=(Xtest, Ytest),epochs=100,batch_size=200)
Port: the original's dataset.csv (999 rows: one integer feature uniform in 15000..25000, label
1 mostly below ~20000, 49 % positives) is replaced by generated rows of the same kind and units;
the first 80 % (800 rows) are the training rows as in the original; init='normal' is Keras 1's
RandomNormal(0, 0.05); validation_data dropped (it does not affect training); 100 epochs kept.
"""

import keras
import numpy as np

CASE = {
    "id": "so_45442843",
    "source": "https://stackoverflow.com/questions/45442843",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/45442843",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": ("unscaled_inputs",),
    "layers": ("Dense",),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.integers(15000, 25000, size=(1000, 1)).astype(float)
    y = (x[:, 0] + rng.normal(0, 1200, size=1000) < 20000)
    x, y = x[:800], y[:800].astype(bool)
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(1),
        keras.layers.Activation("sigmoid"),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.05)),
        keras.layers.Activation("softmax"),
    ])
    model.compile(loss="mean_absolute_error", optimizer="rmsprop", metrics=["accuracy"])
    return model, x, y.astype("float32"), {"epochs": 100, "batch_size": 200}
