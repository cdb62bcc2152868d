"""Reference data shipped with the project: the 23 wards and the address plan."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from ipaddress import IPv4Network

import yaml

from wardcloud.tenants.problems import Code, Problem, TenantError

CHECK_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5: str) -> int:
    """Check digit of a 全国地方公共団体コード: (11 - Σ wᵢ·dᵢ mod 11) mod 10 with weights 6,5,4,3,2."""
    total = sum(w * int(d) for w, d in zip(CHECK_WEIGHTS, code5, strict=True))
    return (11 - total % 11) % 10


def has_valid_check_digit(code6: str) -> bool:
    """True when the sixth digit is the check digit of the first five."""
    return len(code6) == 6 and code6.isascii() and code6.isdigit() and check_digit(code6[:5]) == int(code6[5])


@dataclass(frozen=True)
class ReferenceWard:
    """A row of `reference/wards.csv` (population: 住民基本台帳, 2020-01-01)."""

    code6: str
    name: str
    name_en: str
    population: int


POPULATION_AS_OF = "2020-01-01"


@cache
def reference_wards() -> tuple[ReferenceWard, ...]:
    """The 23 special wards, in code order."""
    text = resources.files("wardcloud.tenants").joinpath("reference/wards.csv").read_text(encoding="utf-8")
    return tuple(
        ReferenceWard(row["code6"], row["name_ja"], row["name_en"], int(row["population"]))
        for row in csv.DictReader(text.splitlines())
    )


@dataclass(frozen=True)
class ReservedBlock:
    """An address block the platform keeps for itself."""

    cidr: IPv4Network
    purpose: str


@dataclass(frozen=True)
class AddressPlan:
    """Where ward segments may be numbered, and what the platform uses."""

    ward_supernets: tuple[IPv4Network, ...]
    reserved: tuple[ReservedBlock, ...]
    ward_block_prefix: int
    segment_prefix: int
    egress_cidr: IPv4Network
    lgwan_gateway_cidr: IPv4Network
    shared_services_cidr: IPv4Network
    dns_nameservers: tuple[str, ...]


@cache
def address_plan() -> AddressPlan:
    """The consortium address plan from `reference/address-plan.yaml`."""
    text = resources.files("wardcloud.tenants").joinpath("reference/address-plan.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    platform = raw["platform"]
    return AddressPlan(
        ward_supernets=tuple(IPv4Network(c) for c in raw["ward_supernets"]),
        reserved=tuple(ReservedBlock(IPv4Network(r["cidr"]), r["purpose"]) for r in raw["reserved"]),
        ward_block_prefix=int(raw["ward_block_prefix"]),
        segment_prefix=int(raw["segment_prefix"]),
        egress_cidr=IPv4Network(platform["egress_cidr"]),
        lgwan_gateway_cidr=IPv4Network(platform["lgwan_gateway_cidr"]),
        shared_services_cidr=IPv4Network(platform["shared_services_cidr"]),
        dns_nameservers=tuple(platform["dns_nameservers"]),
    )


def reference_ward(code6: str, where: str | None = None) -> ReferenceWard:
    """The reference row of ward `code6`; TenantError otherwise, located at `where` (default: the code).

    One mistake, one code, whichever command the code was given to: a wrong check digit is TEN020 (as in
    a tenant file), anything else that is not one of the 23 wards' codes TEN024.
    """
    ward = next((w for w in reference_wards() if w.code6 == code6), None)
    if ward is not None:
        return ward
    if len(code6) == 6 and code6.isdigit() and not has_valid_check_digit(code6):
        expected = f"{code6[:5]}{check_digit(code6[:5])}"
        hint = next((f" ({w.name} {w.name_en})" for w in reference_wards() if w.code6 == expected), "")
        raise TenantError([Problem(where or code6, 0, 0, Code.CHECK_DIGIT,
                                   f"code {code6} has a wrong check digit: expected {expected}{hint}")])
    known = ", ".join(w.code6 for w in reference_wards())
    raise TenantError([Problem(where or code6, 0, 0, Code.UNKNOWN_WARD,
                               f"{code6} is not a ward of the 23 (their codes: {known})")])
