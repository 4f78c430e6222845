"""collapse-lab experiments: configs -> trained networks -> results rows."""

from experiments import resolvers

resolvers.register()
