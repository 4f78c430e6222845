"""Conv3D stack (channels_first convolutions, channels_last pooling) whose output layer is a
softmax over one unit, trained with a Poisson loss.

Source: https://stackoverflow.com/questions/63212385 ("Keras CNN model accuracy not improving
and decreasing over epoch?"), in ali-ghanbari/deepmufl-ase-2023, Dataset/all-bugs/63212385/bug.py
Symptom, as reported: the title: accuracy does not improve over the epochs.
Settled cause: deepmufl's bug.py and its labelled fault; the thread itself was not available.
The benchmark's reduced program keeps, as its fault, the single-unit softmax output
(exp(x)/exp(x) = 1 for every input). -> softmax_single_unit
Original code (the benchmark's bug.py), relevant lines (the Conv3D/MaxPooling3D pair repeats
four times, with BatchNormalization after the 2nd and 4th pair):
    input_shape = (64, 64, 40, 20)
    X_train, y_train = make_classification(100, 64 * 64 * 40 * 20)
    model.add(Conv3D(64, kernel_size=(3, 3, 3), activation='relu', input_shape=input_shape, kernel_regularizer=l2(0.005),
                     bias_regularizer=l2(0.005), data_format='channels_first', padding='same'))
    model.add(MaxPooling3D(pool_size=(2, 2, 2)))
    model.add(BatchNormalization(center=True, scale=True))
    model.add(Flatten()); model.add(BatchNormalization(center=True, scale=True))
    model.add(Dense(128, activation='relu', kernel_regularizer=l2(0.01), bias_regularizer=l2(0.01)))
    model.add(Dropout(0.5))
    model.add(Dense(128, activation='sigmoid', kernel_regularizer=l2(0.01), bias_regularizer=l2(0.01)))
    model.add(Dense(1, activation='softmax', kernel_regularizer=l2(0.01), bias_regularizer=l2(0.01)))
    model.compile(optimizer=SGD(learning_rate=0.000001), loss='poisson', metrics=['accuracy', Precision(), Recall()])
    model.fit(X_train, y_train, batch_size=BATCH_SIZE, epochs=50, verbose=1, shuffle=True)  # BATCH_SIZE = 64
Port: TensorFlow has no CPU kernel for a channels_first Conv3D, so each one is written as
Permute((2, 3, 4, 1)) -> the same Conv3D in channels_last -> Permute((4, 1, 2, 3)), which
computes the same thing on the same (channels-first) tensor; the MaxPooling3D and
BatchNormalization layers keep the original's default channels_last reading of that tensor.
Each row is 32 x 32 x 20 x 10 instead of 64 x 64 x 40 x 20 (every axis halved, for memory
and time; the four poolings still fit); same make_classification data otherwise; 50 epochs
reduced to 2 (the output is 1 for every input from the first step).
"""

import keras
from sklearn.datasets import make_classification

CASE = {
    "id": "so_63212385",
    "source": "https://stackoverflow.com/questions/63212385",
    "benchmark": "ali-ghanbari/deepmufl-ase-2023: Dataset/all-bugs/63212385/bug.py",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Permute", "Conv3D", "MaxPooling3D", "BatchNormalization", "Flatten", "Dense",
               "Dropout"),
}

SHAPE = (32, 32, 20, 10)  # the original's (64, 64, 40, 20), each axis halved


def _conv_channels_first(l2):
    """Conv3D(64, 3, channels_first, same) on a channels-first tensor, via channels_last."""
    return [
        keras.layers.Permute((2, 3, 4, 1)),
        keras.layers.Conv3D(64, kernel_size=(3, 3, 3), activation="relu", padding="same",
                            kernel_regularizer=l2(0.005), bias_regularizer=l2(0.005)),
        keras.layers.Permute((4, 1, 2, 3)),
    ]


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    n_features = SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3]
    x, y = make_classification(100, n_features, random_state=seed)
    x = x.reshape(-1, *SHAPE).astype("float32")
    l2 = keras.regularizers.l2
    layers = [keras.Input(SHAPE)]
    for _block in range(2):
        for _ in range(2):
            layers += _conv_channels_first(l2)
            layers.append(keras.layers.MaxPooling3D(pool_size=(2, 2, 2)))
        layers.append(keras.layers.BatchNormalization(center=True, scale=True))
    layers += [
        keras.layers.Flatten(),
        keras.layers.BatchNormalization(center=True, scale=True),
        keras.layers.Dense(128, activation="relu", kernel_regularizer=l2(0.01),
                           bias_regularizer=l2(0.01)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(128, activation="sigmoid", kernel_regularizer=l2(0.01),
                           bias_regularizer=l2(0.01)),
        keras.layers.Dense(1, activation="softmax", kernel_regularizer=l2(0.01),
                           bias_regularizer=l2(0.01)),
    ]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.000001), loss="poisson",
                  metrics=["accuracy", keras.metrics.Precision(), keras.metrics.Recall()])
    return model, x, y, {"batch_size": 64, "epochs": 2, "shuffle": True}
