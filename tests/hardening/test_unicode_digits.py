"""Codes, numbers and dates are ASCII digits only: `\\d`, `int()` and `isdigit()` take any Unicode digit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.helpers import BILL, RULES, assert_clean_failure, wardctl

FULL_WIDTH = "１３１１３０"  # ward 131130 in full-width digits
ARABIC_INDIC = "١٣١١٣٠"
DEVANAGARI = "१३११३०"


@pytest.mark.parametrize("code", [FULL_WIDTH, ARABIC_INDIC, DEVANAGARI, "13113０"])
def test_a_ward_code_in_other_digits_is_not_a_ward(wards_dir: Path, code: str) -> None:
    path = wards_dir / "131130-shibuya.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('code: "131130"', f'code: "{code}"'),
                    encoding="utf-8")
    for args in (["validate"], ["policy", "check"], ["plan"]):
        result = wardctl(*args, tenants=wards_dir)
        assert_clean_failure(result, "TEN010")
        assert "131130-shibuya.yaml" in result.stderr


@pytest.mark.parametrize("field,value", [("population", "１２３４５"), ("population_as_of", "２０２０-01-01"),
                                         ("population_as_of", "2020-0١-01")])
def test_numbers_and_dates_in_other_digits_are_refused(wards_dir: Path, field: str, value: str) -> None:
    path = wards_dir / "131130-shibuya.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [f"  {field}: {value}" if line.startswith(f"  {field}:") else line for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_clean_failure(wardctl("validate", tenants=wards_dir), "TEN010")


@pytest.mark.parametrize("period", ["２０２３-07", "2023-0٧", "２０２３－０７"])
def test_a_period_in_other_digits_is_refused(period: str) -> None:
    result = wardctl("cost", "allocate", "--bill", str(BILL), "--rules", str(RULES), "--period", period)
    assert_clean_failure(result, "COST030")


@pytest.mark.parametrize("code", [FULL_WIDTH, ARABIC_INDIC])
def test_ward_options_take_ascii_codes_only(code: str) -> None:
    assert_clean_failure(wardctl("audit", "log", "--ward", code))
    assert_clean_failure(wardctl("policy", "check", "--ward", code))
    assert_clean_failure(wardctl("tenant", "new", code))


def test_an_anchor_sequence_in_other_digits_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    assert wardctl("--audit-log", str(log), "cost", "allocate", "--bill", str(BILL), "--rules", str(RULES),
                   "--period", "2023-07").exit_code == 0
    assert_clean_failure(wardctl("--audit-log", str(log), "audit", "verify", "--anchor", "１:" + "a" * 64),
                         "AUD008")


def test_rules_operation_start_in_other_digits_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text(encoding="utf-8").replace("operation_start: 2021-04-01",
                                                               'operation_start: "２０２１-04-01"'),
                     encoding="utf-8")
    result = wardctl("cost", "allocate", "--bill", str(BILL), "--rules", str(rules), "--period", "2023-07")
    assert_clean_failure(result, "COST020")
