"""`wardctl policy check` / `policy list` end to end through the click group, on real files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wardcloud.cli.main import cli
from wardcloud.policies.registry import catalogue

WARDS = Path(__file__).resolve().parents[2] / "tenants" / "wards"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def check_json(directory: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run(
        "--tenants",
        str(directory),
        "policy",
        "check",
        "--spec-only",
        "--format",
        "json",
        "--date",
        "2026-11-29",
        *extra,
    )
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}


def add_ingress(segment_group: int, rule: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["security_groups"][segment_group]["ingress"].append(rule)

    return edit


def test_bundled_wards_pass_every_mandatory_rule() -> None:
    result = run("--tenants", str(WARDS), "policy", "check", "--format", "json")
    payload = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert payload["violations"] == []
    assert payload["summary"]["wards"] == 23
    assert payload["summary"]["resources"] > 23 * 30  # the rendered graph was checked, not just the specs
    assert payload["summary"]["rules"] == len(catalogue())


MYNUMBER, LGWAN, INTERNET = 0, 1, 2  # Chiyoda's security groups, in file order


@pytest.mark.parametrize(
    ("policy", "edit"),
    [
        ("NET-004", add_ingress(MYNUMBER, {"protocol": "tcp", "ports": 443, "source": "lgwan"})),
        ("NET-004", add_ingress(MYNUMBER, {"protocol": "tcp", "ports": 443, "source": "192.168.0.0/24"})),
        ("NET-005", lambda d: d["segments"]["mynumber"].update(volume_encryption=False)),
        ("NET-009", add_ingress(LGWAN, {"protocol": "tcp", "ports": 443, "source": "internet"})),
        ("NET-010", add_ingress(INTERNET, {"protocol": "tcp", "ports": 8080, "source": "0.0.0.0/0"})),
        ("NET-010", add_ingress(LGWAN, {"protocol": "tcp", "ports": 443, "source": "0.0.0.0/0"})),
    ],
)
def test_three_layer_violation_fails_the_check(
    ward_dir: Callable[..., Path], policy: str, edit: Callable[[dict[str, Any]], None]
) -> None:
    assert check_json(ward_dir())[0] == 0
    code, payload = check_json(ward_dir(edit))
    assert code == 1
    found = [v for v in payload["violations"] if v["policy"] == policy]
    assert found and found[0]["ward"] == "131016" and found[0]["enforcement"] == "mandatory"
    assert found[0]["waived"] is False and found[0]["waiver"] is None
    assert found[0]["line"] > 1 and found[0]["file"].endswith("131016-chiyoda.yaml")


def test_text_report_points_at_the_offending_line(ward_dir: Callable[..., Path]) -> None:
    directory = ward_dir(add_ingress(MYNUMBER, {"protocol": "tcp", "ports": 22, "source": "0.0.0.0/0"}))
    result = run("--tenants", str(directory), "policy", "check", "--spec-only")
    assert result.exit_code == 1
    lines = (directory / "131016-chiyoda.yaml").read_text(encoding="utf-8").splitlines()
    at = next(line for line in result.stdout.splitlines() if "NET-004" in line)
    where = result.stdout.splitlines()[result.stdout.splitlines().index(at) + 1]
    line_no = int(where.split(":")[1])
    assert "0.0.0.0/0" in "\n".join(lines[line_no - 1 : line_no + 3])
    assert "FAILED" in result.stdout.splitlines()[-1]


def test_advisory_violation_is_printed_but_does_not_fail(ward_dir: Callable[..., Path]) -> None:
    directory = ward_dir(lambda d: d["audit"].update(ship_to_central=False))
    result = run("--tenants", str(directory), "policy", "check", "--spec-only")
    assert result.exit_code == 0
    assert "ADVISORY AUD-006" in result.stdout


WAIVER = {
    "policy": "NET-010",
    "justification": "legacy kiosk endpoint until migration",
    "approver": "CISO Tanaka",
    "expires": "2026-12-31",
}


def waived(waiver: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        add_ingress(INTERNET, {"protocol": "tcp", "ports": 8080, "source": "0.0.0.0/0"})(document)
        document["waivers"] = [waiver]

    return edit


def test_waived_violation_is_reported_with_approver_and_expiry(ward_dir: Callable[..., Path]) -> None:
    code, payload = check_json(ward_dir(waived(WAIVER)))
    assert code == 0
    [violation] = [v for v in payload["violations"] if v["policy"] == "NET-010"]
    assert violation["waived"] is True
    assert violation["waiver"]["approver"] == "CISO Tanaka"
    assert violation["waiver"]["expires"] == "2026-12-31"
    assert payload["summary"]["waived"] == 1


def test_expired_waiver_no_longer_applies_and_is_reported(ward_dir: Callable[..., Path]) -> None:
    directory = ward_dir(waived(WAIVER))
    code, payload = check_json(directory, "--date", "2027-01-01")
    assert code == 1
    [violation] = [v for v in payload["violations"] if v["policy"] == "NET-010"]
    assert violation["waived"] is False and violation["waiver"]["status"] == "expired"
    assert [n["status"] for n in payload["waiver_notes"]] == ["expired"]
    text = run("--tenants", str(directory), "policy", "check", "--spec-only", "--date", "2027-01-01").stdout
    assert "EXPIRED" in text and "CISO Tanaka" in text


def test_waiver_for_an_unknown_policy_is_an_error(ward_dir: Callable[..., Path]) -> None:
    directory = ward_dir(lambda d: d.update(waivers=[{**WAIVER, "policy": "NET-999"}]))
    result = run("--tenants", str(directory), "policy", "check", "--spec-only")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "131016-chiyoda.yaml:" in line and "POL010" in line and "NET-999" in line


def test_junit_has_one_testcase_per_rule_and_ward(ward_dir: Callable[..., Path], tmp_path: Path) -> None:
    directory = ward_dir(add_ingress(MYNUMBER, {"protocol": "tcp", "ports": 443, "source": "lgwan"}))
    out = tmp_path / "report.xml"
    result = run(
        "--tenants", str(directory), "policy", "check", "--spec-only", "--format", "junit", "--out", str(out)
    )
    assert result.exit_code == 1
    root = ET.parse(out).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(catalogue())  # one ward
    failed = [c.get("classname") for c in cases if c.find("failure") is not None]
    assert failed == ["policies.NET-004"]
    assert root.get("failures") == "1"


def test_out_file_is_written_and_stdout_stays_short(ward_dir: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run(
        "--tenants", str(ward_dir()), "policy", "check", "--spec-only", "--format", "json", "--out", str(out)
    )
    assert result.exit_code == 0
    assert json.loads(out.read_text())["summary"]["passed"] is True
    assert result.stdout == ""


def test_unknown_ward_is_a_one_line_error(ward_dir: Callable[..., Path]) -> None:
    result = run("--tenants", str(ward_dir()), "policy", "check", "--ward", "999999")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "999999" in result.stderr


def test_ward_filter_renders_only_that_ward() -> None:
    result = run("--tenants", str(WARDS), "policy", "check", "--ward", "131130", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["wards"] == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("enforcement:\n  NET-999: advisory\n", "enforcement.NET-999"),
        ("thresholds:\n  backup_min_retention_days: thirty\n", "thresholds.backup_min_retention_days"),
        ("thresholds:\n  admin_ports: 22\n", "thresholds.admin_ports"),
        ("bogus: 1\n", "(top level)"),
    ],
)
def test_bad_policy_config_is_a_one_line_error(
    tmp_path: Path, ward_dir: Callable[..., Path], config: str, expected: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(config, encoding="utf-8")
    result = run("--tenants", str(ward_dir()), "policy", "check", "--spec-only", "--config", str(path))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{path}:") and expected in line
    assert "Traceback" not in result.output


def test_config_overrides_enforcement(tmp_path: Path, ward_dir: Callable[..., Path]) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("enforcement:\n  NET-005: advisory\n", encoding="utf-8")
    directory = ward_dir(lambda d: d["segments"]["mynumber"].update(volume_encryption=False))
    assert check_json(directory)[0] == 1
    code, payload = check_json(directory, "--config", str(path))
    assert code == 0 and payload["violations"][0]["enforcement"] == "advisory"
    listed = json.loads(run("policy", "list", "--format", "json", "--config", str(path)).stdout)
    assert {r["id"]: r["enforcement"] for r in listed["rules"]}["NET-005"] == "advisory"


def test_config_threshold_changes_the_verdict(tmp_path: Path, ward_dir: Callable[..., Path]) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("thresholds:\n  backup_min_retention_days: 60\n", encoding="utf-8")
    code, payload = check_json(ward_dir(), "--config", str(path))
    assert code == 1 and [v["policy"] for v in payload["violations"]] == ["BAK-001"]


def test_policy_list_prints_the_catalogue() -> None:
    result = run("policy", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(catalogue())
    assert lines[0].split()[:3] == ["AUD-001", "high", "mandatory"]
    assert any(line.startswith("NET-001  critical mandatory") and "three-layer" in line for line in lines)


def test_docs_catalogue_lists_every_rule() -> None:
    docs = (WARDS.parents[1] / "docs" / "policies.md").read_text(encoding="utf-8")
    for rule in catalogue():
        assert f"| {rule.id} | {rule.severity} | {rule.enforcement} | {rule.kind} |" in docs


def test_sarif_from_the_cli_is_valid_and_points_into_the_tenant_file(
    ward_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from jsonschema import Draft4Validator

    schema = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    directory = ward_dir(add_ingress(MYNUMBER, {"protocol": "tcp", "ports": 443, "source": "lgwan"}))
    out = tmp_path / "policy.sarif"
    result = run(
        "--tenants",
        str(directory),
        "policy",
        "check",
        "--ward",
        "131016",
        "--format",
        "sarif",
        "--out",
        str(out),
    )
    assert result.exit_code == 1
    log = json.loads(out.read_text(encoding="utf-8"))
    assert list(Draft4Validator(schema).iter_errors(log)) == []
    [finding] = log["runs"][0]["results"]
    assert finding["ruleId"] == "NET-004"
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("131016-chiyoda.yaml")
    assert location["region"]["startLine"] > 1
