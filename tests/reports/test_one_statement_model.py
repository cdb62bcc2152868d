"""The reports read the cost library's statement model as it is: no second family of statement dataclasses in
`reports`, and no JSON round trip between the cost library and a report or workbook."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.cost_allocation.helpers import SAMPLE_BILL, SAMPLE_INPUTS, SAMPLE_RULES, SAMPLE_USAGE, WARDS_DIR
from wardcloud.cost_allocation import model
from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.build import allocate_bill
from wardcloud.reports.model import load_allocation
from wardcloud.tenants.validate import load_tenants

# field sets that make a dataclass a statement, a ward's statement, a pool's split or a statement line again
STATEMENT_SHAPES = ({"period", "pools", "wards"}, {"direct", "buy_in"}, {"allocations"}, {"kind", "amount"})


def dataclasses_in(source: Path) -> dict[str, set[str]]:
    """Each @dataclass class of a module and the names of its fields."""
    found = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and any(
            "dataclass" in ast.unparse(decorator) for decorator in node.decorator_list
        ):
            found[node.name] = {
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    return found


def statement_dataclasses(source: Path) -> list[str]:
    """The module's dataclasses that are the statement model again, by name or by shape."""
    return [
        f"{source.name}: {name}({', '.join(sorted(fields))})"
        for name, fields in dataclasses_in(source).items()
        if name in model.__all__ or name in ("Allocation", "Pool") or any(s <= fields for s in STATEMENT_SHAPES)
    ]


def test_reports_define_no_statement_dataclasses_of_their_own() -> None:
    again = [found for source in sorted((ROOT / "reports").rglob("*.py")) for found in statement_dataclasses(source)]
    assert not again, f"use wardcloud.cost_allocation.model instead of: {again}"


def test_the_guard_sees_the_family_reports_once_had(tmp_path: Path) -> None:
    old = tmp_path / "model.py"
    old.write_text(
        "from dataclasses import dataclass\n\n"
        "@dataclass(frozen=True)\nclass Entry:\n    kind: str\n    pool: str\n    amount: int\n\n"
        "@dataclass(frozen=True)\nclass Charges:\n    code: str\n    direct: int\n    shared: int\n    buy_in: int\n\n"
        "@dataclass(frozen=True)\nclass Split:\n    id: str\n    allocations: tuple[tuple[str, int], ...]\n\n"
        "@dataclass(frozen=True)\nclass Month:\n    period: str\n    pools: tuple[Split, ...]\n"
        "    wards: tuple[Charges, ...]\n\n"
        "@dataclass(frozen=True)\nclass WardInfo:\n    code: str\n    name: str\n",
        encoding="utf-8",
    )
    assert [found.split("(")[0] for found in statement_dataclasses(old)] == [
        "model.py: Entry",
        "model.py: Charges",
        "model.py: Split",
        "model.py: Month",
    ]


def test_a_report_gets_the_cost_librarys_statement_itself(tmp_path: Path) -> None:
    tenants = load_tenants(WARDS_DIR)
    computed = allocate_bill(SAMPLE_BILL, SAMPLE_RULES, tenants, "2023-07", SAMPLE_USAGE)
    assert type(computed) is Statement and computed.pools[0].shares.shares  # the workings, not a JSON copy
    saved = tmp_path / "alloc.json"
    saved.write_text(json.dumps(computed.to_json(), ensure_ascii=False), encoding="utf-8")
    loaded = load_allocation(saved)
    assert type(loaded) is Statement and loaded == computed


@pytest.fixture
def no_json_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a statement went through its JSON on the way to a report")

    monkeypatch.setattr(Statement, "to_json", refuse)
    monkeypatch.setattr(Statement, "from_json", classmethod(refuse))


def test_the_html_report_from_a_bill_never_writes_or_reads_statement_json(
    no_json_round_trip: None, wardctl: Any, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = wardctl("--tenants", str(WARDS_DIR), "report", "--period", "2023-07", *SAMPLE_INPUTS, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "¥" in out.read_text(encoding="utf-8")


def test_the_statements_workbook_never_writes_or_reads_statement_json(
    no_json_round_trip: None, wardctl: Any, tmp_path: Path
) -> None:
    out = tmp_path / "statements.xlsx"
    result = wardctl(
        "--tenants",
        str(WARDS_DIR),
        "cost",
        "allocate",
        "--period",
        "2023-07",
        *SAMPLE_INPUTS,
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
