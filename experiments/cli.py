"""A check of the command line that answers before Hydra composes anything.

Hydra reports an unknown option (`python run.py init=foo`) with its list of options and its
config search path, over a dozen lines, and exit status 1. `check_options` answers first with
one line naming the group, the value and the options, and exit status 2 like every other
refusal:

    collapse-lab: init='foo' is not an option; allowed: constant, glorot, ...

It reads the options from Hydra's own config repository (so `hydra.searchpath` additions
count) and leaves everything else, including malformed command lines, to Hydra.
"""

import sys


def _chosen(override):
    """The option names an override of a config group chooses (none for deletions, globs)."""
    if override.is_delete():
        return []
    if override.is_sweep_override():
        if not override.is_choice_sweep():
            return []
        return [v for v in override.sweep_string_iterator() if not v.startswith("glob(")]
    value = override.value()
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def unknown_options(argv, conf_dir, config_name="config"):
    """One line per value of a config group in `argv` that names no option of that group.

    Args:
        argv: The command line after the program name.
        conf_dir: The primary config folder (run.py's `conf/`).
        config_name: The primary config's name.

    Returns:
        A list of messages (empty when every option exists, or when Hydra should judge).
    """
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path, get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    args, _ = get_args_parser().parse_known_args(argv)
    if args.config_dir or args.config_path or args.config_name or not args.overrides:
        return []
    try:
        overrides = OverridesParser.create().parse_overrides(args.overrides)
        loader = ConfigLoaderImpl(config_search_path=create_config_search_path(str(conf_dir)))
        _, repo = loader._parse_overrides_and_create_caching_repo(
            config_name, [o.input_line for o in overrides if o.is_hydra_override()])
    except HydraException:  # a malformed override or search path: Hydra says it best
        return []
    messages = []
    for override in overrides:
        group = override.key_or_group
        if override.package or not repo.group_exists(group):
            continue
        options = repo.get_group_options(group)
        for name in _chosen(override):
            if name not in options:
                allowed = ", ".join(o for o in options if not o.startswith("_"))
                messages.append(f"{group}={name!r} is not an option; allowed: {allowed}")
    return messages


def check_options(argv, conf_dir, config_name="config"):
    """Exit with status 2 and one line on stderr if `argv` chooses an option that does not
    exist (see `unknown_options`)."""
    messages = unknown_options(argv, conf_dir, config_name)
    if messages:
        print(f"collapse-lab: {messages[0]}", file=sys.stderr)
        sys.exit(2)


# Command lines whose sweep the `collapse` launcher does not train in its training process.
_NOT_LOCAL = ("hydra/launcher=", "hydra.launcher.engine=", "hydra.launcher.executor=")
_NO_SWEEP = {"--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion",
             "-sc", "--version"}


def start_training_early(argv):
    """Start the training process (experiments.sweep.trainer) before Hydra starts, when
    `argv` is a sweep that the default launcher trains locally: it loads TensorFlow, ~3.5 s of
    the other core, while Hydra composes. The launcher takes it over; unused, it is stopped
    when this process ends."""
    if not {"-m", "--multirun"} & set(argv) or _NO_SWEEP & set(argv):
        return
    if any(arg.lstrip("+~").startswith(_NOT_LOCAL) for arg in argv):
        return
    from experiments.sweep import trainer

    trainer.start_early()
