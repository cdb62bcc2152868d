"""Reference data, the check digit, the schema's self-description and the CIDR sweep."""

from __future__ import annotations

import json
from datetime import date
from ipaddress import IPv4Network
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import BUNDLED_WARDS
from wardcloud.tenants.model import AuditPolicy, BackupPolicy, Membership, Quotas, Segment, Tenant
from wardcloud.tenants.reference import address_plan, check_digit, has_valid_check_digit, reference_wards
from wardcloud.tenants.schema import tenant_schema
from wardcloud.tenants.validate import cross_ward_problems


def test_all_23_reference_codes_carry_a_valid_check_digit():
    wards = reference_wards()
    assert len(wards) == 23
    assert all(has_valid_check_digit(w.code6) for w in wards)
    assert {w.code6 for w in wards} >= {"131041", "131181", "131211"}  # the three corrected codes


def test_check_digit_matches_known_codes():
    assert check_digit("13113") == 0  # Shibuya 131130
    assert check_digit("13104") == 1  # Shinjuku 131041
    assert check_digit("01100") == 2  # Sapporo 011002


@given(st.from_regex(r"[0-9]{5}", fullmatch=True), st.integers(0, 9))
def test_exactly_one_sixth_digit_is_valid(code5, digit):
    assert has_valid_check_digit(f"{code5}{digit}") == (digit == check_digit(code5))


def test_every_schema_property_has_a_description():
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if "description" not in child:
                    missing.append(f"{path}.{name}")
            for key, child in node.items():
                walk(child, f"{path}.{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")

    walk(tenant_schema(), "$")
    assert missing == []
    assert tenant_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_bundled_files_name_the_schema_for_editors():
    for path in BUNDLED_WARDS.glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/ward-tenant.schema.json", path.name
    assert json.loads((BUNDLED_WARDS.parent / "schema" / "ward-tenant.schema.json").read_text())


def _tenant(index: int, cidrs: list[IPv4Network]) -> Tenant:
    quotas = Quotas(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
    return Tenant(code=f"{index:06d}", name=f"w{index}", name_en=f"W{index}", population=1,
                  population_as_of=date(2020, 1, 1), membership=Membership(date(2021, 4, 1)),
                  segments=tuple(Segment(n, c) for n, c in zip(("mynumber", "lgwan", "internet"), cidrs,
                                                               strict=True)),
                  security_groups=(), quotas=quotas, backup=BackupPolicy("0 0 * * *", 30),
                  audit=AuditPolicy(5), source_file=f"w{index}.yaml")


networks = st.builds(lambda a, b, p: IPv4Network((f"10.{a}.{b}.0", p), strict=False),
                     st.integers(1, 6), st.integers(0, 255), st.integers(16, 24))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(networks, min_size=3, max_size=3), min_size=1, max_size=6))
def test_sweep_flags_a_ward_exactly_when_brute_force_finds_an_overlap(wards):
    tenants = [_tenant(i, cidrs) for i, cidrs in enumerate(wards)]
    flagged = {p.file for p in cross_ward_problems(tenants, address_plan()) if p.code == "TEN031"}
    blocks = [(t.source_file, s.cidr) for t in tenants for s in t.segments]
    overlapping = {f for (f, a), (g, b) in combinations(blocks, 2) if a.overlaps(b) for f in (f, g)}
    # every reported file really overlaps, and every overlap is reported on at least one side
    assert flagged <= overlapping
    pairs = [(f, g) for (f, a), (g, b) in combinations(blocks, 2) if a.overlaps(b)]
    assert all(f in flagged or g in flagged for f, g in pairs)
