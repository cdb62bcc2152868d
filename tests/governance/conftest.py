"""Governance fixtures: real Ed25519 keys made per test, a signers file with roles, the rules file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.infra.conftest import REPO, two_wards  # noqa: F401 - fixture
from tests.infra.test_infra_apply_cli import fake_pulumi, no_cloud_env  # noqa: F401 - fixtures
from wardcloud.audit.keys import generate
from wardcloud.cli.main import cli

ROLES = {"author": "platform", "sec": "security,platform", "plat": "platform", "shibuya": "ward:131130",
         "chiyoda": "ward:131016", "chiyoda-sec": "security,ward:131016", "outsider": None}


@pytest.fixture(autouse=True)
def _log_in_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read STATE/audit.jsonl: no log path from the environment."""
    monkeypatch.delenv("WARDCTL_AUDIT_LOG", raising=False)


@pytest.fixture
def gov(tmp_path: Path) -> Path:
    """governance/ with `signers` (every key but `outsider`) and the shipped rules; keys in tmp/keys."""
    keys = tmp_path / "keys"
    keys.mkdir()
    directory = tmp_path / "governance"
    directory.mkdir()
    lines = []
    for name, roles in ROLES.items():
        key = generate(keys / name, f"{name}@test")
        if roles is not None:
            lines.append(f'{name}@test wardcloud-roles="{roles}" {key.public.openssh()}')
    (directory / "signers").write_text("\n".join(lines) + "\n")
    (directory / "rules.yaml").write_text((REPO / "governance" / "rules.yaml").read_text())
    return directory


def key(gov: Path, name: str) -> str:
    return str(gov.parent / "keys" / name)


def wardctl(tenants: Path, state: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(tenants), "--state", str(state), *args], input=input)
