"""`wardctl backup` without a cloud: bad input refused before anything is touched, the timer files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import ROOT
from wardcloud.cli.main import cli

WARDS = ROOT / "tenants" / "wards"


def wardctl(tenants: Path, state: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(tenants), "--state", str(state), *args])


@pytest.mark.parametrize("command", [["run"], ["verify"], ["timer"]])
def test_an_unknown_ward_is_one_located_line_and_exit_1(command: list[str], tmp_path: Path) -> None:
    result = wardctl(WARDS, tmp_path, "backup", *command, "--cloud", "nowhere", "--ward", "131130",
                     "--ward", "131997")
    assert result.exit_code == 1
    assert result.stderr.startswith("--ward: TEN024 ") and "131997" in result.stderr  # as every --ward says it
    assert not (tmp_path / "audit.jsonl").exists()  # nothing was attempted, so nothing is recorded


def test_a_ward_of_the_23_without_a_tenant_file_is_bkp001(tmp_path: Path) -> None:
    wards = tmp_path / "wards"
    wards.mkdir()
    shutil.copy(WARDS / "131130-shibuya.yaml", wards)
    result = wardctl(wards, tmp_path, "backup", "run", "--cloud", "nowhere", "--ward", "131016")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("--ward: BKP001 '131016' is not a ward of the consortium "
                                     "(known: 1 wards; see `wardctl tenant list`)")


@pytest.mark.parametrize("now", ["yesterday", "2026-12-02T03:00:00", "２０２６-12-02T03:00:00+09:00"])
def test_a_clock_without_a_zone_is_refused(now: str, tmp_path: Path) -> None:
    result = wardctl(WARDS, tmp_path, "backup", "verify", "--cloud", "nowhere", "--now", now)
    assert result.exit_code == 1 and result.stderr.startswith("--now: BKP009 ")
    assert "Traceback" not in result.output


def test_timer_files_follow_each_wards_schedule_in_its_zone(tmp_path: Path) -> None:
    wards = tmp_path / "wards"
    wards.mkdir()
    shutil.copy(WARDS / "131130-shibuya.yaml", wards)
    chiyoda = (WARDS / "131016-chiyoda.yaml").read_text(encoding="utf-8")
    (wards / "131016-chiyoda.yaml").write_text(
        chiyoda.replace('schedule: "0 2 * * *"', 'schedule: "*/30 * * * *"\n  timezone: UTC'), encoding="utf-8")
    result = wardctl(wards, tmp_path / "state", "backup", "timer", "--cloud", "wardcloud", "--out",
                     str(tmp_path / "units"))
    assert result.exit_code == 0, result.output
    timer = (tmp_path / "units" / "wardcloud-backup.timer").read_text()
    # Shibuya's 02:00 Tokyo exactly; Chiyoda's step has no OnCalendar form, so the timer also ticks
    assert "OnCalendar=*-*-* 02:00:00 Asia/Tokyo\nOnCalendar=*:0/15\n" in timer
    service = (tmp_path / "units" / "wardcloud-backup.service").read_text()
    assert "backup run --cloud wardcloud" in service and f"--tenants {wards.resolve()}" in service
    cron = (tmp_path / "units" / "wardcloud-backup.cron").read_text()
    assert "CRON_TZ=UTC\n*/30 * * * * " in cron and "CRON_TZ=Asia/Tokyo\n0 2 * * * " in cron


@pytest.mark.parametrize("line,field,message", [
    ('schedule: "0 25 * * *"', "schedule", "is not a 5-field cron expression"),
    ('schedule: "0 2 * * *"\n  timezone: Asia/Tokio', "timezone", "is not an IANA time zone"),
])
def test_validate_locates_an_unreadable_backup_schedule(tmp_path: Path, line: str, field: str,
                                                        message: str) -> None:
    text = (WARDS / "131130-shibuya.yaml").read_text(encoding="utf-8")
    (tmp_path / "131130-shibuya.yaml").write_text(text.replace('schedule: "0 2 * * *"', line), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "131130-shibuya.yaml")])
    assert result.exit_code == 1
    (error,) = [e for e in result.stderr.splitlines() if "TEN044" in e]
    assert message in error and error.endswith(f"(at backup.{field})")
    assert f"131130-shibuya.yaml:{_line_of(tmp_path / '131130-shibuya.yaml', field)}:" in error


def _line_of(path: Path, field: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{field}:"))
