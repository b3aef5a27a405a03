"""The pre-commit hooks run what `make lint` runs, so a commit that passes them passes CI's lint."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def lint_commands() -> list[str]:
    """The commands of the Makefile's `lint` recipe, with `$(BIN)/` as the virtualenv's bin folder."""
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe, "The Makefile has no lint target."
    return [line.strip().replace("$(BIN)/", ".venv/bin/") for line in recipe.group(1).splitlines()]


def hook_entries() -> list[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]


def test_pre_commit_runs_every_lint_command():
    # A hook may add options that only matter when pre-commit passes file names (--force-exclude).
    entries = [entry.replace(" --force-exclude", "") for entry in hook_entries()]
    missing = [command for command in lint_commands() if command.removesuffix(" .") not in entries]

    assert not missing, f"make lint runs these and no pre-commit hook does: {missing}"
