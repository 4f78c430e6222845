"""Peptide CCS regression (ProteomicsML ion-mobility tutorial): BiLSTM + charge branch, ReLU output.

Source: https://github.com/ProteomicsML/ProteomicsML/pull/203 (tutorial notebook
tutorials/ionmobility/_meier-tims-ccs.ipynb of ProteomicsML/ProteomicsML)
Symptom, as reported: "I got LSTM network returning constantly 0 for all peptides in validation
set."
Settled cause: the pull request's author (who hit the symptom) diagnoses and fixes it: "The
reason seems to be using ReLU activation at the final linear layer. In case of unlucky
initialization the (pre-ReLU) output of the final linear layer can be always or almost always
negative vanishing the gradient"; the fix removes the ReLU from Dense(1). -> output_range_mismatch
(a ReLU output unit that died; fixed by a linear output)
Original code, relevant lines:
    input_a = Input(shape=(None, one_hot_encoded_train.shape[2]))   # (n, 24, 60) one-hot
    a = Bidirectional(LSTM(num_lstm, return_sequences=True))(input_a)
    a = Bidirectional(LSTM(num_lstm))(a)
    input_b = Input(shape=(1,))
    b = Dense(5, activation="relu")(input_b)
    c = concatenate([a.output, b.output], axis=-1)
    c = Dense(64, activation="relu")(c)
    c = Dense(32, activation="relu")(c)
    c = Dense(1, activation="relu")(c)
    model.compile(optimizer="adam", loss="mean_squared_error")
    model.fit((one_hot_encoded_train, ccs_df_train.loc[:, "Charge"]), ccs_df_train.loc[:, "CCS"],
              epochs=epochs, batch_size=128, validation_split=0.1)
Port: the Meier et al. CCS table is replaced by generated peptides (random sequences of the 20
amino acids, length 7..30, charge 2..4) with a CCS in raw units (~300..1100, rising with length,
volume and charge), one-hot encoded as the tutorial does (24 letters x 60 positions; the LSTM
runs over the 24 letter rows, as in the original); 800 rows, num_lstm 12 (the tutorial's small-
data setting); 100 epochs reduced to 2 (a dead output unit gets no gradient, so more epochs change
nothing). Whether the output unit is dead from the start depends on the initialization (the PR's
"unlucky initialization", about 1 in 6 here): build() takes the first initialization, in a fixed
order derived from the seed, whose output is 0 for every training row. With a live output unit
and only a few epochs the port would instead show a slow climb toward the raw CCS values, which is
not the reported symptom.
"""

import keras
import numpy as np

CASE = {
    "id": "gh_ProteomicsML_ProteomicsML_203",
    "source": "https://github.com/ProteomicsML/ProteomicsML/pull/203",
    "benchmark": "",
    "cause": "output_range_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Bidirectional", "LSTM", "Dense", "Concatenate"),
}

_LETTERS = "ABCDEFGHIJKLMNOPQRSTVWXY"  # the tutorial's vol_dict keys, in order (24 rows)
_VOLUME = {"A": 88.6, "C": 108.5, "D": 111.1, "E": 138.4, "F": 189.9, "G": 60.1, "H": 153.2,
           "I": 166.7, "K": 168.6, "L": 166.7, "M": 162.9, "N": 114.1, "P": 112.7, "Q": 143.8,
           "R": 173.4, "S": 89.0, "T": 116.1, "V": 140.0, "W": 227.8, "Y": 193.6}


def _peptides(n, seed):
    rng = np.random.default_rng(seed)
    amino = np.array(sorted(_VOLUME))
    onehot = np.zeros((n, len(_LETTERS), 60), np.int8)
    charge = rng.integers(2, 5, size=n).astype(np.float64)
    ccs = np.empty(n)
    for i in range(n):
        seq = rng.choice(amino, size=rng.integers(7, 31))
        for pos, aa in enumerate(seq):
            onehot[i, _LETTERS.index(aa), pos] = 1
        volume = sum(_VOLUME[aa] for aa in seq)
        ccs[i] = 180 + 0.09 * volume + 60 * charge[i] + rng.normal(0, 15)
    return onehot, charge, ccs


def _model(num_lstm, features):
    input_a = keras.Input(shape=(None, features))
    a = keras.layers.Bidirectional(keras.layers.LSTM(num_lstm, return_sequences=True))(input_a)
    a = keras.layers.Bidirectional(keras.layers.LSTM(num_lstm))(a)
    input_b = keras.Input(shape=(1,))
    b = keras.layers.Dense(5, activation="relu")(input_b)
    c = keras.layers.concatenate([a, b], axis=-1)
    c = keras.layers.Dense(64, activation="relu")(c)
    c = keras.layers.Dense(32, activation="relu")(c)
    c = keras.layers.Dense(1, activation="relu")(c)
    return keras.Model(inputs=[input_a, input_b], outputs=c)


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    onehot, charge, ccs = _peptides(800, seed)
    x = [onehot.astype("float32"), charge.reshape(-1, 1)]
    # The reported run had an "unlucky initialization": the first initialization (in a fixed
    # order from the seed) whose ReLU output is 0 for every training peptide.
    for k in range(200):
        keras.utils.set_random_seed(1000 * seed + k)
        model = _model(12, onehot.shape[2])
        if not np.any(keras.ops.convert_to_numpy(model(x, training=False))):
            break
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model, x, ccs, {"epochs": 2, "batch_size": 128, "validation_split": 0.1}
