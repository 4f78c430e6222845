"""collapse-lab experiments: configs -> trained networks -> results rows."""

from experiments import quiet_tf
from experiments.sweep import resolvers

quiet_tf.install()  # before anything imports TensorFlow
resolvers.register()
