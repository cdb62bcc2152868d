"""Fixtures for the audit tests: a state directory with a few records, and the CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from wardcloud.cli.main import cli


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty state directory; the audit environment variables cleared so defaults apply."""
    for name in ("WARDCTL_ACTOR", "WARDCTL_AUDIT_LOG", "WARDCTL_STATE", "CI"):
        monkeypatch.delenv(name, raising=False)
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    return state_dir


@pytest.fixture
def wardctl(state: Path) -> Callable[..., Result]:
    """Run `wardctl --state STATE ARGS…` in-process, as a shell would (exit code, stdout, stderr)."""
    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--state", str(state), *args], input=input)
    return run
