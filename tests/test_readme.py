"""README is executable: its first two commands are what CI runs, its `$ wardctl` examples work."""

from __future__ import annotations

import re
import shlex

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
