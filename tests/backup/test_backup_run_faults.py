"""`wardctl backup run` when the cloud misbehaves: every action on record, nothing failed counted as good.

The cloud here is a stand-in at the `wardcloud.backup.cloud` boundary (the live tests use the real one);
it lets a test make the cloud fail at exactly the step it wants.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import ROOT
from wardcloud.backup import cloud as ops
from wardcloud.backup.model import Volume, WardState
from wardcloud.cli.main import cli
from wardcloud.core import cloud as live_connect
from wardcloud.core.cloud import Cloud, cloud_error

WARDS = ROOT / "tenants" / "wards"
NOW = "2026-12-02T12:00:00+09:00"


class FlakyCinder:
    """Two volumes per ward; `fail_on` names the step (and which call of it) that fails."""

    def __init__(self, fail_on: tuple[str, int] | None = None, end_status: str = "available") -> None:
        self.fail_on, self.end_status = fail_on, end_status
        self.calls: dict[str, int] = {}
        self.deleted: list[str] = []
        self.events: list[str] = []  # "ask <volume>" and "wait <backup>", in the order they happened

    def _step(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.fail_on == (name, self.calls[name]):
            raise cloud_error("devcloud", "block-storage", name, "LIVE002", "connection refused")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(live_connect, "connect", lambda name, timeout=0: Cloud(name, None))
        monkeypatch.setattr(ops, "ward_projects", lambda cloud: {"131130": "p-131130", "131016": "p-131016"})
        monkeypatch.setattr(ops, "scoped", lambda cloud, ward, project: ops.WardCloud(ward, project, cloud))
        monkeypatch.setattr(ops, "read_state", self.read_state)
        monkeypatch.setattr(ops, "create_backup", self.create_backup)
        monkeypatch.setattr(ops, "wait_backup", self.wait_backup)
        monkeypatch.setattr(ops, "delete_backup", lambda ward, backup_id: self.deleted.append(backup_id))

    def read_state(self, ward: ops.WardCloud) -> WardState:
        volumes = tuple(Volume(f"{ward.ward}-vol-{n}", f"v{n}", 1, "available", "mynumber") for n in (1, 2))
        return WardState(ward.ward, ward.project_id, volumes, ())

    def create_backup(self, ward: ops.WardCloud, volume: Volume, **kwargs: Any) -> str:
        self._step("create backup")
        self.events.append(f"ask {volume.id}")
        return f"bak-{volume.id}"

    def wait_backup(self, ward: ops.WardCloud, backup_id: str, timeout: float) -> tuple[str, str]:
        self.events.append(f"wait {backup_id}")
        return self.end_status, "no space"


def run(tmp_path: Path, *extra: str) -> tuple[Result, list[dict[str, Any]]]:
    log = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(cli, ["--tenants", str(WARDS), "--state", str(tmp_path), "--audit-log", str(log),
                                      "backup", "run",
                                      "--cloud", "devcloud", "--ward", "131130", "--ward", "131016",
                                      "--now", NOW, *extra])
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, records


def test_every_action_leaves_one_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cinder = FlakyCinder()
    cinder.install(monkeypatch)
    result, records = run(tmp_path)
    assert result.exit_code == 0, result.output
    # every backup is asked for before any is waited on: Cinder takes them side by side, not one by one
    volumes = [f"{ward}-vol-{n}" for ward in ("131130", "131016") for n in (1, 2)]
    assert cinder.events == [f"ask {v}" for v in volumes] + [f"wait bak-{v}" for v in volumes]
    assert [(r["outcome"], r["summary"]["action"], r["summary"]["backup"]) for r in records] == [
        ("success", "take", f"bak-{ward}-vol-{n}") for ward in ("131130", "131016") for n in (1, 2)
    ]
    assert all(r["summary"]["at"] == datetime.fromisoformat(NOW).isoformat() for r in records)


def test_cloud_down_mid_run_records_what_was_done_and_what_failed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyCinder(fail_on=("create backup", 2)).install(monkeypatch)
    result, records = run(tmp_path)
    assert result.exit_code == 1
    assert "cloud devcloud: LIVE002 block-storage create backup: connection refused" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    outcomes = [(r["outcome"], r["summary"].get("backup"), r["wards"]) for r in records]
    # the refused request is on record at once; the three backups Cinder took, as each finishes
    assert outcomes[0][0] == "failure" and outcomes[0][2] == ["131130"]
    assert outcomes[1:] == [("success", "bak-131130-vol-1", ["131130"]), ("success", "bak-131016-vol-1", ["131016"]),
                            ("success", "bak-131016-vol-2", ["131016"])]  # the other ward still backed up


@pytest.mark.parametrize("status,message", [("error", "failed: no space; deleted, not counted"),
                                            ("creating", "is still 'creating' after 600 s; not counted as good")])
def test_a_backup_that_fails_or_hangs_is_never_counted_as_good(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               status: str, message: str) -> None:
    cinder = FlakyCinder(end_status=status)
    cinder.install(monkeypatch)
    result, records = run(tmp_path, "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.count("BKP004") == 4 and message in result.stderr
    payload = json.loads(result.stdout)
    assert {a["status"] for a in payload["actions"] if a["action"] == "take"} == {status}
    assert {r["outcome"] for r in records} == {"failure"}
    assert cinder.deleted == ([f"bak-{w}-vol-{n}" for w in ("131130", "131016") for n in (1, 2)]
                              if status == "error" else [])


def test_dry_run_takes_nothing_and_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cinder = FlakyCinder()
    cinder.install(monkeypatch)
    result, records = run(tmp_path, "--dry-run")
    assert result.exit_code == 0 and "(dry run)" in result.output
    assert cinder.calls == {} and records == []


def test_now_is_used_for_the_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyCinder().install(monkeypatch)
    result, _ = run(tmp_path, "--format", "json")
    assert json.loads(result.stdout)["now"] == datetime(2026, 12, 2, 3, 0, tzinfo=UTC).astimezone(
        datetime.fromisoformat(NOW).tzinfo).isoformat()


def test_a_ward_not_applied_yet_is_bkp002_and_the_others_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyCinder().install(monkeypatch)
    monkeypatch.setattr(ops, "ward_projects", lambda cloud: {"131016": "p-131016"})  # 131130 has no project yet
    result, records = run(tmp_path)
    assert result.exit_code == 1
    assert result.stderr.strip() == "ward 131130: BKP002 has no project in the cloud (apply its stack first)"
    assert {tuple(r["wards"]) for r in records} == {("131016",)} and len(records) == 2


def drill(tmp_path: Path, *extra: str) -> tuple[Result, list[dict[str, Any]]]:
    log = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(cli, ["--tenants", str(WARDS), "--state", str(tmp_path), "--audit-log", str(log),
                                      "backup", "restore-drill", "--cloud", "devcloud", "--ward", "131130",
                                      "--now", NOW, *extra])
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, records


def test_a_drill_with_no_good_backup_is_bkp006_and_a_failed_drill_on_record(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyCinder().install(monkeypatch)  # volumes, but no backup of any
    result, records = drill(tmp_path)
    assert result.exit_code == 1 and "ward 131130: BKP006 no good backup to restore" in result.stderr
    assert [(r["command"], r["outcome"], r["summary"]["passed"]) for r in records] == [
        ("backup restore-drill", "failure", False)
    ]


def test_a_drill_of_a_volume_the_ward_does_not_have_is_bkp008(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyCinder().install(monkeypatch)
    result, records = drill(tmp_path, "--volume", "not-a-volume")
    assert result.exit_code == 1
    assert "ward 131130: BKP008 no volume not-a-volume in the ward's project" in result.stderr
    assert [r["outcome"] for r in records] == ["failure"]
