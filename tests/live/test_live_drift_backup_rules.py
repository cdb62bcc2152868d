"""`wardctl drift` runs the backup rules (BAK-1xx) too, through the same `evaluate_backups` as `backup verify`.

Offline: the inventory comes from recorded API responses (test_live_records), the backup facts from a stand-in
at the `wardcloud.backup.cloud` boundary; tests/live/test_live_backup.py runs the same on the dev cloud.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.live.test_live_records import PROJECT, TENANTS, WARD, recorded_cloud
from wardcloud.backup import cloud as ops
from wardcloud.backup.model import Volume, WardState
from wardcloud.cli.main import cli
from wardcloud.core import cloud as live_connect
from wardcloud.core.cloud import Cloud

BAK_RULES = {f"BAK-10{n}" for n in range(1, 7)}


def stand_in(monkeypatch: pytest.MonkeyPatch, services: set[str], synced: bool) -> Callable[[], Cloud]:
    """The recorded cloud for the inventory; one ward volume that was never backed up; the off-site link's state."""

    def connect(name: str, timeout: float = 0) -> Cloud:
        cloud = recorded_cloud()
        cloud.connection.has_service = lambda kind: kind in services
        return cloud

    volume = Volume("vol-data", f"{WARD}-mynumber-data", 1, "available", "mynumber")
    monkeypatch.setattr(live_connect, "connect", connect)
    monkeypatch.setattr(ops, "ward_projects", lambda cloud: {WARD: PROJECT})
    monkeypatch.setattr(ops, "scoped", lambda cloud, ward, project: ops.WardCloud(ward, project, cloud))
    monkeypatch.setattr(ops, "read_state", lambda ward: WardState(ward.ward, ward.project_id, (volume,), ()))
    monkeypatch.setattr(ops, "container_sync_to", lambda ward, container: "//devcloud/site2/x" if synced else None)
    return lambda: connect("recorded")


def wardctl(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--tenants", str(TENANTS), "--state", str(tmp_path), "--audit-log", str(tmp_path / "audit.jsonl"), *args]
    )


def backup_findings(payload: dict[str, Any], key: str, rule: str) -> set[tuple[str, str]]:
    return {(v[key], v["ward"]) for v in payload["violations"] if v[key].startswith(rule)}


def test_drift_shows_the_backup_rules_findings_as_backup_verify_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(monkeypatch, {"volumev3", "object-store"}, synced=False)
    drift = wardctl(tmp_path, "drift", "--cloud", "recorded", "--ward", WARD, "--format", "json")
    verify = wardctl(tmp_path, "backup", "verify", "--cloud", "recorded", "--ward", WARD, "--format", "json")
    assert drift.exit_code == 2, drift.output
    assert verify.exit_code == 2, verify.output
    found = backup_findings(json.loads(drift.stdout), "policyId", "BAK-")
    # never backed up (RPO), the mynumber and lgwan copies not synced off-site (no drill due: nothing to restore)
    assert {rule for rule, _ in found} == {"BAK-101", "BAK-104"}
    assert found == backup_findings(json.loads(verify.stdout), "policy", "BAK-")
    assert not BAK_RULES & set(json.loads(drift.stdout)["policiesNotRun"])
    text = wardctl(tmp_path, "drift", "--cloud", "recorded", "--ward", WARD)
    assert any(line.split()[:3] == [f"ward-{WARD}", "violation", "BAK-101"] for line in text.stdout.splitlines())


def test_drift_says_the_backup_rules_did_not_run_on_a_cloud_without_cinder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(monkeypatch, {"object-store"}, synced=True)
    monkeypatch.setattr(ops, "read_state", lambda ward: pytest.fail("no Cinder: nothing to read"))
    drift = wardctl(tmp_path, "drift", "--cloud", "recorded", "--ward", WARD, "--format", "json")
    payload = json.loads(drift.stdout)
    assert not backup_findings(payload, "policyId", "BAK-")
    assert {rule: why for rule, why in payload["policiesNotRun"].items() if rule in BAK_RULES} == dict.fromkeys(
        sorted(BAK_RULES), "the cloud has no block-storage service"
    )
