"""collapse-lab experiments: configs -> trained networks -> results rows."""

from experiments import quiet_tf, resolvers

quiet_tf.install()  # before anything imports TensorFlow
resolvers.register()
