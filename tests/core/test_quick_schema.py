"""The quick schema check (jsonschema-rs) says "valid" only where jsonschema does, and spares the import."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from wardcloud.core.quick_schema import quick_validator
from wardcloud.cost_allocation.rules import RULES_SCHEMA
from wardcloud.tenants.load import load_document
from wardcloud.tenants.schema import tenant_schema

REPO = Path(__file__).resolve().parents[2]
WARDS = sorted((REPO / "tenants" / "wards").glob("*.yaml"))
RULES = REPO / "cost_allocation" / "examples" / "rules.yaml"
TENANT = load_document(WARDS[0]).value
TENANT_QUICK = quick_validator(tenant_schema(), formats=True)
TENANT_FULL = Draft202012Validator(tenant_schema(), format_checker=FormatChecker())
RULES_QUICK = quick_validator(RULES_SCHEMA, formats=False)
RULES_FULL = Draft202012Validator(RULES_SCHEMA)

# where Python's re and date/ipaddress and Rust's regex and formats part ways, and values jsonschema-rs
# cannot take as they are
TRICKY: list[Any] = [
    "0000-01-01", "2024-02-29", "2023-02-29", "131016\n", "0 2 * * *\n", "0\x1c2 * * * *", "0\xa02 * * *",
    "１３１０１６", "\U00011f50" * 6, "10.0.0.0/24", "010.0.0.0/24", "10.0.0.1", "010.0.0.1", "", "a" * 300,
    1.0, 2**70, -(2**70), float("nan"), float("inf"), True, False, None, 0, -1, 131016, [], {}, {"1": 1},
    {1: "x"}, ["131016", "131016"], [1, True], "mynumber", "internet", "Asia/Tokyo", "2026-13-01",
]


def _leaves(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [at] + [p for k, v in value.items() for p in _leaves(v, (*at, k))]
    if isinstance(value, list):
        return [at] + [p for i, v in enumerate(value) for p in _leaves(v, (*at, i))]
    return [at]


def _replace(document: Any, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return value
    changed = copy.deepcopy(document)
    parent = changed
    for step in at[:-1]:
        parent = parent[step]
    parent[at[-1]] = value
    return changed


def _quick_yes_is_a_full_yes(quick: Any, full: Draft202012Validator, document: Any) -> None:
    assert quick is not None
    if quick(document):
        assert full.is_valid(document), document


TENANT_PLACES = _leaves(TENANT)
RULES_DOC = load_document(RULES).value
RULES_PLACES = _leaves(RULES_DOC)


def test_every_shipped_schema_gets_the_quick_check_and_every_bundled_file_passes_it() -> None:
    from wardcloud.policies.config import DEFAULT_CONFIG, _schema

    config_quick = quick_validator(_schema(), formats=False)
    assert TENANT_QUICK is not None and RULES_QUICK is not None and config_quick is not None
    assert all(TENANT_QUICK(load_document(path).value) for path in WARDS)
    assert RULES_QUICK(RULES_DOC)
    assert config_quick(load_document(DEFAULT_CONFIG).value)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(TENANT_PLACES), st.one_of(st.sampled_from(TRICKY), st.text(max_size=12),
                                                 st.integers(), st.floats()))
def test_a_quick_yes_on_a_tenant_is_always_a_jsonschema_yes(at: tuple[Any, ...], value: Any) -> None:
    _quick_yes_is_a_full_yes(TENANT_QUICK, TENANT_FULL, _replace(TENANT, at, value))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(RULES_PLACES), st.one_of(st.sampled_from(TRICKY), st.text(max_size=12),
                                                st.integers(), st.floats()))
def test_a_quick_yes_on_rules_is_always_a_jsonschema_yes(at: tuple[Any, ...], value: Any) -> None:
    _quick_yes_is_a_full_yes(RULES_QUICK, RULES_FULL, _replace(RULES_DOC, at, value))


@pytest.mark.parametrize("value", ["0000-01-01", "0\x1c2 * * * *", "131016\n", 2**70, float("nan")])
def test_where_the_engines_part_ways_the_quick_check_defers(value: Any) -> None:
    assert TENANT_QUICK is not None
    for at in TENANT_PLACES:
        assert not TENANT_QUICK(_replace(TENANT, at, value)) or TENANT_FULL.is_valid(_replace(TENANT, at, value))


def test_a_schema_it_cannot_vouch_for_gets_no_quick_check() -> None:
    assert quick_validator({"type": "string", "pattern": r"^\d+$"}, formats=False) is None  # \d: Unicode tables
    assert quick_validator({"type": "string", "format": "email"}, formats=True) is None  # not jsonschema's rule
    assert quick_validator({"type": "string", "format": "email"}, formats=False) is not None


def test_validating_the_bundled_wards_rules_and_policy_config_does_not_import_jsonschema() -> None:
    code = ("import sys; from pathlib import Path\n"
            "from wardcloud.tenants.validate import load_tenants\n"
            "from wardcloud.cost_allocation.rules import load_rules\n"
            "from wardcloud.policies.config import load_config\n"
            "load_config()\n"
            f"assert len(load_tenants(Path({str(REPO / 'tenants' / 'wards')!r}))) == 23\n"
            f"load_rules(Path({str(RULES)!r}))\n"
            "assert 'jsonschema' not in sys.modules, 'jsonschema was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
