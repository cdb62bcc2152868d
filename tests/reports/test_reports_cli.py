"""`wardctl report` end to end through the click group, on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cli.main import cli

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
    policy = _write(tmp_path / "policy.json", policy_json)
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
