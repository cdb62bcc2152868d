"""`cost allocate --issue`: the issued-statement ledger, and a re-issued month as a correction with 差額."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner, Result

from tests.cost_allocation.helpers import EQUAL_POOL, WARDS_DIR, row, write_bill, write_rules
from wardcloud.cli.main import cli
from wardcloud.core.files import file_sha256 as sha256
from wardcloud.cost_allocation.ledger import Ledger

APRIL = ("2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z")


def wardctl(state: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(WARDS_DIR), "--state", str(state), *args])


def issue(tmp_path: Path, bill: Path, *extra: str) -> Result:
    rules = write_rules(tmp_path / "rules.yaml", EQUAL_POOL)
    return wardctl(
        tmp_path / "state",
        "cost",
        "allocate",
        "--bill",
        str(bill),
        "--rules",
        str(rules),
        "--period",
        "2024-04",
        "--issue",
        *extra,
    )


def test_first_issue_records_inputs_and_totals(tmp_path: Path) -> None:
    # 23 wards, all members all April 2024; an equal pool of 2,300 yen: 100 each
    bill = write_bill(tmp_path / "bill.csv", [row(2300, start=APRIL[0], end=APRIL[1])])
    result = issue(tmp_path, bill)
    assert result.exit_code == 0, result.output
    assert "Issued 2024-04 no. 1" in result.output
    (first,) = Ledger(tmp_path / "state").issues("2024-04")
    assert first.kind == "original" and first.number == 1
    assert first.inputs["bill"] == sha256(bill)
    assert first.inputs["rules"] == sha256(tmp_path / "rules.yaml")
    assert first.inputs["tenant:131016-chiyoda.yaml"] == sha256(WARDS_DIR / "131016-chiyoda.yaml")
    assert set(w.total for w in first.wards.values()) == {100}
    log = Path(os.environ["WARDCTL_AUDIT_LOG"])  # tests/conftest.py: each test's own log
    audit = [json.loads(line) for line in log.read_text().splitlines()]
    assert audit[-1]["summary"]["issue"]["number"] == 1
    # the same statement again: nothing new is issued
    again = issue(tmp_path, bill)
    assert "Unchanged: 2024-04 no. 1 stands; nothing issued." in again.output
    assert len(Ledger(tmp_path / "state").issues("2024-04")) == 1


def test_re_issued_month_is_a_correction_with_the_difference_per_ward(tmp_path: Path) -> None:
    bill = write_bill(tmp_path / "bill.csv", [row(2300, start=APRIL[0], end=APRIL[1])])
    assert issue(tmp_path, bill).exit_code == 0
    # the invoice is corrected: the pool is 2,323 (101 each) and 131016 has a direct charge of 500
    write_bill(
        bill,
        [row(2323, start=APRIL[0], end=APRIL[1]), row(500, account="131016", start=APRIL[0], end=APRIL[1])],
    )
    result = issue(tmp_path, bill, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["issue"]["kind"] == "correction" and data["issue"]["corrects"] == 1
    assert data["issue"]["number"] == 2 and data["issue"]["unchanged"] is False
    difference = data["issue"]["difference"]
    assert difference["131016"] == 501  # 601 − 100
    assert all(v == 1 for code, v in difference.items() if code != "131016")
    assert sum(difference.values()) == 2823 - 2300
    first, second = Ledger(tmp_path / "state").issues("2024-04")
    assert first.wards["131016"].total == 100  # the first issue stands as it was written
    assert second.wards["131016"].total == 601
    text = issue(tmp_path, write_bill(bill, [row(2300, start=APRIL[0], end=APRIL[1])]))
    assert "Issued 2024-04 no. 3: a correction (訂正) of no. 2." in text.output
    row_131016 = [line for line in text.output.splitlines() if line.startswith("131016 ")][-1]  # the 差額 table
    assert row_131016.split() == ["131016", "601", "100", "-501", "千代田区"]


def test_a_bad_bill_issues_nothing(tmp_path: Path) -> None:
    bill = write_bill(tmp_path / "bill.csv", [row("12 yen", start=APRIL[0], end=APRIL[1])])
    result = issue(tmp_path, bill)
    assert result.exit_code == 1
    assert not (tmp_path / "state" / "ledger").exists()


def test_issue_with_a_file_format_says_so_on_stderr(tmp_path: Path) -> None:
    bill = write_bill(tmp_path / "bill.csv", [row(2300, start=APRIL[0], end=APRIL[1])])
    rules = write_rules(tmp_path / "rules.yaml", EQUAL_POOL)
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            str(WARDS_DIR),
            "--state",
            str(tmp_path / "state"),
            "cost",
            "allocate",
            "--bill",
            str(bill),
            "--rules",
            str(rules),
            "--period",
            "2024-04",
            "--issue",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("code,name,direct")
    assert "Issued 2024-04 no. 1" in result.stderr
