"""Write a new, valid tenant file for a ward: reference identity, free address blocks, baseline settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from ipaddress import IPv4Network
from pathlib import Path

from wardcloud.core.files import write_atomic
from wardcloud.tenants.model import SEGMENT_NAMES, Tenant
from wardcloud.tenants.problems import Code, Problem, TenantError
from wardcloud.tenants.reference import POPULATION_AS_OF, AddressPlan, ReferenceWard, address_plan, reference_ward
from wardcloud.tenants.validate import validate_paths

SCHEMA_MODELINE = "# yaml-language-server: $schema=../schema/ward-tenant.schema.json"


@dataclass(frozen=True)
class Tier:
    """Baseline quotas sized to a ward's population."""

    instances: int
    cores: int
    ram_mb: int
    volumes: int
    volume_gb: int


TIERS = ((250_000, Tier(20, 80, 163_840, 40, 4_000)),
         (500_000, Tier(40, 160, 327_680, 80, 8_000)),
         (10**9, Tier(60, 240, 491_520, 120, 12_000)))


def tier_for(population: int) -> Tier:
    """Small, medium or large baseline by population."""
    return next(tier for limit, tier in TIERS if population < limit)


def next_free_block(plan: AddressPlan, used: Iterable[IPv4Network]) -> IPv4Network:
    """The first ward block of the plan that overlaps no reserved block and no used segment."""
    taken = [r.cidr for r in plan.reserved] + list(used)
    for supernet in plan.ward_supernets:
        for block in supernet.subnets(new_prefix=plan.ward_block_prefix):
            if not any(block.overlaps(t) for t in taken):
                return block
    raise TenantError([Problem("tenants/reference/address-plan.yaml", 0, 0, Code.CIDR_OUTSIDE_PLAN,
                               "the address plan has no free ward block left")])


def segment_cidrs(plan: AddressPlan, block: IPv4Network) -> dict[str, IPv4Network]:
    """The three segment networks at the start of a ward block, in segment order."""
    subnets = block.subnets(new_prefix=plan.segment_prefix)
    return {name: next(subnets) for name in SEGMENT_NAMES}


def file_name(ward: ReferenceWard) -> str:
    """`<code6>-<name_en lower-case>.yaml`."""
    return f"{ward.code6}-{ward.name_en.lower()}.yaml"


def render_tenant(ward: ReferenceWard, cidrs: dict[str, IPv4Network], joined: date,
                  population_as_of: str, services: Iterable[str], drivers: dict[str, int] | None = None) -> str:
    """The YAML text of a baseline tenant file, commented for the ward's IT staff."""
    tier = tier_for(ward.population)
    driver_lines = "".join(f"\n    {name}: {value}" for name, value in (drivers or {}).items())
    drivers_block = f"\n  drivers:{driver_lines}" if driver_lines else "\n  drivers: {}"
    service_list = ", ".join(services)
    return f"""{SCHEMA_MODELINE}
# {ward.name} ({ward.name_en}) — tenant of the 23 wards' shared cloud.
# Change it through a pull request; `wardctl validate` and `wardctl policy check` run in CI.
ward:
  code: "{ward.code6}"
  name: {ward.name}
  name_en: {ward.name_en}
  population: {ward.population}
  population_as_of: {population_as_of}{drivers_block}
membership:
  joined: {joined.isoformat()}
  left: null
segments:
  mynumber:
    cidr: {cidrs["mynumber"]}
    volume_encryption: true
  lgwan:
    cidr: {cidrs["lgwan"]}
  internet:
    cidr: {cidrs["internet"]}
security_groups:
  - name: mynumber-app
    segment: mynumber
    description: Resident-record applications; reachable only from inside the segment.
    ingress:
      - {{protocol: tcp, ports: 443, source: mynumber, description: app tier to app tier}}
      - {{protocol: tcp, ports: 22, source: 10.0.0.0/24, description: platform bastion (allowlisted)}}
  - name: lgwan-app
    segment: lgwan
    description: Internal business systems on the LGWAN side.
    ingress:
      - {{protocol: tcp, ports: 443, source: lgwan, description: staff terminals}}
      - {{protocol: tcp, ports: 443, source: 10.0.16.0/20, description: LGWAN gateway network}}
      - {{protocol: tcp, ports: 22, source: 10.0.0.0/24, description: platform bastion (allowlisted)}}
  - name: internet-web
    segment: internet
    description: Public web front ends.
    ingress:
      - {{protocol: tcp, ports: 443, source: 0.0.0.0/0, description: HTTPS from anywhere}}
      - {{protocol: tcp, ports: 80, source: 0.0.0.0/0, description: HTTP redirect to HTTPS}}
quotas:
  instances: {tier.instances}
  cores: {tier.cores}
  ram_mb: {tier.ram_mb}
  volumes: {tier.volumes}
  volume_gb: {tier.volume_gb}
  snapshots: {tier.volumes}
  networks: 3
  subnets: 3
  ports: {tier.instances * 5}
  routers: 2
  floating_ips: 4
  security_groups: 10
  security_group_rules: 100
backup:
  schedule: "0 2 * * *"    # 02:00, read in Asia/Tokyo (set timezone: to change)
  retention_days: 35
  offsite_copy: [mynumber, lgwan]
audit:
  retention_years: 7
  ship_to_central: true
services: [{service_list}]
waivers: []
"""


def scaffold(ward: ReferenceWard, directory: Path, existing: Iterable[Tenant], plan: AddressPlan,
             joined: date, population_as_of: str) -> Path:
    """Write a new tenant file for `ward` in `directory`; TenantError (TEN022) rather than overwrite one."""
    target = directory / file_name(ward)
    if target.exists():
        raise TenantError([Problem(str(target), 0, 0, Code.DUPLICATE_CODE, "already exists; edit it instead")])
    tenants = list(existing)
    if any(t.code == ward.code6 for t in tenants):
        other = next(t for t in tenants if t.code == ward.code6)
        raise TenantError([Problem(other.source_file, 0, 0, Code.DUPLICATE_CODE,
                                   f"ward {ward.code6} already has a tenant file")])
    used = [segment.cidr for tenant in tenants for segment in tenant.segments]
    cidrs = segment_cidrs(plan, next_free_block(plan, used))
    text = render_tenant(ward, cidrs, joined, population_as_of, ("bousai", "procurement", "renkei"))
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    return target


def new_tenant_file(code6: str, directory: Path, joined: date) -> Path:
    """What `wardctl tenant new` does: scaffold ward `code6` in `directory` beside the files already there."""
    ward = reference_ward(code6)
    existing = validate_paths([directory]).tenants if directory.is_dir() else ()
    return scaffold(ward, directory, existing, address_plan(), joined, POPULATION_AS_OF)
