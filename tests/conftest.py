"""Shared fixtures: the real CLI, the bundled ward files, temporary copies to break.

Suite-wide, commands that write audit records (cost allocate, apply, …) or verdicts write them under a
temporary directory, never into the checkout's .wardctl/.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from wardcloud.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_WARDS = ROOT / "tenants" / "wards"


LIVE_TESTS = "tests/live/"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Live tests share one dev cloud, so they must sit where the scheduler below keeps them together."""
    live = [item.nodeid for item in items if item.get_closest_marker("live") is not None]
    stray = [nodeid for nodeid in live if not nodeid.startswith(LIVE_TESTS)]
    if stray:
        raise pytest.UsageError(f"tests marked live must live under {LIVE_TESTS}: {', '.join(stray)}")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under xdist (`-n`): every test under tests/live/ in one unit, on one worker, in file order, since they
    share (wipe, seed, break) the one dev cloud; the rest spread over the other workers file by file. The
    biggest unit goes out first, so the live tests start at once and run beside everything else."""
    from xdist.scheduler import LoadScopeScheduling

    class DevCloudTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return LIVE_TESTS if nodeid.startswith(LIVE_TESTS) else nodeid.split("::", 1)[0]

    return DevCloudTogether(config, log)


@pytest.fixture(autouse=True)
def _audit_log_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDCTL_AUDIT_LOG", str(tmp_path_factory.mktemp("audit") / "audit.jsonl"))
    monkeypatch.setenv("WARDCTL_STATE", str(tmp_path_factory.mktemp("state")))


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
