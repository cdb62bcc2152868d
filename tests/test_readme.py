"""README is executable: its first two commands are what CI runs, its `$ wardctl` examples work."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import ROOT
from wardcloud.cli.main import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"^\$ (wardctl .+?)(?:\s+# exit (\d))?$", re.MULTILINE)


def test_readme_opens_with_setup_and_test_commands_that_ci_runs():
    commands = re.findall(r"^    (\S.*)$", README.split("---")[0], re.MULTILINE)
    assert len(commands) == 2
    setup, tests = commands
    assert "pip install" in setup and "wardctl" in setup and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert setup in ci and tests in ci


def test_readme_tour_runs_in_order(tmp_path, monkeypatch):
    """The tour's `$ wardctl` lines, run one after the other as a reader would, sharing state and audit log."""
    examples = EXAMPLE.findall(README)
    assert len(examples) >= 8
    # run from a scratch directory that sees the project's data, so outputs land in tmp_path
    for name in ("tenants", "cost_allocation", "policies", "infra", "governance"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    env = {"WARDCTL_STATE": str(tmp_path / "state"), "WARDCTL_AUDIT_LOG": str(tmp_path / "state" / "audit.jsonl")}
    for command, exit_code in examples:
        result = CliRunner().invoke(cli, shlex.split(command)[1:], env=env, catch_exceptions=False)
        assert result.exit_code == int(exit_code or 0), f"$ {command}\n{result.output}"


def _tour_start() -> int:
    return README.index("$ wardctl ")


def test_setup_says_how_wardctl_gets_on_the_path_before_the_tour():
    assert README.index("`source .venv/bin/activate`") < _tour_start()


def test_global_options_lists_every_option_of_the_group():
    section = README[README.index("Global options"):_tour_start()]
    listed = set(re.findall(r"`(-[-\w]+)", section))
    envvars = set(re.findall(r"`(WARDCTL_\w+)`", section))
    for param in cli.params:
        assert set(param.opts) <= listed, f"{param.opts} missing from README's Global options"
        if getattr(param, "envvar", None):
            assert param.envvar in envvars, f"{param.envvar} missing from README's Global options"


def test_tour_outputs_are_gitignored():
    patterns = [line.lstrip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
    outputs = [word for command, _ in EXAMPLE.findall(README)
               for flag, word in zip(shlex.split(command), shlex.split(command)[1:], strict=False)
               if flag == "--out"]
    assert len(outputs) >= 4
    for output in outputs:
        assert any(fnmatch.fnmatch(output, pattern) for pattern in patterns), f"{output} is not gitignored"


def test_licence_file_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in licence
    assert "[LICENSE](LICENSE)" in README


def test_shell_completion_line_works():
    line = 'eval "$(_WARDCTL_COMPLETE=bash_source wardctl)"'
    assert line in README
    wardctl = Path(sys.executable).parent / "wardctl"
    env = {**os.environ, "_WARDCTL_COMPLETE": "bash_source"}
    script = subprocess.run([str(wardctl)], env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and "_wardctl_completion()" in script.stdout
    env |= {"_WARDCTL_COMPLETE": "bash_complete", "COMP_WORDS": "wardctl pl", "COMP_CWORD": "1"}
    words = subprocess.run([str(wardctl)], env=env, capture_output=True, text=True, timeout=60)
    assert words.stdout.split() == ["plain,plan"]


def test_focus_validator_is_a_documented_step_that_ci_runs():
    step = "scripts/focus-validator-venv.sh"
    assert step in README and os.access(ROOT / step, os.X_OK)
    hooks = [hook.read_text(encoding="utf-8") for hook in (ROOT / ".ci" / "prepare.d").glob("*.sh")]
    assert any(step in hook for hook in hooks)
    test = (ROOT / "tests" / "cost_allocation" / "test_focus_validator.py").read_text(encoding="utf-8")
    assert "pip" not in test and "venv.EnvBuilder" not in test  # the test never installs anything


def test_no_requirement_is_listed_twice():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = [project["dependencies"], *project["optional-dependencies"].values()]
    for requirements in groups:
        names = [re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements]
        assert len(names) == len(set(names)), requirements
    assert [r for r in project["dependencies"] if r.lower().startswith("openstacksdk")] == ["openstacksdk>=3.0"]
