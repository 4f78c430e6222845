"""Binary image CNN (AlexNet-like head) ending in a softmax over one unit.

Source: https://stackoverflow.com/questions/58844149 (in mohmehmo/defects4ml, bugs/092; also
neuralint/neuralint sample_buggy_scripts/SO Samples/58844149.py)
Symptom, as reported: the benchmark: "model does not reach the expected accuracy level"; a
softmax over one unit outputs 1.0 for every image.
Settled cause: defects4ml bug 092, root cause "Wrong type of activation function": the fix
changes Activation("softmax") to Activation("sigmoid") on the one-unit output.
-> softmax_single_unit
Original code, relevant lines:
    model.add(Conv2D(96, kernel_size=11, padding="same", input_shape=(300, 300, 1), activation = 'relu'))
    model.add(MaxPooling2D(pool_size=(3, 3), strides=(2, 2)))
    model.add(Conv2D(128, kernel_size=3, padding="same", activation = 'relu'))
    ...
    model.add(Dense(units= 300, activation='relu'))
    model.add(Dropout(0.2))
    model.add(Dense(1))
    model.add(Activation("softmax"))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    datagen = ImageDataGenerator(featurewise_center=True, rotation_range=90, ...)
Port: the benchmark's stand-in data (500 random 300x300x1 images, labels all 0) replaced by
500 two-class images from offline_data.cifar_like, grey, 32x32, raw 0..255, labels 0/1;
featurewise_center is applied as the generator does (subtract the data set's mean); the
rotation augmentation is left out; fit_generator(batch_size=8, steps_per_epoch=len/8,
epochs=5) becomes fit(batch_size=8, epochs=2) over all rows (the symptom is there from the
first step).
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_58844149",
    "source": "https://stackoverflow.com/questions/58844149",
    "benchmark": "mohmehmo/defects4ml: bugs/092",
    "cause": "softmax_single_unit",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    images, y = offline_data.cifar_like(500, seed=seed, classes=2, size=32)
    x = images.astype("float32").mean(axis=-1, keepdims=True)  # one grey channel
    x = x - x.mean(axis=0)  # featurewise_center=True
    L = keras.layers
    model = keras.Sequential([
        keras.Input((32, 32, 1)),
        L.Conv2D(96, kernel_size=11, padding="same", activation="relu"),
        L.MaxPooling2D(pool_size=(3, 3), strides=(2, 2)),
        L.Conv2D(128, kernel_size=3, padding="same", activation="relu"),
        L.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
        L.Conv2D(128, kernel_size=3, padding="same", activation="relu"),
        L.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
        L.Flatten(),
        L.Dense(units=300, activation="relu"),
        L.Dropout(0.2),
        L.Dense(1),
        L.Activation("softmax"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y, {"epochs": 2, "batch_size": 8}
