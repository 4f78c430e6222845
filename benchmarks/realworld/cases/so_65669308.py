"""Word-embedding text classifier whose output is a softmax over one unit.

Source: https://stackoverflow.com/questions/65669308 ("Why does my Tensorflow Keras model output
weird loss and accuracy values while training?"), in ali-ghanbari/deepmufl-ase-2023,
Dataset/all-bugs/65669308/bug.py (with its dataset.txt)
Symptom, as reported: the title: loss and accuracy values that make no sense and do not move.
Settled cause: the thread is not in the stored search corpus and deepmufl keeps no fix file; the
benchmark's reduced program ends in Dense(1, activation='softmax'), which is 1.0 for every
sentence. -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines:
    tokenizer = Tokenizer(num_words=vocab_size, oov_token="<OOV>")   # vocab_size = 100
    training_padded = pad_sequences(training_sequences, maxlen=max_length, padding="post")  # 10
    tf.keras.layers.Embedding(vocab_size, 24, input_length=max_length),
    tf.keras.layers.GlobalAveragePooling1D(),
    tf.keras.layers.Dense(24, activation='relu'),
    tf.keras.layers.Dense(1, activation='softmax')
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    history = model.fit(training_padded, training_labels, epochs=num_epochs, ...)  # 1000 epochs
Port: the benchmark's dataset.txt (nine sentences "{s,t,j}ample text {1,2,3}" labelled 0..2,
first 80% for training) rebuilt in code and tokenized as Keras 2's Tokenizer does (index 1 =
<OOV>, then words by frequency), padded at the end to 10; validation_data dropped; 1000 epochs
reduced to 50.
"""

from collections import Counter

import keras
import numpy as np

CASE = {
    "id": "so_65669308",
    "source": "https://stackoverflow.com/questions/65669308",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/65669308/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": ("too_little_data",),
    "layers": ("Embedding", "GlobalAveragePooling1D", "Dense"),
}


def _data():
    sentences, labels = [], []
    for first in ("sample", "tample", "jample"):
        for n in (1, 2, 3):
            sentences.append(f"{first} text {n}")
            labels.append(n - 1)
    counts = Counter(word for s in sentences for word in s.split())
    order = sorted(counts, key=lambda w: -counts[w])  # stable: ties keep first appearance
    index = {w: i + 2 for i, w in enumerate(order)}  # 1 is the <OOV> token
    seqs = np.zeros((len(sentences), 10), np.int64)
    for row, s in enumerate(sentences):
        ids = [index.get(w, 1) for w in s.split()][:10]
        seqs[row, :len(ids)] = ids
    return seqs, np.asarray(labels, np.float32).reshape(-1, 1)


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = _data()
    training_size = round(len(x) / 100 * 80)
    model = keras.Sequential([
        keras.Input((10,), dtype="int64"),
        keras.layers.Embedding(100, 24),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(24, activation="relu"),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x[:training_size], y[:training_size], {"epochs": 50}
