"""Shared fixtures: the real CLI, the bundled ward files, temporary copies to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_WARDS = ROOT / "tenants" / "wards"


@pytest.fixture
def wardctl(tmp_path: Path) -> Callable[..., Result]:
    """Run `wardctl ARGS...` in-process with the state directory in tmp_path."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        full_env = {"WARDCTL_STATE": str(tmp_path / "state"), **(env or {})}
        return runner.invoke(cli, list(args), input=input, env=full_env, catch_exceptions=False)

    return run


@pytest.fixture
def wards_dir(tmp_path: Path) -> Path:
    """A writable copy of the 23 bundled tenant files."""
    target = tmp_path / "wards"
    shutil.copytree(BUNDLED_WARDS, target)
    return target
