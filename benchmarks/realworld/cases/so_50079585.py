"""Three-class image classifier (the Keras blog's small convnet) left with a binary output.

Source: https://stackoverflow.com/questions/50079585 (in Wardat-ISU/DeepLocalize,
Benchmark/StackOverflow/50079585)
Symptom, as reported (benchmark table): accuracy 0.329 on three classes (chance), i.e. the
same answer for every image; loss meaningless (9297).
Settled cause: the answer (a copy is in the stored pages corpus) and the benchmark's Correct
Code: the number of classes (three) does not match the final Dense(1) + sigmoid and
binary cross-entropy; use Dense(3) + softmax, categorical cross-entropy and
class_mode='categorical'. -> loss_output_mismatch
Original code, relevant lines:
    model.add(Conv2D(32, (3, 3), input_shape=input_shape))     # 150 x 150 x 3
    model.add(Activation('relu')); model.add(MaxPooling2D(pool_size=(2, 2)))
    ... Conv2D(32, (3, 3)) ... Conv2D(64, (3, 3)) ... each + relu + MaxPooling2D
    model.add(Flatten()); model.add(Dense(64)); model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(1))
    model.add(Activation('sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    train_datagen = ImageDataGenerator(rescale=1. / 255, shear_range=0.2, zoom_range=0.2,
                                       horizontal_flip=True)
    ... flow_from_directory(..., batch_size=batch_size, class_mode='binary')  # 3 folders
    model.fit_generator(train_generator, steps_per_epoch=979 // 16, epochs=10, ...)
Port: the 979 car-damage photos in three folders replaced by offline_data.cifar_like(976,
classes=3) at 32x32 (the model's 150x150 input downscaled); rescale 1/255 kept, the
shear/zoom/flip augmentation dropped; class_mode='binary' labels are the float class
indices 0, 1, 2, as flow_from_directory gives them; batch 16, 10 epochs, 61 steps per epoch.
"""

import keras

from benchmarks.realworld import offline_data

CASE = {
    "id": "so_50079585",
    "source": "https://stackoverflow.com/questions/50079585",
    "benchmark": "Wardat-ISU/DeepLocalize: Benchmark/StackOverflow/50079585",
    "cause": "loss_output_mismatch",
    "healthy": False,
    "also": (),
    "layers": ("Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout"),
}


def build(seed):
    """The program's model (compiled as the original), data and fit() arguments."""
    keras.utils.set_random_seed(seed)
    images, labels = offline_data.cifar_like(976, seed=seed, classes=3, size=32)
    x = images.astype("float32") * (1.0 / 255)
    y = labels.astype("float32")
    model = keras.Sequential([keras.Input((32, 32, 3))])
    for filters in (32, 32, 64):
        model.add(keras.layers.Conv2D(filters, (3, 3)))
        model.add(keras.layers.Activation("relu"))
        model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(64))
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(1))
    model.add(keras.layers.Activation("sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model, x, y, {"epochs": 10, "batch_size": 16}
