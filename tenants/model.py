"""The tenant model: what one ward declares, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any, Literal

SegmentName = Literal["mynumber", "lgwan", "internet"]
SEGMENT_NAMES: tuple[SegmentName, ...] = ("mynumber", "lgwan", "internet")
SHARED_SERVICES: tuple[str, ...] = ("bousai", "procurement", "renkei")


@dataclass(frozen=True)
class Segment:
    """One layer of the three-layer separation, with its address block."""

    name: SegmentName
    cidr: IPv4Network
    dns_nameservers: tuple[str, ...] = ()
    volume_encryption: bool = False


@dataclass(frozen=True)
class SecurityRule:
    """One ingress rule; `source` is a CIDR or the name of one of the ward's segments."""

    protocol: Literal["tcp", "udp", "icmp", "any"]
    source: str
    port_min: int | None = None
    port_max: int | None = None
    description: str = ""

    @property
    def source_segment(self) -> SegmentName | None:
        """The segment the rule admits traffic from, when the source names one."""
        return self.source if self.source in SEGMENT_NAMES else None  # type: ignore[return-value]

    @property
    def source_network(self) -> IPv4Network | IPv6Network | None:
        """The CIDR the rule admits traffic from, when the source is one."""
        return None if self.source_segment else ip_network(self.source, strict=True)

    @property
    def ports(self) -> str:
        """'443', '8000-8080' or 'all'."""
        if self.port_min is None:
            return "all"
        return str(self.port_min) if self.port_min == self.port_max else f"{self.port_min}-{self.port_max}"


@dataclass(frozen=True)
class SecurityGroup:
    """A segment's security group: default-deny ingress plus the declared rules."""

    name: str
    segment: SegmentName
    ingress: tuple[SecurityRule, ...]
    description: str = ""


@dataclass(frozen=True)
class Quotas:
    """Per-ward quotas for compute, block storage and network."""

    instances: int
    cores: int
    ram_mb: int
    volumes: int
    volume_gb: int
    networks: int
    subnets: int
    ports: int
    routers: int
    floating_ips: int
    security_groups: int
    security_group_rules: int
    snapshots: int | None = None


@dataclass(frozen=True)
class BackupPolicy:
    """When backups run, how long they are kept, which segments are copied off-site."""

    schedule: str
    retention_days: int
    offsite_copy: tuple[SegmentName, ...] = ()
    timezone: str = "Asia/Tokyo"  # the zone `schedule` is read in


@dataclass(frozen=True)
class AuditPolicy:
    """How long audit logs are kept and whether they go to the central archive."""

    retention_years: int
    ship_to_central: bool = True


@dataclass(frozen=True)
class Membership:
    """Days a ward takes part: member on day d when joined <= d < left."""

    joined: date
    left: date | None = None

    def is_member(self, day: date) -> bool:
        """True when the ward is a member on `day`."""
        return self.joined <= day and (self.left is None or day < self.left)


@dataclass(frozen=True)
class Waiver:
    """An approved, expiring exception to one policy rule."""

    policy: str
    justification: str
    approver: str
    expires: date
    resource: str | None = None

    def active_on(self, day: date) -> bool:
        """A waiver applies up to and including its expiry date."""
        return day <= self.expires


@dataclass(frozen=True)
class Tenant:
    """One ward's declared tenancy, as loaded from `tenants/wards/<code6>-<name>.yaml`."""

    code: str
    name: str
    name_en: str
    population: int
    population_as_of: date
    membership: Membership
    segments: tuple[Segment, ...]
    security_groups: tuple[SecurityGroup, ...]
    quotas: Quotas
    backup: BackupPolicy
    audit: AuditPolicy
    services: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    drivers: tuple[tuple[str, float | int], ...] = ()
    source_file: str = ""
    # (line, column) of every field path in the source file, for reports that point into it
    locations: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stack(self) -> str:
        """The ward's Pulumi stack name."""
        return f"ward-{self.code}"

    def summary(self) -> dict[str, Any]:
        """The listing shape of `wardctl tenant list --format json`."""
        return {"code": self.code, "name": self.name, "name_en": self.name_en, "population": self.population,
                "joined": self.membership.joined.isoformat(),
                "left": self.membership.left.isoformat() if self.membership.left else None,
                "segments": {s.name: str(s.cidr) for s in self.segments}}

    def segment(self, name: str) -> Segment:
        """The segment called `name` (every tenant has all three)."""
        return next(s for s in self.segments if s.name == name)

    def driver(self, name: str) -> float | int | None:
        """A cost-allocation driver value: population or a declared driver; None when undeclared."""
        if name == "population":
            return self.population
        return dict(self.drivers).get(name)

    def location(self, path: str) -> tuple[int, int]:
        """(line, column) of a field path in the tenant file, or of its nearest ancestor."""
        while path and path not in self.locations:
            path = path.rpartition(".")[0] if "." in path else ""
        return self.locations.get(path, (1, 1))
