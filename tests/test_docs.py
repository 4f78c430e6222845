"""The documentation: docs/columns.md is current, every relative link resolves, and every
command of the README runs (the main job as a tiny grid, the other sweeps composed and
validated job by job as run.py's sweeper does, the modules at --help)."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from hydra.utils import instantiate

from analysis import columns_doc

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
README = ROOT / "README.md"
PAGES = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
TINY = ["epochs=1", "replicates=1", "dataset.n_samples=32"]  # appended to the main job


def _without_code_blocks(text):
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def _prose(text):
    """Markdown without code blocks and inline code (a link written there is not a link)."""
    return re.sub(r"`[^`\n]*`", "", _without_code_blocks(text))


def _anchors(path):
    """GitHub's anchors of a Markdown file's headings (lower case, punctuation dropped, spaces
    to hyphens, a repeated heading numbered)."""
    seen, anchors = {}, set()
    text = _without_code_blocks(path.read_text())
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def test_columns_doc_is_current():
    assert columns_doc.DOC.read_text(encoding="utf-8") == columns_doc.render(), (
        "docs/columns.md is not current: run python -m analysis.columns_doc")


def test_readme_is_at_most_10_kb():
    assert README.stat().st_size <= 10 * 1024


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page):
    links = re.findall(r"\]\(([^)\s]+)\)", _prose(page.read_text()))
    for link in links:
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: {link}: no such file"
        if anchor:
            assert anchor in _anchors(path), f"{page.name}: {link}: no such heading"


# --- the README's commands ------------------------------------------------------------------


def _readme_commands():
    """Every command line of the README's shell blocks, as (line, [argv of each && step])."""
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", README.read_text(), flags=re.S | re.M):
        for line in block.splitlines():
            tokens = shlex.split(line, comments=True)
            if tokens:
                steps = [[]]
                for token in tokens:
                    steps.append([]) if token == "&&" else steps[-1].append(token)
                commands.append((shlex.join(tokens), steps))
    return commands


COMMANDS = _readme_commands()


def _ci_steps():
    """The commands .ci/run runs after its `cd`, as argv lists."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    steps = [shlex.split(line) for line in lines if line.strip() and not line.startswith("#")]
    return [s for s in steps if s[0] not in ("set", "cd")]


def test_readme_install_and_test_commands_are_what_ci_runs():
    (_, install), (_, tests) = COMMANDS[:2]
    assert install[:-1] + tests == _ci_steps()
    assert install[-1][:2] == ["python", "run.py"]


def _env_and_argv(step):
    env = {}
    while step and re.match(r"^[A-Z_][A-Z0-9_]*=", step[0]):
        key, _, value = step[0].partition("=")
        env[key], step = value, step[1:]
    return env, step


def _compose_and_validate(args):
    """The jobs `python run.py ARGS` would train, composed and validated as run.py and its
    sweeper do (unknown options, the grid, every value; of a preset's grids the first job of
    each), nothing trained. Returns how many were validated."""
    from experiments.cli import unknown_options
    from experiments.sweep.compose import validate_jobs
    from experiments.sweep.config import validate

    multirun = "-m" in args or "--multirun" in args
    overrides = [a for a in args if a not in ("-m", "--multirun")]
    assert unknown_options(overrides, CONF) == []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
            loader = GlobalHydra.instance().config_loader()
            mode = RunMode.MULTIRUN if multirun else RunMode.RUN
            cfg = loader.load_configuration("config", overrides, run_mode=mode)
            if not multirun:
                validate(cfg)
                return 1
            sweeper = instantiate(cfg.hydra.sweeper)  # the collapse sweeper, as Hydra makes it
            jobs = sweeper.job_overrides(list(cfg.hydra.overrides.task))
            if sweeper.grids:  # a preset's grids: the first job of each (all would take ~15 s)
                firsts = {}
                for job in jobs:
                    firsts.setdefault(job[-1], job)  # the last override names the grid
                jobs = list(firsts.values())
            try:
                return len(validate_jobs(loader, cfg, jobs))
            except SystemExit as exc:  # validate_jobs printed the one line
                pytest.fail(f"a job does not validate (exit status {exc.code})")
    finally:
        GlobalHydra.instance().clear()


def _run(argv, **kwargs):
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_readme_main_job_runs_as_a_tiny_grid(tmp_path):
    """The install command's sweep, shrunk: it trains its grid, writes rows and its report."""
    argv = COMMANDS[0][1][-1]
    out = tmp_path / "main_job"
    proc = _run([sys.executable, *argv[1:], *TINY, f"hydra.sweep.dir={out}"])
    runs = pd.concat(pd.read_parquet(p) for p in (out / "runs").glob("*.parquet"))
    assert len(runs) == runs["config_id"].nunique() == 4
    assert f"report: {out / 'report.html'}" in proc.stdout


@pytest.mark.parametrize("line, steps", COMMANDS[2:], ids=[line for line, _ in COMMANDS[2:]])
def test_readme_command_runs(line, steps):
    assert len(steps) == 1, f"{line}: one command per line after the install command"
    env, argv = _env_and_argv(steps[0])
    if argv[:2] == ["python", "run.py"] and "--help" in argv:
        proc = _run([sys.executable, *argv[1:]])
        assert "== Configuration groups ==" in proc.stdout
    elif argv[:2] == ["python", "run.py"]:
        assert set(env) <= {"COLLAPSE_XLA_CACHE"}, env
        assert _compose_and_validate(argv[2:]) >= 1
    elif argv[:2] == ["python", "-m"]:
        proc = _run([sys.executable, "-m", argv[2], "--help"])
        assert proc.stdout.startswith("usage:")
    elif argv[0] == "collapse-doctor":
        from experiments.doctor.cli import parse_args

        parse_args(argv[1:])  # every option the README gives exists and parses
        script = shutil.which("collapse-doctor", path=str(Path(sys.executable).parent))
        assert script, "collapse-doctor is not installed beside this Python"
        assert _run([script, "--help"]).stdout.startswith("usage:")
    else:
        pytest.fail(f"tests/test_docs.py does not know how to run {argv[0]!r}: add it")
