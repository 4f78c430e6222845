"""A sweep's job configurations, composed by Hydra once per option rather than once per job.

Hydra composes one job in ~0.1 s (defaults list, file merges, deep copies): a 6,000-job sweep
would spend ten minutes there. Hydra applies a job's overrides in two steps:
  1. group choices (`init=zeros`, `experiment=seed_claims`, `+group=option`, `~group`) choose the
     files that are merged;
  2. value overrides (`lr=0.1`, `dataset.n_samples=16`, `+key=value`, `++key=value`, `~key`) are
     then applied to the merged config, in command-line order.
`Composer` does step 1 once per combination of group choices, and a combination is built from
one Hydra composition per option: when choosing `init=zeros` changes nothing but the `init` node
(an option that writes only its own package, the usual case), the combination `init=zeros
activation=tanh` is the composition without them with those two nodes taken from the two
single-option compositions. An option that changes more (a `# @package _global_` preset, an
option that overrides another group) is composed by Hydra together with the job's other choices.

Step 2 has two forms:
  - `compose` applies the value overrides with Hydra's own function to a copy of the merged
    DictConfig (with or without the hydra node): what Hydra's launchers run;
  - `compose_plain` gives what training reads, the resolved configuration as plain Python data
    (`Plain`: a dict read like a DictConfig, `cfg.model.depth`). Plain `key=value`, `+key=value`
    and `++key=value` overrides of scalar values are set directly on a copy of plain data, ~100
    times cheaper than copying a DictConfig; anything else (interpolations, deletions, lists and
    dicts, a key that does not exist) goes through `compose`, so that Hydra decides.
tests/test_compose.py checks both against Hydra's `load_sweep_config` on hundreds of jobs.

Example:
    composer = Composer(hydra_context.config_loader, sweep_config)
    cfg = composer.compose_plain(["init=zeros", "lr=0.1"])          # training reads this
    full = composer.compose(["init=zeros", "lr=0.1"], hydra=True)   # as Hydra's launchers see it
"""

import copy
import sys

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from omegaconf import OmegaConf, open_dict

from experiments.variants.registry import ConfigError

# What Hydra records of a job's own overrides; every other part of the hydra node is the sweep's.
_JOB_RECORDS = ("overrides", "runtime.choices", "job.override_dirname")
_ABSENT = object()


class Plain(dict):
    """A resolved configuration as plain data, read like a DictConfig: `cfg.lr`, `cfg["lr"]`,
    `cfg.get("claim")`, `"value" in cfg.init`. Treat it as read-only."""

    __slots__ = ()

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"Key '{key}' is not in the configuration") from None


def plain(data):
    """`data` (dicts, lists and scalars) with every dict a Plain."""
    if isinstance(data, dict):
        return Plain((k, plain(v)) for k, v in data.items())
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def _copied(data):
    """A deep copy of plain data (dicts, lists, scalars); faster than copy.deepcopy."""
    if isinstance(data, dict):
        return {k: _copied(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copied(v) for v in data]
    return data


def _unresolved(data):
    """True if plain data holds an interpolation or a missing value ('???')."""
    if isinstance(data, dict):
        return any(_unresolved(v) for v in data.values())
    if isinstance(data, list):
        return any(_unresolved(v) for v in data)
    return isinstance(data, str) and ("${" in data or data == "???")


def unknown_option(exc):
    """ConfigError with one line for Hydra's MissingConfigException of a group option.

    Example: `init='foo' is not an option; allowed: constant, glorot, ...`.
    """
    missing = str(exc.missing_cfg_file or "")
    group, _, name = missing.rpartition("/")
    options = [o for o in (exc.options or []) if not o.startswith("_")]
    if not group or not options:  # e.g. a missing primary config: Hydra's first line
        return ConfigError(str(exc).strip().splitlines()[0])
    return ConfigError(f"{group}={name!r} is not an option; allowed: {', '.join(options)}")


def hydra_error_line(exc):
    """One line for a Hydra composition error: its message lines joined, and for a failed
    merge ("Error merging override ...") the first line of its cause."""
    if isinstance(exc, MissingConfigException):
        return str(unknown_option(exc))
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    cause = exc.__cause__
    if lines and lines[0].startswith("Error merging") and cause and str(cause).strip():
        lines.append(str(cause).strip().splitlines()[0])
    text = ""
    for line in lines:
        text += ("" if not text else " " if text.endswith((".", ":")) else "; ") + line
    return text


def _sweep_part(cfg):
    """The hydra node without what Hydra records of the job's own overrides (plain dicts)."""
    node = OmegaConf.to_container(cfg.hydra)
    for path in _JOB_RECORDS:
        *parents, key = path.split(".")
        owner = node
        for parent in parents:
            owner = owner[parent]
        del owner[key]
    return node


def _task_part(cfg):
    """The configuration without its hydra node, as plain containers (interpolations kept)."""
    return {k: v for k, v in OmegaConf.to_container(cfg).items() if k != "hydra"}


def _set_plain(data, override):
    """Apply a value override to plain data as Hydra would; False if this is not a plain case
    (then nothing is decided here: the caller lets Hydra apply it)."""
    if override.package or override.is_delete() or override.is_sweep_override():
        return False
    value = override.value()
    if isinstance(value, (dict, list)) or (isinstance(value, str) and _unresolved(value)):
        return False
    *parents, key = override.key_or_group.split(".")
    node = data
    for parent in parents:
        node = node.get(parent) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return False
    current = node.get(key, _ABSENT)
    if isinstance(current, (dict, list)):  # merged into, not replaced: Hydra's business
        return False
    if override.is_add() and current is not _ABSENT and current is not None:
        return False  # Hydra refuses to add what is there
    if not (override.is_add() or override.is_force_add()) and current is _ABSENT:
        return False  # Hydra refuses to set what is not there (struct mode)
    node[key] = value
    return True


class Composer:
    """Composes the job configurations of one sweep, sharing Hydra's work between jobs.

    Args:
        loader: Hydra's config loader (`hydra_context.config_loader`).
        sweep_config: The sweep's own (master) configuration, with its `hydra` node.
    """

    def __init__(self, loader, sweep_config):
        self.loader, self.sweep_config = loader, sweep_config
        self.parser = OverridesParser.create(config_loader=loader)
        # The repository Hydra composes from (hydra.searchpath included), to tell which override
        # keys are config groups.
        _, self.repo = loader._parse_overrides_and_create_caching_repo(
            sweep_config.hydra.job.config_name, list(sweep_config.hydra.overrides.hydra))
        self._parsed, self._is_group, self._composed, self._own = {}, {}, {}, {}
        self._choices, self._bases, self._plain_bases = {}, {}, {}

    def compose(self, overrides, hydra=False):
        """The configuration (a DictConfig) of the job with `overrides`.

        Args:
            overrides: The job's overrides (strings), as the sweeper made them.
            hydra: Keep the `hydra` node (as Hydra's launchers compose it) or leave it out.

        Raises:
            Hydra's ConfigCompositionException (or a subclass), as Hydra would.
        """
        parsed, choices, values = self._split(overrides, hydra)
        cfg = copy.deepcopy(self._base(choices, hydra))
        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        if hydra:
            self._record_overrides(cfg, parsed)
        OmegaConf.copy_cache(from_config=self.sweep_config, to_config=cfg)
        return cfg

    def compose_plain(self, overrides):
        """The resolved configuration of the job with `overrides`, as a Plain (no hydra node):
        what `compose(overrides)` resolves to.

        Raises:
            Hydra's ConfigCompositionException (or a subclass), as Hydra would.
        """
        _, choices, values = self._split(overrides, hydra=False)
        base = self._plain_base(choices)
        if base is not None:
            data = _copied(base)
            if all(_set_plain(data, o) for o in values):
                return plain(data)
        return plain(OmegaConf.to_container(self.compose(overrides), resolve=True))

    def _split(self, overrides, hydra):
        """(parsed overrides, group choices, value overrides to apply)."""
        parsed = [self._parse(line) for line in overrides]
        choices = tuple(o.input_line for o in parsed if self._group_choice(o))
        values = [o for o in parsed if not self._group_choice(o)
                  and (hydra or not o.is_hydra_override())]  # hydra.* lives in the hydra node
        return parsed, choices, values

    def _parse(self, line):
        if line not in self._parsed:
            self._parsed[line] = self.parser.parse_override(line)
        return self._parsed[line]

    def _group_choice(self, override):
        """True if Hydra treats `override` as a choice of config files (step 1 above)."""
        key = override.key_or_group
        if key not in self._is_group:
            self._is_group[key] = self.repo.group_exists(key)
        return self._is_group[key] and not isinstance(override.value(), dict)

    def _hydra_compose(self, choices):
        """Hydra's own composition for a tuple of group-choice overrides; cached."""
        if choices not in self._composed:
            self._composed[choices] = self.loader.load_sweep_config(self.sweep_config,
                                                                    list(choices))
        return self._composed[choices]

    def _own_node(self, rest, choice):
        """({group: node}, choices) that `choice` alone sets beside the choices `rest`, or None.

        None unless composing `rest + (choice,)` differs from composing `rest` only in the node
        named like the choice's group and in Hydra's record of the job's choices.
        """
        if (rest, choice) in self._own:
            return self._own[rest, choice]
        override, node = self._parse(choice), None
        group = override.key_or_group
        simple = not (override.is_add() or override.is_delete() or override.package)
        base = self._hydra_compose(rest)
        if simple and "/" not in group and base.hydra.runtime.choices.get(group) == (
                override.value()):  # the option chosen anyway: its node is already there
            node = {}, {}
        elif simple and "/" not in group:
            alone = self._hydra_compose(rest + (choice,))
            mine, theirs = _task_part(alone), _task_part(base)
            same_rest = set(mine) == set(theirs) and group in theirs and all(
                mine[k] == theirs[k] for k in theirs if k != group)
            if same_rest and _sweep_part(alone) == _sweep_part(base):
                before = base.hydra.runtime.choices
                node = {group: alone[group]}, {k: v for k, v in alone.hydra.runtime.choices.items()
                                               if before.get(k) != v}
        self._own[rest, choice] = node
        return node

    def _factored(self, choices):
        """(rest, own): the choices Hydra composes together, and the ({group: node}, choices)
        of each choice taken node by node (see the module docstring); cached."""
        if choices in self._choices:
            return self._choices[choices]
        groups = [self._parse(choice).key_or_group for choice in choices]
        if len(set(groups)) < len(groups):  # a group chosen twice: Hydra's composition decides
            rest, single = choices, ()
        else:
            rest, single = (), choices
        while True:  # until every choice taken node by node was checked beside the final rest
            own = [(c, self._own_node(rest, c)) for c in single if c not in rest]
            more = tuple(c for c, node in own if node is None)
            if not more:
                break
            rest += more
        self._choices[choices] = rest, [node for _, node in own]
        return self._choices[choices]

    def _base(self, choices, hydra):
        """The DictConfig merged for a tuple of group choices (with or without the hydra node);
        cached."""
        if (choices, hydra) not in self._bases:
            rest, own = self._factored(choices)
            cfg = self._hydra_compose(rest)
            if hydra:
                cfg = copy.deepcopy(cfg)
            else:  # copy all but the hydra node
                cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
                OmegaConf.set_struct(cfg, True)  # as Hydra leaves the root
            with open_dict(cfg):
                for nodes, choices_set in own:
                    for key, node in nodes.items():
                        cfg[key] = node
                    if hydra:
                        cfg.hydra.runtime.choices.update(choices_set)
            self._bases[choices, hydra] = cfg
        return self._bases[choices, hydra]

    def _plain_base(self, choices):
        """The merged configuration for a tuple of group choices as plain data, or None if it
        holds interpolations or missing values (they need OmegaConf); cached."""
        if choices not in self._plain_bases:
            rest, own = self._factored(choices)
            if (rest, "plain") not in self._plain_bases:
                self._plain_bases[rest, "plain"] = _task_part(self._hydra_compose(rest))
            data = dict(self._plain_bases[rest, "plain"])
            for nodes, _ in own:
                for key, node in nodes.items():
                    data[key] = OmegaConf.to_container(node)
            self._plain_bases[choices] = None if _unresolved(data) else data
        return self._plain_bases[choices]

    def _record_overrides(self, cfg, parsed):
        """Set what Hydra records of a job's overrides."""
        task = [o for o in parsed if not o.is_hydra_override()]
        hydra_lines = [o.input_line for o in parsed if o.is_hydra_override()]
        cfg.hydra.overrides.task = [o.input_line for o in task]
        cfg.hydra.overrides.hydra = list(self.sweep_config.hydra.overrides.hydra) + hydra_lines
        dirname = cfg.hydra.job.config.override_dirname
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=task, kv_sep=dirname.kv_sep, item_sep=dirname.item_sep,
            exclude_keys=dirname.exclude_keys)


def validate_jobs(loader, sweep_config, job_overrides):
    """Compose every job of a sweep and validate it; exit with one line on the first bad one.

    Args:
        loader: Hydra's config loader.
        sweep_config: The sweep's own configuration.
        job_overrides: One override list per job.

    Returns:
        Every job's resolved configuration, a Plain (no hydra node).
    """
    from experiments.sweep.config import validate  # its registries: only once a sweep starts

    composer, configs = Composer(loader, sweep_config), []
    for overrides in job_overrides:
        try:
            cfg = composer.compose_plain(list(overrides))
            validate(cfg)
        except (ConfigError, HydraException) as exc:
            message = str(exc) if isinstance(exc, ConfigError) else hydra_error_line(exc)
            job = " ".join(o for o in overrides if not o.startswith("hydra."))
            print(f"collapse-lab: {message} (job: {job}); nothing was trained", file=sys.stderr)
            sys.exit(2)
        configs.append(cfg)
    return configs
