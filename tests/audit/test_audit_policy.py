"""`policy check` writes a record in CI mode (every run) and whenever a waiver excused a violation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.audit.logfile import WARDS, log_lines

CHIYODA = "131016-chiyoda.yaml"
WAIVER = {"policy": "NET-010", "justification": "legacy kiosk endpoint until migration",
          "approver": "CISO Tanaka", "expires": "2026-12-31"}


def chiyoda(tmp_path: Path, *, open_port: bool = False, waiver: bool = False) -> Path:
    """A tenants directory with Chiyoda only, optionally with an internet ingress from anywhere (NET-010)."""
    directory = tmp_path / "wards"
    directory.mkdir(parents=True)
    if not (open_port or waiver):
        shutil.copy(WARDS / CHIYODA, directory / CHIYODA)
        return directory
    document = yaml.safe_load((WARDS / CHIYODA).read_text(encoding="utf-8"))
    internet = document["security_groups"][2]["ingress"]
    internet.append({"protocol": "tcp", "ports": 8080, "source": "0.0.0.0/0"})
    if waiver:
        document["waivers"] = [WAIVER]
    (directory / CHIYODA).write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")
    return directory


def check(wardctl, tenants: Path, *extra: str):
    return wardctl("--tenants", str(tenants), "policy", "check", "--spec-only", "--date", "2026-11-29",
                   *extra)


def records(state: Path) -> list[dict]:
    return [json.loads(line) for line in log_lines(state)] if (state / "audit.jsonl").exists() else []


def test_a_local_check_without_waivers_writes_nothing(state: Path, wardctl, tmp_path: Path) -> None:
    assert check(wardctl, chiyoda(tmp_path)).exit_code == 0
    assert records(state) == []


def test_ci_mode_records_every_run_pass_or_fail(state: Path, wardctl, tmp_path: Path) -> None:
    passed = check(wardctl, chiyoda(tmp_path), "--ci")
    failed = check(wardctl, chiyoda(tmp_path / "b", open_port=True), "--ci")

    first, second = records(state)
    assert (passed.exit_code, failed.exit_code) == (0, 1)
    assert (first["command"], first["outcome"], first["exit_code"]) == ("policy check", "success", 0)
    assert (second["outcome"], second["exit_code"]) == ("failure", 1)
    assert second["summary"]["mandatory"] >= 1 and second["summary"]["ci"] is True
    assert first["wards"] == ["131016"] and first["inputs"]["tenants"]["files"] == 1
    assert wardctl("audit", "verify").exit_code == 0


def test_ci_mode_follows_the_ci_variable(state: Path, wardctl, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    check(wardctl, chiyoda(tmp_path))
    monkeypatch.setenv("CI", "true")
    check(wardctl, chiyoda(tmp_path / "b"))
    assert [r["summary"]["ci"] for r in records(state)] == [True]


def test_a_used_waiver_is_recorded_with_its_policy_and_approver_even_outside_ci(
        state: Path, wardctl, tmp_path: Path) -> None:
    result = check(wardctl, chiyoda(tmp_path, waiver=True))

    [written] = records(state)
    assert result.exit_code == 0
    assert written["summary"]["waivers_used"] == [
        {"ward": "131016", "policy": "NET-010", "resource": None, "approver": "CISO Tanaka",
         "expires": "2026-12-31"}]
    assert written["summary"]["waived"] == 1 and written["summary"]["ci"] is False


def test_an_expired_waiver_is_not_a_use(state: Path, wardctl, tmp_path: Path) -> None:
    result = check(wardctl, chiyoda(tmp_path, waiver=True), "--date", "2027-01-01")
    assert result.exit_code == 1 and records(state) == []


def test_ci_mode_records_a_run_that_failed_on_bad_input(state: Path, wardctl, tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text("enforcement: [not, a, mapping\n")

    result = check(wardctl, chiyoda(tmp_path), "--ci", "--config", str(config))

    [written] = records(state)
    assert result.exit_code == 1 and written["outcome"] == "failure" and written["summary"]["error"]
    assert written["inputs"]["config"]["sha256"] is not None
