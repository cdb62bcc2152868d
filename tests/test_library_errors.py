"""Codes a Python caller of the libraries still gets, where `wardctl` now catches the mistake earlier.

The CLI checks ward codes and periods once, before any command runs (TEN020/TEN024, COST030); the
libraries keep their own located errors for callers that bypass the CLI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from wardcloud.core.errors import WardcloudError
from wardcloud.cost_allocation.ledger import Ledger
from wardcloud.cost_allocation.rates import load_rates
from wardcloud.infra.render import render_stack
from wardcloud.live.drift import select_stacks
from wardcloud.live.usage import parse_period
from wardcloud.policies.engine import select_wards
from wardcloud.tenants.validate import load_tenants

WARDS = ROOT / "tenants" / "wards"


def codes(exc: pytest.ExceptionInfo[WardcloudError]) -> list[str]:
    return [p.code for p in exc.value.problems]


@pytest.fixture(scope="module")
def tenants() -> tuple:  # type: ignore[type-arg]
    return load_tenants(WARDS)


def test_render_of_a_stack_no_tenant_defines_is_infra001(tenants: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(WardcloudError) as exc:
        render_stack("ward-131997", tenants)
    assert codes(exc) == ["INFRA001"]


def test_drift_of_a_ward_without_a_file_is_live020(tenants: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(WardcloudError) as exc:
        select_stacks(tenants[:2], ["131997"])
    assert codes(exc) == ["LIVE020"]


@pytest.mark.parametrize("text", ["2023-7", "２０２３-07", "2023-13"])
def test_usage_period_that_is_not_yyyy_mm_is_live030(text: str) -> None:
    with pytest.raises(WardcloudError) as exc:
        parse_period(text)
    assert codes(exc) == ["LIVE030"]


def test_policy_check_of_a_ward_without_a_file_is_pol011(tenants: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(WardcloudError) as exc:
        select_wards(tenants[:2], ["131997"])
    assert codes(exc) == ["POL011"]


def test_a_ledger_record_that_is_not_one_is_cost042(tmp_path: Path) -> None:
    folder = tmp_path / "ledger" / "2023-07"
    folder.mkdir(parents=True)
    (folder / "001.json").write_text("{not json")
    with pytest.raises(WardcloudError) as exc:
        Ledger(tmp_path).issues("2023-07")
    assert codes(exc) == ["COST042"]


def test_a_rate_card_that_is_not_a_mapping_is_cost050(tmp_path: Path) -> None:
    (tmp_path / "rates.yaml").write_text("- just a list\n")
    with pytest.raises(WardcloudError) as exc:
        load_rates(tmp_path / "rates.yaml")
    assert set(codes(exc)) == {"COST050"}


def test_rules_without_dated_drivers_still_name_a_ward_missing_a_driver_cost024(tmp_path: Path) -> None:
    """Without `driver_data`, the tenant files' current values are used; a ward lacking one is COST024."""
    from click.testing import CliRunner

    from wardcloud.cli.main import cli

    examples = ROOT / "cost_allocation" / "examples"
    rules = (examples / "rules.yaml").read_text(encoding="utf-8")
    start = rules.index("driver_data:")
    end = rules.index("pools:")
    (tmp_path / "rules.yaml").write_text(rules[:start] + rules[end:], encoding="utf-8")
    wards = tmp_path / "wards"
    wards.mkdir()
    for path in WARDS.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("131016"):
            text = text.replace("  drivers:\n    inkan_registrations: 36268\n", "")
        (wards / path.name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--tenants", str(wards), "--state", str(tmp_path / "state"), "cost",
                                      "allocate", "--period", "2023-07", "--bill", str(examples / "bill-2023-07.csv"),
                                      "--rules", str(tmp_path / "rules.yaml")])
    assert result.exit_code == 1
    assert "COST024" in result.stderr and "131016" in result.stderr and "inkan_registrations" in result.stderr
