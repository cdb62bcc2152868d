"""The report's 協議 step (line 2951): a cap re-allocation is named on the statement; an agreed table replaces it.

Three wards A (131016, population 800), B (131024, 100), C (131032, 100); a population pool of ¥1,000 with a
cap of 50 %. Uncapped: 800 / 100 / 100. The cap fixes A at 500 and re-allocates the excess 300 to B and C pro
rata (1 : 1): 500 / 250 / 250 — A shed 300, B and C gained 150 each. An agreement giving the excess 2 : 1 to
B and C: B 100 + 200 = 300, C 100 + 100 = 200.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cost_allocation.helpers import row, ward, write_bill, write_rules
from wardcloud.cost_allocation.errors import CostError
from wardcloud.cost_allocation.focus import read_bill
from wardcloud.cost_allocation.rules import load_rules
from wardcloud.cost_allocation.shares import Period
from wardcloud.cost_allocation.statement import Statement, allocate, render_text

WARDS = [ward("131016", 800), ward("131024", 100), ward("131032", 100)]
POOL = "  - id: platform\n    match: {}\n    split: [{driver: population, weight: 1.0}]\n    cap: {share: 0.5}\n"
APRIL = Period.month("2024-04")


def run(tmp_path: Path, extra: str = "") -> Statement:
    rules = load_rules(write_rules(tmp_path / "rules.yaml", POOL, extra))
    bill = read_bill(write_bill(tmp_path / "bill.csv", [row(1000)]), "JPY", APRIL, rules.pools, WARDS)
    return allocate(bill, rules, WARDS, APRIL)


AGREED = (
    "agreements:\n  - {period: 2024-04, pool: platform, agreed_by: 特別区長会, agreed_on: 2024-05-10,"
    " note: 第3回幹事会, excess_to: {'131024': 2, '131032': 1}}\n"
)


def test_the_statement_names_the_reallocation_and_asks_for_consultation(tmp_path: Path) -> None:
    statement = run(tmp_path)
    (pool,) = statement.to_json()["pools"]
    assert pool["allocations"] == {"131016": 500, "131024": 250, "131032": 250}
    assert pool["cap_reallocation"] == {
        "capped": ["131016"],
        "moved": {"131016": -300, "131024": 150, "131032": 150},
        "agreement": None,
        "consultation": "required",
    }
    text = render_text(statement)
    assert "cap re-allocation moved 300 yen from 131016 to 2 ward(s): 131024, 131032" in text
    assert "協議 required" in text


def test_an_agreed_table_replaces_the_automatic_reallocation(tmp_path: Path) -> None:
    statement = run(tmp_path, AGREED)
    (pool,) = statement.to_json()["pools"]
    assert pool["allocations"] == {"131016": 500, "131024": 300, "131032": 200}
    assert pool["cap_reallocation"]["consultation"] == "agreed"
    assert pool["cap_reallocation"]["agreement"]["agreed_by"] == "特別区長会"
    assert pool["cap_reallocation"]["moved"] == {"131016": -300, "131024": 200, "131032": 100}
    assert "by agreement (協議) of 特別区長会 on 2024-05-10: 第3回幹事会" in render_text(statement)


def test_an_agreement_for_another_period_changes_nothing(tmp_path: Path) -> None:
    statement = run(tmp_path, AGREED.replace("period: 2024-04", "period: 2024-05"))
    assert statement.to_json()["pools"][0]["allocations"] == {"131016": 500, "131024": 250, "131032": 250}


def test_bad_agreements_are_located(tmp_path: Path) -> None:
    with pytest.raises(CostError) as caught:
        run(tmp_path, AGREED.replace("pool: platform", "pool: nope"))
    (problem,) = caught.value.problems
    assert (problem.code, problem.line) == ("COST070", 9) and "no pool 'nope'" in problem.message
    with pytest.raises(CostError) as caught:
        run(tmp_path, AGREED.replace("'131032': 1", "'131041': 1"))
    (problem,) = caught.value.problems
    assert problem.code == "COST070" and "not taking part: 131041" in problem.message
    assert problem.line == 9  # located at the agreement's excess_to in the rules file
