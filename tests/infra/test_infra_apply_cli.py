"""`wardctl apply` and `wardctl destroy` up to the Automation API boundary.

Where a test needs a `pulumi` executable it uses tests/fixtures/infra/fake_pulumi_for_wiring_tests.py:
a FAKE that deploys nothing and only records how the Automation API called it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.infra.conftest import REPO, SHIBUYA, approve_plan, deployment_from_graph
from wardcloud.cli.main import cli
from wardcloud.core.errors import Problem
from wardcloud.infra.render import render_stacks
from wardcloud.tenants.validate import load_tenants

FAKE_PULUMI = REPO / "tests" / "fixtures" / "infra" / "fake_pulumi_for_wiring_tests.py"
CREDENTIALS = {
    "OS_AUTH_URL": "http://127.0.0.1:5000/v3",
    "OS_USERNAME": "admin",
    "OS_PASSWORD": "secret",
    "PULUMI_CONFIG_PASSPHRASE": "test-passphrase",
}


def wardctl(tenants: Path, state: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(tenants), "--state", str(state), *args], input=input)


@pytest.fixture
def no_cloud_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No pulumi on PATH, no OpenStack or Pulumi variables."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for name in (
        "OS_CLOUD",
        "OS_AUTH_URL",
        "OS_USERNAME",
        "OS_APPLICATION_CREDENTIAL_ID",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "OS_CLIENT_CONFIG_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no ./clouds.yaml
    return empty


@pytest.fixture
def fake_pulumi(no_cloud_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, two_wards: Path) -> Path:
    """The FAKE pulumi on PATH, credentials set, exports prepared from the current render; returns its log."""
    bin_dir = tmp_path / "fake" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "pulumi"
    script.write_text(f"#!{sys.executable}\n" + FAKE_PULUMI.read_text(encoding="utf-8"), encoding="utf-8")
    script.chmod(0o755)
    exports = tmp_path / "fake" / "exports"
    exports.mkdir()
    for stack, graph in render_stacks(load_tenants(two_wards)).items():
        (exports / f"{stack}.json").write_text(json.dumps(deployment_from_graph(graph)), encoding="utf-8")
    log = tmp_path / "fake" / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}:{no_cloud_env}")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("FAKE_PULUMI_EXPORTS", str(exports))
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return log


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def test_apply_without_pulumi_cli_stops_and_writes_nothing(
    no_cloud_env: Path, two_wards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    state = tmp_path / "state"
    result = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state), "--yes")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "pulumi: INFRA030 the pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/ — "
        "`curl -fsSL https://get.pulumi.com | sh`) and put ~/.pulumi/bin on PATH"
    ]
    assert not state.exists()


def test_apply_without_credentials_says_what_is_missing(
    fake_pulumi: Path, two_wards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OS_AUTH_URL")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    state = tmp_path / "state"
    result = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state), "--yes")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert [line.split(" ")[1] for line in lines] == ["INFRA031", "INFRA032"]
    assert "set OS_CLOUD to a cloud in clouds.yaml" in lines[0]
    assert not state.exists() and calls(fake_pulumi) == []


def test_clouds_yaml_cloud_counts_as_credentials(fake_pulumi: Path, tmp_path: Path) -> None:
    from wardcloud.infra.deploy import openstack_credentials

    (tmp_path / "etc").mkdir()
    clouds = tmp_path / "etc" / "clouds.yaml"
    clouds.write_text("clouds: {wardcloud: {auth: {auth_url: http://127.0.0.1:5000/v3}}}\n")
    assert openstack_credentials({"OS_CLOUD": "wardcloud", "OS_CLIENT_CONFIG_FILE": str(clouds)})
    assert openstack_credentials({"OS_CLOUD": "other", "OS_CLIENT_CONFIG_FILE": str(clouds)}) is None
    assert (
        openstack_credentials({"OS_CLOUD": "wardcloud", "OS_CLIENT_CONFIG_FILE": str(tmp_path / "no")})
        is None
    )


def test_apply_wiring_with_fake_pulumi_records_state(
    fake_pulumi: Path, two_wards: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    result = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state, "--ward", "131130"), "--yes")
    assert result.exit_code == 0, result.output
    # the platform was never applied: it goes first, the ward reads its outputs
    assert result.output.strip().splitlines()[-2:] == ["platform: applied", "ward-131130: applied"]
    made = [c for c in calls(fake_pulumi) if c["args"][0] != "version"]
    selects = [c["args"] for c in made if c["args"][:2] == ["stack", "select"]]
    assert selects == [["stack", "select", "--stack", s] for s in ("platform", "ward-131130")]
    up = [c for c in made if c["args"][0] == "up"][-1]
    assert up["args"][:2] == ["up", "--yes"] and up["args"][-2:] == ["--stack", "ward-131130"]
    assert up["backend"] == (state.resolve() / "pulumi").as_uri()
    assert up["tenants"] == str(two_wards.resolve())
    # the project's files live in the state dir; the program is the installed infra/ package, run on our Python
    project = state.resolve() / "pulumi-project"
    assert up["cwd"] == str(project) and up["passphrase"] is True and up["python"] == sys.executable
    settings = yaml.safe_load((project / "Pulumi.yaml").read_text())
    assert Path(settings["main"]) == REPO / "infra" and settings["runtime"]["name"] == "python"
    assert (state / "stacks" / "ward-131130.json").is_file()
    assert wardctl(two_wards, state, "plan", "--ward", "131130").exit_code == 0
    again = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state, "--ward", "131016"), "--yes")
    assert again.output.strip().splitlines()[-1] == "ward-131016: applied"
    assert "platform" not in again.output  # applied once, not planned again for a --ward apply


def test_apply_honours_pulumi_backend_url(
    fake_pulumi: Path, two_wards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://wardcloud-state?endpoint=swift.example:8080")
    state = tmp_path / "state"
    signed = approve_plan(two_wards, state, "--ward", "131016")
    assert wardctl(two_wards, state, "apply", *signed, "--yes").exit_code == 0
    assert {c["backend"] for c in calls(fake_pulumi) if c["args"][0] == "up"} == {
        "s3://wardcloud-state?endpoint=swift.example:8080"
    }


def test_apply_updates_the_platform_before_the_wards(
    fake_pulumi: Path, two_wards: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    result = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state), "--yes")
    assert result.exit_code == 0, result.output
    ups = [c["args"][-1] for c in calls(fake_pulumi) if c["args"][0] == "up"]
    assert ups[0] == "platform" and sorted(ups[1:]) == ["ward-131016", "ward-131130"]
    assert sorted(p.name for p in (tmp_path / "state" / "stacks").iterdir()) == [
        "platform.json",
        "ward-131016.json",
        "ward-131130.json",
    ]


def test_apply_declined_changes_nothing(fake_pulumi: Path, two_wards: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    result = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state, "--ward", "131130"), input="n\n")
    assert result.exit_code == 1 and "Apply these changes?" in result.output
    assert [c for c in calls(fake_pulumi) if c["args"][0] == "up"] == []
    assert not (tmp_path / "state" / "stacks").exists()


def test_a_blocking_check_stops_apply_before_pulumi(
    fake_pulumi: Path, two_wards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wardcloud.governance.apply

    def no_shared_networks(report):  # what a mandatory policy returns
        return [Problem("131130-shibuya.yaml", 1, 1, "NET001", "mandatory: network shared")]

    monkeypatch.setattr(wardcloud.governance.apply, "policy_problems", no_shared_networks)
    state = tmp_path / "state"
    result = wardctl(two_wards, state, "apply", *approve_plan(two_wards, state), "--yes")
    assert result.exit_code == 1
    assert result.output.strip() == "131130-shibuya.yaml:1:1: NET001 mandatory: network shared"
    assert [c for c in calls(fake_pulumi) if c["args"][0] == "up"] == []


def set_left(two_wards: Path, left: str) -> None:
    shibuya = two_wards / SHIBUYA
    shibuya.write_text(
        shibuya.read_text(encoding="utf-8").replace("left: null", f"left: {left}"), encoding="utf-8"
    )


def test_destroy_refuses_an_active_ward(two_wards: Path, tmp_path: Path) -> None:
    result = wardctl(two_wards, tmp_path / "state", "destroy", "--ward", "131130", "--dry-run")
    assert result.exit_code == 1
    assert "INFRA040 ward 131130 is active (has no membership.left date)" in result.output
    assert "131130-shibuya.yaml:14:" in result.output
    set_left(two_wards, "2099-03-31")
    result = wardctl(two_wards, tmp_path / "state", "destroy", "--ward", "131130", "--dry-run")
    assert result.exit_code == 1 and "leaves on 2099-03-31" in result.output


def test_destroy_plan_of_a_departed_ward_keeps_the_audit_log(two_wards: Path, tmp_path: Path) -> None:
    set_left(two_wards, "2024-03-31")
    result = wardctl(two_wards, tmp_path / "state", "destroy", "--ward", "131130", "--dry-run")
    assert result.exit_code == 2, result.output
    assert "Plan: 0 to create, 0 to update, 43 to delete." in result.output
    assert (
        "- delete 131130-audit-log (openstack:objectstorage/container:Container)  (retained: the audit log "
        "outlives the ward" in result.output
    )


def test_destroy_wiring_with_fake_pulumi_forgets_the_state(
    fake_pulumi: Path, two_wards: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    signed = approve_plan(two_wards, state, "--ward", "131130")
    assert wardctl(two_wards, state, "apply", *signed, "--yes").exit_code == 0
    set_left(two_wards, "2024-03-31")
    result = wardctl(two_wards, state, "destroy", "--ward", "131130", "--yes")
    assert result.exit_code == 0, result.output
    assert "ward-131130: destroyed (audit log retained)" in result.output
    destroy = next(c for c in calls(fake_pulumi) if c["args"][0] == "destroy")
    assert destroy["args"][-2:] == ["--stack", "ward-131130"]
    assert not (state / "stacks" / "ward-131130.json").exists()


def test_destroy_without_pulumi_cli_changes_nothing(
    no_cloud_env: Path, two_wards: Path, tmp_path: Path
) -> None:
    set_left(two_wards, "2024-03-31")
    result = wardctl(two_wards, tmp_path / "state", "destroy", "--ward", "131130", "--yes")
    assert result.exit_code == 1 and "INFRA030" in result.output and not (tmp_path / "state").exists()
    assert shutil.which("pulumi") is None
