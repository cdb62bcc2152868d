"""The error codes the docs list are the ones the package has, each raised by some test; none is missing.

Every table in docs/*.md whose first column holds codes is read (`COST004 / COST005`, `R000–R011` ranges
expanded). The package's codes are the members of every `Code` enum and every code literal in its sources.
"""

from __future__ import annotations

import importlib
import re
from enum import StrEnum
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = (
    "audit", "backup", "cli", "cost_allocation", "governance", "infra", "live", "policies", "reports", "tenants",
    "src/wardcloud/core",
)
PREFIXES = ("AUD", "BKP", "COST", "FILE", "GOV", "INFRA", "LIVE", "POL", "R", "TEN")
ERROR_MODULES = (
    "audit.errors", "backup.errors", "cli.errors", "cost_allocation.errors", "governance.errors", "infra.errors",
    "live.errors", "policies.errors", "reports.errors", "tenants.problems", "core.cloud", "core.files",
)
# a code literal may stand only where an enum member is defined: `NAME = "CODE"  # why`
MEMBER = re.compile(r"^\s+[A-Z][A-Z0-9_]* = [\"'](" + "|".join(PREFIXES) + r")[0-9]{3}[\"']\s*(#.*)?$", re.ASCII)
CODE = re.compile(r"\b(" + "|".join(PREFIXES) + r")([0-9]{3})\b", re.ASCII)
LITERAL = re.compile(r"[\"'](" + "|".join(PREFIXES) + r")([0-9]{3})[\"']", re.ASCII)
RANGE = re.compile(r"\b(" + "|".join(PREFIXES) + r")([0-9]{3})\s*[–-]\s*\1?([0-9]{3})\b", re.ASCII)


def _enums() -> list[type[StrEnum]]:
    """Every StrEnum of code-like values in the packages' error modules."""
    enums = []
    for name in ERROR_MODULES:
        module = importlib.import_module(f"wardcloud.{name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum and any(
                CODE.fullmatch(member.value) for member in value
            ):
                enums.append(value)
    return enums


def codes_of_enums() -> set[str]:
    return {member.value for enum in _enums() for member in enum}


def codes_in_sources() -> set[str]:
    codes: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            codes |= {a + b for a, b in LITERAL.findall(path.read_text(encoding="utf-8"))}
    return codes


def codes_in_tables(path: Path) -> set[str]:
    """Codes in the first column of the file's markdown tables."""
    codes: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        first = line.split("|")[1]
        for prefix, low, high in RANGE.findall(first):
            codes |= {f"{prefix}{n:03d}" for n in range(int(low), int(high) + 1)}
        codes |= {a + b for a, b in CODE.findall(first)}
    return codes


def all_tests_text() -> str:
    here = Path(__file__).resolve()
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py") if p != here)


DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_every_package_code_is_in_docs_errors() -> None:
    listed = codes_in_tables(ROOT / "docs" / "errors.md")
    missing = sorted((codes_of_enums() | codes_in_sources()) - listed)
    assert not missing, f"add these to docs/errors.md: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_documented_code_exists(doc: Path) -> None:
    known = codes_of_enums() | codes_in_sources()
    unknown = sorted(codes_in_tables(doc) - known)
    assert not unknown, f"{doc.name} documents codes the package never raises: {unknown}"


def test_every_documented_code_is_raised_by_a_test() -> None:
    text = all_tests_text()
    members = {member.value: member.name for enum in _enums() for member in enum}
    documented = set().union(*(codes_in_tables(doc) for doc in DOCS))
    untested = sorted(code for code in documented
                      if code not in text and f"Code.{members.get(code, '-')}" not in text)
    assert not untested, f"no test raises these: {untested}"


def test_codes_are_enum_members_not_bare_strings() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LITERAL.search(line) and not MEMBER.match(line)
    ]
    assert not bare, "raise codes through their package's Code enum:\n" + "\n".join(bare)


def test_the_area_tables_agree_with_docs_errors() -> None:
    listed = codes_in_tables(ROOT / "docs" / "errors.md")
    for doc in DOCS:
        assert codes_in_tables(doc) <= listed, doc.name
