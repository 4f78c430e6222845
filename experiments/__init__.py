"""collapse-lab experiments: configs -> trained networks -> results rows."""
