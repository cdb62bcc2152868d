"""One statement model, one JSON form: what `cost allocate --format json` writes reads back into the same model.

`Statement.from_json(s.to_json()) == s` for allocated and generated statements, and JSON that `to_json` wrote,
read and written again, is the same text to the byte. A malformed document is refused with every problem
named at its path.
"""

from __future__ import annotations

import json
import os
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.cost_allocation.helpers import SAMPLE_BILL, SAMPLE_INPUTS, SAMPLE_RULES, SAMPLE_USAGE, WARDS_DIR
from tests.cost_allocation.test_agreement import AGREED
from tests.cost_allocation.test_agreement import run as run_agreement
from tests.cost_allocation.test_join_and_leave_year import month
from wardcloud.cost_allocation.errors import CostError
from wardcloud.cost_allocation.model import (
    CapReallocation,
    DriverValue,
    PoolAllocation,
    Statement,
    StatementLine,
    WardStatement,
    number,
)
from wardcloud.cost_allocation.rules import Agreement
from wardcloud.cost_allocation.shares import Period, Ward
from wardcloud.cost_allocation.statement import allocate_files
from wardcloud.tenants.validate import load_tenants

SAMPLE = ["cost", "allocate", "--period", "2023-07", *SAMPLE_INPUTS]


def sample_statement() -> Statement:
    """The July 2023 sample, allocated by the library."""
    wards = [Ward.from_tenant(t) for t in load_tenants(WARDS_DIR)]
    return allocate_files(SAMPLE_BILL, SAMPLE_RULES, wards, Period.month("2023-07"), SAMPLE_USAGE)


GOLDEN = ROOT / "tests" / "golden"


def text(document: Any) -> str:
    """The bytes `cost allocate --format json` prints for a document."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def matches_golden(name: str, produced: str) -> bool:
    """The JSON shape is stable: regenerate with UPDATE_GOLDEN=1 only for a change docs/cost.md announces."""
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    return produced == golden.read_text(encoding="utf-8")


def test_cost_allocate_json_is_the_golden_to_the_byte(wardctl: Any) -> None:
    result = wardctl("--tenants", str(WARDS_DIR), *SAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    assert matches_golden("cost-allocate-2023-07.json", result.stdout)


def test_agreements_buy_ins_and_leaving_lines_are_the_golden_to_the_byte(tmp_path: Path) -> None:
    documents = [
        run_agreement(tmp_path, AGREED).to_json(),
        run_agreement(tmp_path).to_json(),
        month(tmp_path, "2023-10").to_json(),
        month(tmp_path, "2024-02").to_json(),
    ]
    assert matches_golden("cost-statement-kinds.json", text(documents))


def test_cost_allocate_json_reads_back_and_writes_the_same_bytes(wardctl: Any) -> None:
    result = wardctl("--tenants", str(WARDS_DIR), *SAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    statement = Statement.from_json(json.loads(result.stdout), "alloc.json")
    assert text(statement.to_json()) == result.stdout
    # the sample has dated drivers and a cap that moved yen: both are in the model, not lost on reading
    assert statement.driver_reference == date(2023, 1, 1)
    assert any(p.reallocation and p.reallocation.consultation == "required" for p in statement.pools)
    assert all(w.drivers for w in statement.wards)


def test_an_allocated_statement_equals_itself_read_back() -> None:
    statement = sample_statement()
    again = Statement.from_json(statement.to_json())
    assert again == statement
    assert again.to_json() == statement.to_json()


def test_agreements_buy_ins_and_leaving_lines_survive_the_round_trip(tmp_path: Path) -> None:
    agreed = run_agreement(tmp_path, AGREED)
    assert agreed.pools[0].reallocation is not None and agreed.pools[0].reallocation.agreement is not None
    for statement in (agreed, month(tmp_path, "2023-10"), month(tmp_path, "2024-02")):
        again = Statement.from_json(statement.to_json())
        assert again == statement and text(again.to_json()) == text(statement.to_json())
    kinds = {line.kind for w in month(tmp_path, "2024-02").wards for line in w.lines}
    assert {"leave_refund", "leave_buyout", "leave_commitment"} <= kinds


# --- generated statements ---------------------------------------------------------------------------------

CODES = st.sampled_from([f"1310{n:02d}" for n in range(10, 40)])
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
YEN = st.integers(-(10**12), 10**12)
DAYS = st.dates(date(2000, 1, 1), date(2099, 12, 31))
# a number as the JSON states it: an integer, or a decimal of at most 12 significant digits
STATED = st.one_of(
    st.integers(-(10**9), 10**9).map(Fraction),
    st.fractions(-(10**6), 10**6, max_denominator=10**6).map(lambda f: Fraction(repr(number(f)))),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.floats(allow_nan=False, allow_infinity=False) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def lines(draw: st.DrawFn) -> StatementLine:
    detail = draw(st.dictionaries(WORDS.filter(lambda k: k not in ("kind", "pool", "amount")), JSON_VALUES, max_size=4))
    return StatementLine(draw(WORDS), draw(YEN), draw(st.one_of(st.just(""), WORDS)), tuple(detail.items()))


@st.composite
def ward_statements(draw: st.DrawFn, code: str) -> WardStatement:
    drivers = draw(st.lists(st.builds(DriverValue, WORDS, STATED, st.none() | DAYS, WORDS), max_size=2))
    return WardStatement(
        code,
        draw(WORDS),
        draw(YEN),
        draw(YEN),
        draw(YEN),
        tuple(draw(st.lists(lines(), max_size=3))),
        tuple(drivers),
    )


@st.composite
def pools(draw: st.DrawFn, index: int, codes: list[str], period: str) -> PoolAllocation:
    pool_id = draw(WORDS.map(lambda w: f"{w}#{index}"))  # pool ids need not be unique, but may as well be
    allocations = {code: draw(YEN) for code in codes}
    reallocation = None
    if draw(st.booleans()):
        agreement = None
        if draw(st.booleans()):
            excess = {code: draw(STATED.filter(lambda f: f > 0)) for code in draw(st.lists(CODES, max_size=3))}
            # the JSON gives agreed weights as numbers, 2 as 2.0: reading gives the decimal back
            excess = {code: Fraction(repr(number(w))) for code, w in excess.items()}
            agreement = Agreement(period, pool_id, draw(WORDS), draw(DAYS), excess, draw(WORDS))
        moved = draw(st.dictionaries(CODES, YEN.filter(bool), max_size=4))
        reallocation = CapReallocation(tuple(draw(st.lists(CODES, max_size=2))), moved, agreement)
    return PoolAllocation(pool_id, sum(allocations.values()), allocations, reallocation)


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    period = Period.month(draw(st.dates(date(2000, 1, 1), date(2099, 12, 1))).strftime("%Y-%m"))
    codes = draw(st.lists(CODES, unique=True, max_size=4))
    wards = tuple(draw(ward_statements(code)) for code in codes)
    pool_list = tuple(draw(pools(i, codes, period.label)) for i in range(draw(st.integers(0, 3))))
    dated = draw(st.booleans())
    return Statement(
        period,
        draw(st.sampled_from(["JPY", "USD"])),
        sum(w.total for w in wards),
        pool_list,
        wards,
        draw(WORDS) if dated else None,
        draw(DAYS) if dated else None,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_from_json_and_to_json_are_one_round_trip(statement: Statement) -> None:
    document = statement.to_json()
    again = Statement.from_json(json.loads(text(document)))
    assert again == statement
    assert text(again.to_json()) == text(document)


# --- malformed documents ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return sample_statement().to_json()


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(CostError) as caught:
        Statement.from_json(document, "alloc.json")
    assert all(p.file == "alloc.json" for p in caught.value.problems)
    return [(p.code, p.path) for p in caught.value.problems]


def test_every_malformed_part_is_named_at_its_path(sample: dict[str, Any]) -> None:
    document = json.loads(json.dumps(sample))
    document["drivers_as_of"]["date"] = "2023-13-01"
    document["wards"][0]["drivers"][0]["value"] = "many"
    document["wards"][1]["drivers"] = [5]
    document["pools"][0]["cap_reallocation"]["moved"]["131016"] = 1.5
    document["pools"][0]["cap_reallocation"]["consultation"] = "agreed"
    assert sorted(problems(document)) == [
        ("R001", "pools[0].cap_reallocation.moved.131016"),
        ("R013", "drivers_as_of.date"),
        ("R013", "pools[0].cap_reallocation.consultation"),
        ("R013", "wards[0].drivers[0].value"),
        ("R013", "wards[1].drivers[0]"),
    ]


def test_an_operating_charge_that_is_not_direct_plus_shared_is_r008(sample: dict[str, Any]) -> None:
    document = json.loads(json.dumps(sample))
    document["wards"][2]["operating"] += 1
    assert problems(document) == [("R008", "wards[2]")]


@pytest.mark.parametrize("period", ["2023-13", "July", 202307, "２０２３-07"])
def test_a_period_that_is_not_a_month_is_cost030(sample: dict[str, Any], period: Any) -> None:
    assert problems({**sample, "period": period}) == [("COST030", "period")]


def test_an_agreement_without_its_date_is_r013(sample: dict[str, Any]) -> None:
    document = json.loads(json.dumps(sample))
    document["pools"][0]["cap_reallocation"].update(
        agreement={"agreed_by": "特別区長会", "note": "", "excess_to": {"131016": 1.0}}, consultation="agreed"
    )
    assert problems(document) == [("R013", "pools[0].cap_reallocation.agreement.agreed_on")]
