"""MNIST convnet whose labels were divided by 255 instead of the test images.

Source: https://stackoverflow.com/questions/59325381 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/59325381)
Symptom, as reported (benchmark table): loss 11023, accuracy 0.098 (chance for 10 digits);
the model answers one class for every image.
Settled cause: the benchmark's Correct Code (and patch table) delete `y_train = y_train/255`
(it was meant to be `x_test = x_test/255`) and one-hot encode the labels: the labels 0..9
became 0 .. 0.035, which sparse categorical cross-entropy reads as class 0 for every image,
so the labels no longer follow the inputs. -> label_noise (wrong labels)
Original code, relevant lines:
    x_train = x_train/255
    y_train = y_train/255
    x_train = x_train.reshape(60000,28,28,1)
    y_train = y_train.reshape(60000,1)
    keras.layers.Conv2D(64,(3,3),strides= (1,1),padding = "same",input_shape=(28,28,1)),
    keras.layers.MaxPooling2D(pool_size = (2,2),padding = "valid"),
    keras.layers.Conv2D(32,(3,3),strides= (1,1),padding = "same"),
    keras.layers.MaxPooling2D(pool_size = (2,2),padding = "valid"),
    keras.layers.Flatten(), keras.layers.Dense(128), keras.layers.Activation("relu"),
    keras.layers.Dense(10), keras.layers.Activation("softmax")])
    model.compile(optimizer = "adam", loss = "sparse_categorical_crossentropy", ...)
    model.fit(x_train,y_train,epochs=2)
Port: MNIST's 60000 images replaced by offline_data.mnist_like(1000) (28x28 uint8 0..255,
digits 0..9), preprocessed as the original (x/255, y/255, reshapes); 2 epochs, default batch
size 32 kept.
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_59325381",
    "source": "https://stackoverflow.com/questions/59325381",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/59325381",
    "cause": "label_noise",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    x, y = offline_data.mnist_like(1000, seed=seed)
    x = x / 255
    y = y / 255
    x = x.reshape(len(x), 28, 28, 1)
    y = y.reshape(len(y), 1)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(64, (3, 3), strides=(1, 1), padding="same"),
        keras.layers.MaxPooling2D(pool_size=(2, 2), padding="valid"),
        keras.layers.Conv2D(32, (3, 3), strides=(1, 1), padding="same"),
        keras.layers.MaxPooling2D(pool_size=(2, 2), padding="valid"),
        keras.layers.Flatten(),
        keras.layers.Dense(128),
        keras.layers.Activation("relu"),
        keras.layers.Dense(10),
        keras.layers.Activation("softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, x, y, {"epochs": 2, "batch_size": 32}
