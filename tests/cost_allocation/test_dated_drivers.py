"""Dated drivers: a period uses the values as of its reference date; newer data never changes it."""

from __future__ import annotations

import json
import re
from datetime import date
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cost_allocation.helpers import EXAMPLES, POPULATION_POOL, WARDS_DIR, row, ward, write_bill, write_rules
from wardcloud.cli.main import cli
from wardcloud.cost_allocation.drivers import reference_date
from wardcloud.cost_allocation.focus import Bill, read_bill
from wardcloud.cost_allocation.rules import load_rules
from wardcloud.cost_allocation.shares import Period
from wardcloud.cost_allocation.statement import Statement, allocate, render_text

WARDS = [ward("131016", 1), ward("131024", 1), ward("131032", 1)]  # tenant population ignored: drivers file wins
# A census update for 131016 as of 2023-10-01 (populations in thousands, to work by hand).
DRIVERS = """\
population:
  source: 住民基本台帳人口
  values:
    "131016": {"2023-01-01": 100, "2023-10-01": 300}
    "131024": {"2023-01-01": 300}
    "131032": {"2023-01-01": 600}
"""


def month(
    tmp_path: Path,
    label: str,
    convention: str,
    drivers: str = DRIVERS,
    cost: int = 1_000_000,
    *,
    read: bool = True,
) -> Statement:
    (tmp_path / "drivers.yaml").write_text(drivers, encoding="utf-8")
    rules = load_rules(
        write_rules(
            tmp_path / "rules.yaml", POPULATION_POOL, f"driver_data: {{as_of: {convention}, file: drivers.yaml}}\n"
        )
    )
    period = Period.month(label)
    if not read:  # the property below: the bill built without a DuckDB scan
        whole = Fraction(cost)
        return allocate(Bill("bill.csv", (), {"platform": whole}, {"platform": 1}, whole, 1), rules, WARDS, period)
    start, end = period.start.isoformat() + "T00:00:00Z", period.end.isoformat() + "T00:00:00Z"
    bill = read_bill(
        write_bill(tmp_path / f"bill-{label}.csv", [row(cost, start=start, end=end)]),
        rules.currency,
        period,
        rules.pools,
        WARDS,
        rules.source_file,
    )
    return allocate(bill, rules, WARDS, period)


def totals(statement: Statement) -> dict[str, int]:
    return {w.code: w.total for w in statement.wards}


def test_reference_date_conventions() -> None:
    assert reference_date("january-before-fiscal-year", date(2023, 7, 1)) == date(2023, 1, 1)
    assert reference_date("january-before-fiscal-year", date(2024, 2, 1)) == date(2023, 1, 1)  # FY2023
    assert reference_date("january-before-fiscal-year", date(2024, 4, 1)) == date(2024, 1, 1)
    assert reference_date("fiscal-year-start", date(2024, 3, 1)) == date(2023, 4, 1)
    assert reference_date("period-start", date(2023, 10, 1)) == date(2023, 10, 1)


def test_census_update_mid_year_counts_from_its_date_with_period_start(tmp_path: Path) -> None:
    # September: 100 : 300 : 600 of 1,000,000 yen.
    assert totals(month(tmp_path, "2023-09", "period-start")) == {
        "131016": 100_000,
        "131024": 300_000,
        "131032": 600_000,
    }
    # October: the update (131016 → 300) counts: 300 : 300 : 600 of 1,200 → 250,000 / 250,000 / 500,000.
    october = month(tmp_path, "2023-10", "period-start")
    assert totals(october) == {"131016": 250_000, "131024": 250_000, "131032": 500_000}
    data = october.to_json()
    assert data["drivers_as_of"] == {"convention": "period-start", "date": "2023-10-01"}
    assert data["wards"][0]["drivers"] == [
        {"driver": "population", "value": 300, "as_of": "2023-10-01", "source": "住民基本台帳人口"}
    ]
    assert data["wards"][1]["lines"][0]["drivers"][0]["as_of"] == "2023-01-01"


def test_january_convention_keeps_the_whole_fiscal_year_on_one_census(tmp_path: Path) -> None:
    # FY2023 uses 1 January 2023 in every month, October and February included.
    for label in ("2023-10", "2024-02"):
        assert totals(month(tmp_path, label, "january-before-fiscal-year")) == {
            "131016": 100_000,
            "131024": 300_000,
            "131032": 600_000,
        }
    # FY2024 (ref 2024-01-01) sees the update: 250,000 / 250,000 / 500,000.
    assert totals(month(tmp_path, "2024-04", "january-before-fiscal-year")) == {
        "131016": 250_000,
        "131024": 250_000,
        "131032": 500_000,
    }


def test_rounding_of_equal_dated_values_gives_the_yen_to_the_lowest_code(tmp_path: Path) -> None:
    drivers = DRIVERS.replace('{"2023-01-01": 100, "2023-10-01": 300}', '{"2023-01-01": 5}')
    for old in ('{"2023-01-01": 300}', '{"2023-01-01": 600}'):
        drivers = drivers.replace(old, '{"2023-01-01": 5}')
    # 1000 / 3 = 333.33…: floors 333 each, the one yen left to 131016 (ties by ward code)
    assert totals(month(tmp_path, "2023-07", "period-start", drivers, cost=1000)) == {
        "131016": 334,
        "131024": 333,
        "131032": 333,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    months=st.sampled_from(["2023-04", "2023-07", "2023-12", "2024-03"]),
    convention=st.sampled_from(["january-before-fiscal-year", "fiscal-year-start", "period-start"]),
    code=st.sampled_from(["131016", "131024", "131032"]),
    days_after=st.integers(1, 800),
    value=st.integers(0, 10**7),
    cost=st.integers(1, 10**9),
)
def test_adding_a_later_value_leaves_the_statement_byte_identical(
    tmp_path: Path, months: str, convention: str, code: str, days_after: int, value: int, cost: int
) -> None:
    before = month(tmp_path, months, convention, cost=cost, read=False)
    reference = reference_date(convention, Period.month(months).start)
    later = date.fromordinal(max(reference.toordinal() + days_after, date(2023, 10, 2).toordinal()))
    newer = DRIVERS.replace(f'"{code}": {{', f'"{code}": {{"{later}": {value}, ', 1)
    after = month(tmp_path, months, convention, newer, cost=cost, read=False)
    assert json.dumps(after.to_json(), ensure_ascii=False) == json.dumps(before.to_json(), ensure_ascii=False)
    assert render_text(after) == render_text(before)
    assert sum(totals(after).values()) == cost


# --- through wardctl, on the bundled wards and example drivers ---------------------------------------


def wardctl(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(WARDS_DIR), *args])


# the example rules with the example drivers file (dated series, a 2024 census among them)
WITH_FILE = (
    (EXAMPLES / "rules.yaml")
    .read_text(encoding="utf-8")
    .replace("  as_of: january-before-fiscal-year", "  as_of: january-before-fiscal-year\n  file: drivers.yaml")
)


def with_file(folder: Path) -> Path:
    (folder / "drivers.yaml").write_bytes((EXAMPLES / "drivers.yaml").read_bytes())
    (folder / "rules.yaml").write_text(WITH_FILE, encoding="utf-8")
    return folder / "rules.yaml"


SAMPLE = [
    "--bill",
    str(EXAMPLES / "bill-2023-07.csv"),
    "--usage",
    str(EXAMPLES / "usage-2023-07.csv"),
    "--period",
    "2023-07",
]


def test_statement_prints_each_driver_value_and_its_date(tmp_path: Path) -> None:
    result = wardctl("cost", "allocate", *SAMPLE, "--rules", str(with_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "drivers as of 2023-01-01 (january-before-fiscal-year):" in result.output
    assert "  131016 inkan_registrations 36,268 as of 2020-01-01; population 65,942 as of 2020-01-01" in result.output


def test_example_2024_census_does_not_change_july_2023(tmp_path: Path) -> None:
    # the example drivers file carries 2024-01-01 values; without them July 2023 is byte-identical
    trimmed = tmp_path / "drivers.yaml"
    text = (EXAMPLES / "drivers.yaml").read_text(encoding="utf-8")
    trimmed.write_text(re.sub(r', "2024-01-01": \d+', "", text), encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(WITH_FILE, encoding="utf-8")
    ours = wardctl("cost", "allocate", *SAMPLE, "--rules", str(rules), "--format", "json")
    (tmp_path / "full").mkdir()
    theirs = wardctl("cost", "allocate", *SAMPLE, "--rules", str(with_file(tmp_path / "full")), "--format", "json")
    assert ours.exit_code == 0, ours.output
    assert ours.output == theirs.output
    assert "2024-01-01" not in ours.output


def test_no_value_at_the_reference_date_is_one_located_error_and_nothing_written(tmp_path: Path) -> None:
    text = (EXAMPLES / "drivers.yaml").read_text(encoding="utf-8")
    (tmp_path / "drivers.yaml").write_text(
        text.replace('"131024": {"2020-01-01": 168361, ', '"131024": {'), encoding="utf-8"
    )
    (tmp_path / "rules.yaml").write_text(WITH_FILE, encoding="utf-8")
    out = tmp_path / "statement.json"
    result = wardctl("cost", "allocate", *SAMPLE, "--rules", str(tmp_path / "rules.yaml"), "--out", str(out))
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln]
    assert len(lines) == 1, result.output
    line_no = text.splitlines().index(next(ln for ln in text.splitlines() if '"131024"' in ln)) + 1
    assert lines[0].startswith(f"{tmp_path / 'drivers.yaml'}:{line_no}:"), lines[0]
    assert "COST041 ward 131024 has no 'population' value dated on or before 2023-01-01" in lines[0]
    assert not out.exists()


def test_bad_drivers_file_is_located(tmp_path: Path) -> None:
    (tmp_path / "drivers.yaml").write_text(
        'population:\n  values:\n    "131016": {"2023-13-01": 5}\n    "131024": {"2023-01-01": -1}\n',
        encoding="utf-8",
    )
    (tmp_path / "rules.yaml").write_text(WITH_FILE, encoding="utf-8")
    result = wardctl("cost", "allocate", *SAMPLE, "--rules", str(tmp_path / "rules.yaml"))
    assert result.exit_code == 1
    drivers = tmp_path / "drivers.yaml"
    assert f"{drivers}:3:16: COST040 '2023-13-01' is not a date YYYY-MM-DD" in result.output
    assert f"{drivers}:4:30: COST040 -1 is not a number ≥ 0" in result.output


def test_missing_drivers_file_is_named_at_the_rules_key(tmp_path: Path) -> None:
    extra = "driver_data: {as_of: period-start, file: nope.yaml}\n"
    rules = write_rules(tmp_path / "rules.yaml", POPULATION_POOL, extra)
    result = wardctl("cost", "allocate", *SAMPLE, "--rules", str(rules))
    assert result.exit_code == 1
    assert f"{rules}:7:42:" in result.output and "COST040 drivers file" in result.output
