"""`wardctl plan` shows the policy verdict; `wardctl apply` refuses on an unwaived mandatory violation."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.infra.conftest import approve_plan
from wardcloud.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
FAKE_PULUMI = REPO / "tests" / "fixtures" / "infra" / "fake_pulumi_for_wiring_tests.py"
OPEN_8080 = {"protocol": "tcp", "ports": 8080, "source": "0.0.0.0/0"}  # NET-010, mandatory


def world_8080(document: dict[str, Any]) -> None:
    document["security_groups"][2]["ingress"].append(OPEN_8080)


def wardctl(tenants: Path, state: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--tenants", str(tenants), "--state", str(state), *args])


def test_plan_shows_violations_with_the_plan(ward_dir: Callable[..., Path], tmp_path: Path) -> None:
    directory = ward_dir(world_8080)
    text = wardctl(directory, tmp_path / "state", "plan", "--ward", "131016")
    assert text.exit_code == 2  # changes to apply; plan itself does not fail on policy
    assert "Plan:" in text.stdout and "Policy:" in text.stdout
    assert "FAIL     NET-010" in text.stdout.split("Policy:")[1]
    payload = json.loads(
        wardctl(directory, tmp_path / "state", "plan", "--ward", "131016", "--format", "json").stdout
    )
    assert [v["policy"] for v in payload["policy"]["violations"]] == ["NET-010"]
    assert payload["policy"]["summary"]["passed"] is False


def test_clean_plan_prints_no_policy_section(ward_dir: Callable[..., Path], tmp_path: Path) -> None:
    result = wardctl(ward_dir(), tmp_path / "state", "plan", "--ward", "131016")
    assert "Policy:" not in result.stdout


@pytest.fixture
def fake_cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A logging fake `pulumi` on PATH and credentials set: apply gets past its preflight."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(f"#!{sys.executable}\n" + FAKE_PULUMI.read_text(encoding="utf-8"), encoding="utf-8")
    script.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("FAKE_PULUMI_EXPORTS", str(tmp_path))
    for name, value in {
        "OS_AUTH_URL": "http://127.0.0.1:5000/v3",
        "OS_USERNAME": "admin",
        "OS_PASSWORD": "secret",
        "PULUMI_CONFIG_PASSPHRASE": "test",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OS_CLOUD", raising=False)
    return log


def test_apply_refuses_an_unwaived_mandatory_violation(
    ward_dir: Callable[..., Path], tmp_path: Path, fake_cloud: Path
) -> None:
    directory = ward_dir(world_8080)
    result = wardctl(directory, tmp_path / "state", "apply", *approve_plan(directory, tmp_path / "state"), "--yes")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "131016-chiyoda.yaml:" in line and "NET-010" in line and "mandatory" in line
    ups = [json.loads(c) for c in fake_cloud.read_text().splitlines()] if fake_cloud.exists() else []
    assert [c for c in ups if c["args"][:1] == ["up"]] == []
    assert not (tmp_path / "state" / "stacks").exists()


def test_apply_goes_on_when_the_violation_is_waived(
    ward_dir: Callable[..., Path], tmp_path: Path, fake_cloud: Path
) -> None:
    def waived(document: dict[str, Any]) -> None:
        world_8080(document)
        document["waivers"] = [
            {
                "policy": "NET-010",
                "justification": "kiosk vendor endpoint, migrating",
                "approver": "CISO Tanaka",
                "expires": "2999-12-31",
            }
        ]

    directory = ward_dir(waived)
    signed = approve_plan(directory, tmp_path / "state", waivers=("131016:NET-010",))
    result = wardctl(directory, tmp_path / "state", "apply", *signed, "--yes")
    assert "NET-010" not in result.output  # the gate let it through; what happens next is infra's business
    assert fake_cloud.exists()
