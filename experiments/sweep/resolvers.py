"""OmegaConf resolvers the presets use; registered when `experiments` is imported.

`${epochs_for_steps:STEPS,N_TRAIN,BATCH}` gives the number of epochs that makes STEPS SGD steps
for N_TRAIN training rows in batches of BATCH (the last batch of an epoch may be partial), so
a grid over the training-set size trains every network for the same number of updates:

    epochs: ${epochs_for_steps:640,${dataset.n_samples},${batch_size}}   # with eval_samples set
"""

import math

from omegaconf import OmegaConf


def epochs_for_steps(steps, n_train, batch_size):
    """Epochs of ceil(n_train / batch_size) steps each that make at least `steps` steps.

    Examples:
        epochs_for_steps(640, 8, 32) -> 640; (640, 64, 32) -> 320; (640, 1024, 32) -> 20.
    """
    per_epoch = math.ceil(int(n_train) / int(batch_size))
    return math.ceil(int(steps) / per_epoch)


def register():
    """Register the resolvers once per process (a no-op when they exist)."""
    if not OmegaConf.has_resolver("epochs_for_steps"):
        OmegaConf.register_new_resolver("epochs_for_steps", epochs_for_steps)
