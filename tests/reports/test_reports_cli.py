"""`wardctl report` end to end through the click group, on real files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from wardcloud.cli.main import cli

TENANTS = str(Path(__file__).resolve().parents[2] / "tenants" / "wards")


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_report_writes_one_html_file_with_policy_and_month_over_month(
    tmp_path: Path,
    allocation_json: dict[str, Any],
    previous_json: dict[str, Any],
    policy_json: dict[str, Any],
) -> None:
    allocation = _write(tmp_path / "2026-10.json", allocation_json)
    previous = _write(tmp_path / "2026-09.json", previous_json)
    platform_finding = {**policy_json["violations"][1], "ward": None, "policy": "PLT-004", "message": "no egress log"}
    with_platform = {**policy_json, "violations": [*policy_json["violations"], platform_finding]}
    policy = _write(tmp_path / "policy.json", with_platform)
    out = tmp_path / "report.html"

    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            TENANTS,
            "report",
            "--period",
            "2026-10",
            "--allocation",
            str(allocation),
            "--previous",
            str(previous),
            "--policy",
            str(policy),
            "--out",
            str(out),
            "--format",
            "json",
        ],
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["total"] == allocation_json["total"] and summary["wards"] == 23 and summary["policy"]
    html = out.read_text(encoding="utf-8")
    assert all(f'data-ward="{w["code"]}" data-total="{w["total"]}"' in html for w in allocation_json["wards"])
    assert 'id="policy"' in html and 'id="changes"' in html
    assert "2026-09.json" in html and "policy.json" in html  # the inputs table with their hashes
    # the platform stack's findings get their own row (they name no ward)
    platform_row = html.split('<tr data-ward="platform" data-status="advisory">')[1].split("</tr>")[0]
    assert "Platform stack" in platform_row and "PLT-004" in platform_row and "no egress log" in platform_row


def test_period_mismatch_is_one_line_error_and_no_file(
    tmp_path: Path, allocation_json: dict[str, Any]
) -> None:
    allocation = _write(tmp_path / "a.json", allocation_json)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            TENANTS,
            "report",
            "--period",
            "2026-11",
            "--allocation",
            str(allocation),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "R051 allocation is for period 2026-10, not 2026-11" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_malformed_allocation_names_file_line_and_column(tmp_path: Path) -> None:
    allocation = tmp_path / "broken.json"
    allocation.write_text('{"period": "2026-10",\n  "total": 12,,\n}', encoding="utf-8")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            TENANTS,
            "report",
            "--period",
            "2026-10",
            "--allocation",
            str(allocation),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert f"{allocation}:2:15: R021 not JSON" in result.output
    assert not out.exists()


def test_unknown_ward_in_allocation_is_refused(tmp_path: Path, allocation_json: dict[str, Any]) -> None:
    allocation_json["wards"][0]["code"] = "999999"
    allocation = _write(tmp_path / "a.json", allocation_json)
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            TENANTS,
            "report",
            "--period",
            "2026-10",
            "--allocation",
            str(allocation),
            "--out",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 1
    assert "R012 ward 999999 is not declared by any tenant file" in result.output


EXAMPLES = Path(__file__).resolve().parents[2] / "cost_allocation" / "examples"


def test_report_from_a_focus_bill_matches_cost_allocate_json_to_the_yen(tmp_path: Path) -> None:
    bill, rules, usage = (
        EXAMPLES / "bill-2023-07.csv",
        EXAMPLES / "rules.yaml",
        EXAMPLES / "usage-2023-07.csv",
    )
    common = ["--bill", str(bill), "--rules", str(rules), "--usage", str(usage), "--period", "2023-07"]
    allocated = CliRunner().invoke(
        cli, ["--tenants", TENANTS, "cost", "allocate", *common, "--format", "json"]
    )
    assert allocated.exit_code == 0, allocated.output
    expected = json.loads(allocated.output)
    out = tmp_path / "report.html"

    result = CliRunner().invoke(cli, ["--tenants", TENANTS, "report", *common, "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert f"total ¥{expected['total']:,}" in result.output
    html = out.read_text(encoding="utf-8")
    assert f'id="consortium-total" data-yen="{expected["total"]}"' in html
    for ward in expected["wards"]:
        assert f'data-ward="{ward["code"]}" data-total="{ward["total"]}"' in html
    assert "bill-2023-07.csv" in html and "rules.yaml" in html  # inputs with their SHA-256


def test_cost_allocate_xlsx_sheets_sum_to_the_bill(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    bill, rules = EXAMPLES / "bill-2023-07.csv", EXAMPLES / "rules.yaml"
    common = [
        "--tenants",
        TENANTS,
        "cost",
        "allocate",
        "--bill",
        str(bill),
        "--rules",
        str(rules),
        "--period",
        "2023-07",
    ]
    expected = json.loads(CliRunner().invoke(cli, [*common, "--format", "json"]).output)
    out = tmp_path / "statements.xlsx"

    result = CliRunner().invoke(cli, [*common, "--format", "xlsx", "--out", str(out)])

    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert len(book.sheetnames) == 2 + len(expected["wards"])
    summary = [r for r in book["集計 Summary"].iter_rows(min_row=4, values_only=True) if r[0]]
    ward_rows = [r for r in summary if str(r[0]).isdigit()]
    total_row = next(r for r in summary if r[0] == "合計 / Total")
    assert sum(r[-1] for r in ward_rows) == total_row[-1] == expected["total"]
    for column in range(3, len(total_row)):
        assert sum(r[column] for r in ward_rows) == total_row[column]
    sheet_totals = 0
    for name in book.sheetnames[1:-1]:
        rows = list(book[name].iter_rows(min_row=5, values_only=True))
        total = next(r[4] for r in rows if r[3] == "合計 / Total")
        lines = [r[4] for r in rows if r[0] and isinstance(r[4], int)]
        assert sum(lines) == total, name
        sheet_totals += total
    assert sheet_totals == expected["total"]
    inputs = {r[0]: r for r in book["入力 Inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["bill"][2] == hashlib.sha256(bill.read_bytes()).hexdigest()
    assert inputs["rules"][2] == hashlib.sha256(rules.read_bytes()).hexdigest()
    assert inputs["対象期間 / Period"][1] == "2023-07"


def test_cost_allocate_xlsx_needs_out(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            TENANTS,
            "cost",
            "allocate",
            "--bill",
            str(EXAMPLES / "bill-2023-07.csv"),
            "--rules",
            str(EXAMPLES / "rules.yaml"),
            "--period",
            "2023-07",
            "--format",
            "xlsx",
        ],
    )
    assert result.exit_code == 1 and "--format xlsx needs --out FILE.xlsx" in result.output


def test_report_needs_bill_and_rules_or_an_allocation(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            TENANTS,
            "report",
            "--period",
            "2023-07",
            "--bill",
            str(EXAMPLES / "bill-2023-07.csv"),
            "--out",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 1 and "--bill and --rules go together" in result.output
    assert not (tmp_path / "r.html").exists()


def _copy_wards(target: Path, edits: dict[str, Any]) -> Path:
    """The bundled ward files, some edited (by file name) to produce policy findings."""
    target.mkdir()
    for source in sorted(Path(TENANTS).glob("*.yaml")):
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
        if source.name in edits:
            edits[source.name](document)
        (target / source.name).write_text(
            yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return target


def test_report_runs_the_policy_engine_when_no_policy_file_is_given(
    tmp_path: Path, allocation_json: dict[str, Any]
) -> None:
    def advisory(document: dict[str, Any]) -> None:  # AUD-006: audit logs not shipped to the archive
        document["audit"]["ship_to_central"] = False

    def violation(document: dict[str, Any]) -> None:  # NET-004: SSH from anywhere into mynumber
        group = next(g for g in document["security_groups"] if g["segment"] == "mynumber")
        group["ingress"].append({"protocol": "tcp", "ports": 22, "source": "0.0.0.0/0"})

    wards = _copy_wards(
        tmp_path / "wards", {"131016-chiyoda.yaml": advisory, "131032-minato.yaml": violation}
    )
    allocation = _write(tmp_path / "a.json", allocation_json)
    out = tmp_path / "report.html"

    result = CliRunner().invoke(
        cli,
        [
            "--tenants",
            str(wards),
            "report",
            "--period",
            "2026-10",
            "--allocation",
            str(allocation),
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'data-ward="131016" data-status="advisory"' in html
    assert 'data-ward="131032" data-status="violation"' in html and "NET-004" in html
    assert 'data-ward="131121" data-status="pass"' in html
