"""`wardctl validate` on the bundled wards and on every kind of bad input the issue names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_WARDS, ROOT

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>TEN\d{3}) (?P<msg>.+)$")


def problems(output: str) -> list[dict[str, str]]:
    """Parse every `FILE:LINE:COL: CODE message` line; fail on any other non-summary line."""
    found = []
    for line in output.splitlines():
        if line.endswith("file(s).") or not line.strip():
            continue
        match = LINE.match(line)
        assert match, f"not a one-line problem: {line!r}"
        found.append(match.groupdict())
    return found


def shibuya(wards_dir: Path) -> Path:
    return wards_dir / "131130-shibuya.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_23_wards_are_valid(wardctl):
    result = wardctl("validate")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "23 tenant files valid."


def test_json_format_reports_counts_and_no_errors(wardctl):
    result = wardctl("validate", "--format", "json", str(BUNDLED_WARDS))
    payload = json.loads(result.stdout)
    assert payload == {"valid": True, "tenants": 23, "errors": []}


def test_global_tenants_option_and_env_select_another_directory(wardctl, wards_dir):
    edit(shibuya(wards_dir), "retention_days: 35", "retention_days: 0")
    by_option = wardctl("--tenants", str(wards_dir), "validate")
    by_env = wardctl("validate", env={"WARDCTL_TENANTS": str(wards_dir)})
    assert by_option.exit_code == by_env.exit_code == 1
    assert "131130-shibuya.yaml" in by_option.output and "131130-shibuya.yaml" in by_env.output


@pytest.mark.parametrize(
    ("old", "new", "code", "line", "fragment"),
    [
        ("  name_en: Shibuya\n", "  name_en: Shibuya\n  name_en: Shibuya\n", "TEN002", 8, "duplicate key 'name_en'"),
        ('code: "131130"', 'code: "131131"', "TEN020", 5, "expected 131130"),
        ("cidr: 10.13.0.0/20", "cidr: 10.13.0.1/20", "TEN030", 17, "did you mean 10.13.0.0/20"),
        ("source: lgwan,", "source: lgwn,", "TEN040", 34, "neither a segment"),
        ("joined: 2021-04-01", "joined: 2021/04/01", "TEN010", 13, "YYYY-MM-DD"),
        ("population: 229671", "population: 0", "TEN010", 8, ">="),
        ("  left: null", "  left: 2020-01-01", "TEN041", 14, "must be after joined"),
        ("retention_days: 35", "retension_days: 35", "TEN010", 59, "did you mean 'retention_days'"),
        ("ports: 443, source: mynumber", "ports: 80-22, source: mynumber", "TEN042", 28, "LOW-HIGH"),
        ("cidr: 10.13.32.0/20", "cidr: 10.0.32.0/20", "TEN032", 22, "platform reserved"),
        ("cidr: 10.13.32.0/20", "cidr: 192.168.0.0/20", "TEN033", 22, "outside the address plan"),
        ("ward:\n", "ward: &w\n", "TEN003", 4, "anchors and aliases"),
        ("  left: null\n", "  left: null\n\tfoo: 1\n", "TEN001", 15, "tab character"),
        ("services: [bousai", "services: [bousai, [", "TEN001", 64, "invalid YAML"),
    ],
    ids=["duplicate-key", "check-digit", "cidr-not-network", "unknown-segment", "date-format",
         "population", "left-before-joined", "typo-key", "port-range", "reserved", "outside-plan",
         "anchor", "tab", "malformed"],
)
def test_bad_input_is_one_located_line_and_exit_1(wardctl, wards_dir, old, new, code, line, fragment):
    edit(shibuya(wards_dir), old, new)
    result = wardctl("validate", str(wards_dir))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    found = [p for p in problems(result.stderr) if p["code"] == code and fragment in p["msg"]]
    assert len(found) == 1, result.stderr
    assert found[0]["file"].endswith("131130-shibuya.yaml")
    assert int(found[0]["line"]) == line, result.stderr
    assert fragment in found[0]["msg"]


def test_overlapping_cidrs_across_two_wards_are_reported_with_both_files(wardctl, wards_dir):
    edit(shibuya(wards_dir), "cidr: 10.13.32.0/20", "cidr: 10.14.0.0/22")  # inside Nakano's mynumber
    result = wardctl("validate", str(wards_dir))
    assert result.exit_code == 1
    [overlap] = [p for p in problems(result.stderr) if p["code"] == "TEN031"]
    assert "131148-nakano.yaml mynumber" in overlap["msg"]
    assert (overlap["file"].endswith("shibuya.yaml") or overlap["file"].endswith("nakano.yaml"))


def test_every_error_is_reported_not_just_the_first(wardctl, wards_dir):
    edit(shibuya(wards_dir), "retention_days: 35", "retention_days: -1")
    edit(shibuya(wards_dir), "instances: 20", "instances: many")
    edit(wards_dir / "131148-nakano.yaml", "joined: 2021-10-15", "joined: 2022-13-01")
    result = wardctl("validate", "--format", "json", str(wards_dir))
    payload = json.loads(result.stdout)
    assert result.exit_code == 1 and payload["valid"] is False and payload["tenants"] == 21
    paths = sorted((Path(e["file"]).name, e["path"]) for e in payload["errors"])
    assert paths == [("131130-shibuya.yaml", "backup.retention_days"), ("131130-shibuya.yaml", "quotas.instances"),
                     ("131148-nakano.yaml", "membership.joined")]
    assert set(payload["errors"][0]) == {"file", "line", "column", "code", "path", "message"}


def test_empty_file(wardctl, tmp_path):
    (tmp_path / "131130-shibuya.yaml").write_text("# nothing here yet\n", encoding="utf-8")
    result = wardctl("validate", str(tmp_path / "131130-shibuya.yaml"))
    assert result.exit_code == 1
    assert problems(result.stderr)[0]["code"] == "TEN004"


def test_non_utf8_file_names_the_line_of_the_bad_byte(wardctl, wards_dir):
    path = shibuya(wards_dir)
    utf8 = path.read_bytes()
    path.write_bytes(utf8.replace("渋谷区".encode(), "渋谷区".encode("shift_jis")))
    result = wardctl("validate", str(path))
    [problem] = problems(result.stderr)
    assert result.exit_code == 1 and problem["code"] == "TEN005"
    assert problem["line"] == "2"  # the comment line is the first to hold the ward's name


def test_directory_without_tenant_files(wardctl, tmp_path):
    result = wardctl("validate", str(tmp_path))
    assert result.exit_code == 1
    assert problems(result.stderr)[0]["code"] == "TEN050"


def test_file_name_must_match_code_and_name(wardctl, wards_dir):
    shibuya(wards_dir).rename(wards_dir / "shibuya.yaml")
    result = wardctl("validate", str(wards_dir))
    assert [p["code"] for p in problems(result.stderr)] == ["TEN021"]


def test_duplicate_codes_across_files(wardctl, wards_dir, tmp_path):
    copy = wards_dir / "131130-shibuya-copy.yaml"
    copy.write_text(shibuya(wards_dir).read_text(encoding="utf-8"), encoding="utf-8")
    result = wardctl("validate", "--format", "json", str(wards_dir))
    codes = {e["code"] for e in json.loads(result.stdout)["errors"]}
    assert {"TEN021", "TEN022", "TEN023", "TEN031"} <= codes


def test_console_script_never_prints_a_traceback(wards_dir):
    edit(shibuya(wards_dir), "ward:", "ward: [")
    run = subprocess.run([sys.executable, "-m", "wardcloud.cli", "validate", str(wards_dir)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and LINE.match(run.stderr.splitlines()[0])
