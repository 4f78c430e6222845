"""A name -> implementation map per variant kind, named after its Hydra config group."""


class ConfigError(ValueError):
    """A configuration value that cannot be run; the message is one line naming the key."""


class Registry:
    """Maps option names (the YAML file names of one Hydra group) to implementations.

    Example:
        INIT = Registry("init")

        @INIT.register("zeros")
        def zeros(params, seed): ...
    """

    def __init__(self, group):
        self.group = group
        self._items = {}

    def register(self, name):
        def add(fn):
            if name in self._items:
                raise ValueError(f"{self.group}: {name!r} registered twice")
            self._items[name] = fn
            return fn

        return add

    def get(self, name):
        if name not in self._items:
            raise ConfigError(
                f"{self.group}={name!r} is not an option; allowed: {', '.join(self.names())}"
            )
        return self._items[name]

    def names(self):
        return sorted(self._items)

    def __contains__(self, name):
        return name in self._items
