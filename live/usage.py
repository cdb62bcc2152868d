"""Metered usage per ward from the live cloud, as FOCUS usage rows `cost allocate --usage` reads.

Two kinds of quantity, and every row says which (`x_Kind`):
- `interval`: metered over the period by the cloud itself — Nova's `os-simple-tenant-usage` (vCPU-,
  RAM GB-, disk GB- and instance-hours), for exactly the period asked (the current month up to the moment
  read, `x_MeasuredAt`). Valid for any period that has begun.
- `gauge`: what the cloud holds at the moment read (`x_MeasuredAt`) — Neutron's counts of ports, floating
  IPs and routers, Swift's bytes, and Cinder's volume and backup GB-months (each volume or backup that
  exists now, from its creation or the period's start up to now: one deleted or resized since is not
  seen). The cloud keeps no history of these, so they are written only for the current period; for a
  past period each is reported as skipped naming the metric, never stamped onto that month, and when no
  row at all remains the run fails (LIVE031) naming them. A period that has not begun fails (LIVE031).
A service missing from the catalog is reported as skipped, never written as zero.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wardcloud.core.cells import csv_writer
from wardcloud.core.cloud import Cloud, Code, cloud_error
from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.core.files import write_atomic
from wardcloud.live.errors import Code as LiveCode
from wardcloud.live.inventory import DOMAIN_NAME, _ward_of

COLUMNS = (
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "SubAccountId",
    "SubAccountName",
    "ServiceName",
    "ServiceCategory",
    "ResourceType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "x_ProjectId",
    "x_Source",
    "x_Kind",
    "x_MeasuredAt",
)
INTERVAL, GAUGE = "interval", "gauge"
MICROSECOND = timedelta(microseconds=1)
PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")

# (service type, name, category): the services usage is read from, in output order.
NEUTRON = ("network", "Neutron", "Networking")
NOVA = ("compute", "Nova", "Compute")
CINDER = ("block-storage", "Cinder", "Storage")
SWIFT = ("object-store", "Swift", "Storage")



class UsageError(WardcloudError):
    """Bad usage input: a malformed period."""


@dataclass(frozen=True)
class Period:
    """A calendar month, [start, end)."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


def parse_period(text: str, where: str = "--period") -> Period:
    """`YYYY-MM` → the month it names (UTC); UsageError otherwise."""
    match = PERIOD.match(text)
    if not match:
        raise UsageError([Problem(where, 0, 0, LiveCode.BAD_PERIOD, f"period {text!r} is not YYYY-MM (e.g. 2026-10)")])
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end)


@dataclass(frozen=True)
class UsageRow:
    """One FOCUS usage row: one ward, one metered quantity."""

    ward: str
    project_name: str
    project_id: str
    service: str
    category: str
    resource_type: str
    quantity: Decimal
    unit: str
    source: str
    kind: str = INTERVAL  # interval: metered over the period; gauge: what the cloud held at measured_at
    measured_at: datetime | None = None  # when read: gauges, and an interval cut at "now"

    def to_json(self, period: Period) -> dict[str, Any]:
        return dict(zip(COLUMNS, self.cells(period), strict=True))

    def cells(self, period: Period) -> tuple[str, ...]:
        return (
            _iso(period.start),
            _iso(period.end),
            self.ward,
            self.project_name,
            self.service,
            self.category,
            self.resource_type,
            _decimal(self.quantity),
            self.unit,
            self.project_id,
            self.source,
            self.kind,
            _iso(self.measured_at) if self.measured_at else "",
        )


@dataclass(frozen=True)
class Skipped:
    """A service usage could not be read from, and why."""

    service: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"service": self.service, "reason": self.reason}


@dataclass(frozen=True)
class Usage:
    """The rows of one period, and the services skipped."""

    cloud: str
    period: Period
    rows: tuple[UsageRow, ...]
    skipped: tuple[Skipped, ...]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv_writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow(row.cells(self.period))
        return out.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "period": self.period.label,
            "rows": [r.to_json(self.period) for r in self.rows],
            "skipped": [s.to_json() for s in self.skipped],
        }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text


def read_usage(cloud: Cloud, period: Period, domain_name: str = DOMAIN_NAME, now: datetime | None = None) -> Usage:
    """Every ward project's usage over `period`, from the services the catalog lists (module docstring)."""
    now = now or datetime.now(UTC)
    if period.start > now:
        raise UsageError(
            [
                Problem(
                    "--period", 0, 0, LiveCode.NOT_METERED, f"period {period.label} has not begun: no usage to read yet"
                )
            ]
        )
    current = period.end > now
    connection = cloud.connection
    identity, network = connection.identity, connection.network
    domains = cloud.call("identity", "list projects (is_domain)", identity.projects, is_domain=True, name=domain_name)
    projects = cloud.call("identity", "list projects", identity.projects, domain_id=domains[0].id) if domains else []
    tagged = ((_ward_of({"tags": p.tags}), p) for p in projects)
    wards = sorted(((ward, p) for ward, p in tagged if ward), key=lambda pair: pair[0])
    rows: list[UsageRow] = []
    skipped: list[Skipped] = []
    past: list[str] = []  # gauge metrics not written because the period is over

    def row(
        ward: str,
        project: Any,
        service: tuple[str, str, str],
        kind: str,
        quantity: Decimal | int,
        unit: str,
        source: str,
        gauge: bool = True,
    ) -> UsageRow:
        return UsageRow(
            ward,
            str(project.name),
            str(project.id),
            service[1],
            service[2],
            kind,
            Decimal(quantity),
            unit,
            source,
            GAUGE if gauge else INTERVAL,
            now if gauge or current else None,
        )

    def not_for_past(service: str, metrics: str) -> None:
        past.append(metrics)
        skipped.append(
            Skipped(
                service,
                f"{metrics}: a gauge (what the cloud holds now), not written for past period {period.label}",
            )
        )

    # Neutron: always (the dev cloud and every real one run it). One listing per kind, grouped locally.
    if current:
        ports = cloud.call("network", "list ports", network.ports)
        ips = cloud.call("network", "list floating ips", network.ips)
        routers = cloud.call("network", "list routers", network.routers)
        for ward, project in wards:
            for kind, items, unit in (
                ("Port", ports, "Ports"),
                ("FloatingIP", ips, "Floating IPs"),
                ("Router", routers, "Routers"),
            ):
                count = sum(1 for item in items if item.project_id == project.id)
                rows.append(row(ward, project, NEUTRON, kind, count, unit, f"neutron list {kind.lower()}s"))
    else:
        not_for_past("network (Neutron)", "Ports, Floating IPs, Routers")

    if cloud.has_service(NOVA[0]):
        rows += _nova_rows(cloud, wards, period, min(period.end, now), row)
    else:
        skipped.append(Skipped("compute (Nova)", f"not in the service catalog of cloud {cloud.name}"))

    if not any(cloud.has_service(kind) for kind in ("block-storage", "volumev3", "volume")):
        skipped.append(Skipped("block-storage (Cinder)", f"not in the service catalog of cloud {cloud.name}"))
    elif current:
        rows += _cinder_rows(cloud, wards, period, now, row)
    else:
        not_for_past("block-storage (Cinder)", "Volume-GB-Months, Backup-GB-Months")

    if not cloud.has_service(SWIFT[0]):
        skipped.append(Skipped("object-store (Swift)", f"not in the service catalog of cloud {cloud.name}"))
    elif current:
        rows += _swift_rows(cloud, wards, row)
    else:
        not_for_past("object-store (Swift)", "Bytes")
    if past and not rows:
        raise UsageError(
            [
                Problem(
                    "--period",
                    0,
                    0,
                    LiveCode.NOT_METERED,
                    f"period {period.label} is over and the cloud {cloud.name} meters none of it over time: "
                    f"{', '.join(past)} are gauges of what it holds now, never written for a past period",
                )
            ]
        )
    return Usage(cloud.name, period, tuple(rows), tuple(skipped))


def _nova_rows(
    cloud: Cloud, wards: Sequence[tuple[str, Any]], period: Period, end: datetime, row: Any
) -> list[UsageRow]:
    """os-simple-tenant-usage over [period start, `end`): `end` is now for the current month, as Nova
    counts a running server's hours up to the end asked, future included."""
    compute = cloud.connection.compute
    rows: list[UsageRow] = []
    source = f"nova os-simple-tenant-usage {_iso(period.start)}..{_iso(end)}"
    for ward, project in wards:
        usage = cloud.call(
            "compute",
            f"os-simple-tenant-usage {project.name}",
            compute.get_usage,
            project.id,
            start=period.start.replace(tzinfo=None),
            end=end.replace(tzinfo=None),
        )
        rows += [
            row(ward, project, NOVA, "vCPU", _number(usage.total_vcpus_usage), "vCPU-Hours", source, False),
            row(ward, project, NOVA, "RAM", _number(usage.total_memory_mb_usage) / 1024, "RAM-GB-Hours", source, False),
            row(ward, project, NOVA, "Instance", _number(usage.total_hours), "Instance-Hours", source, False),
            row(ward, project, NOVA, "Disk", _number(usage.total_local_gb_usage), "Disk-GB-Hours", source, False),
        ]
    return rows


def _number(value: Any) -> Decimal:
    """A JSON number as Decimal, through its text (no binary-float digits), absent as 0."""
    return Decimal(str(value)) if value is not None else Decimal(0)


def parse_time(text: Any) -> datetime | None:
    """Cinder's `created_at` (`2026-12-02T01:02:03.000000`, no zone: UTC) as an aware datetime."""
    if not text:
        return None
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def gb_months(size_gb: Any, created: datetime | None, period: Period, now: datetime) -> Decimal:
    """GB-months of one volume or backup of `size_gb` that exists at `now`, over the period up to `now`."""
    start = max(created or period.start, period.start)
    end = min(now, period.end)
    if end <= start:
        return Decimal(0)
    # whole microseconds, not float seconds: the parts of a split period add up to the whole exactly
    return (
        _number(size_gb) * Decimal((end - start) // MICROSECOND) / Decimal((period.end - period.start) // MICROSECOND)
    )


def _cinder_rows(
    cloud: Cloud, wards: Sequence[tuple[str, Any]], period: Period, now: datetime, row: Any
) -> list[UsageRow]:
    """Volume and backup GB-months per ward project, from the volumes and backups that exist now."""
    storage = cloud.connection.block_storage
    volumes = cloud.call("block-storage", "list volumes (all projects)", storage.volumes, all_projects=True)
    backups = cloud.call("block-storage", "list backups (all projects)", storage.backups, all_projects=True)
    project_of_volume = {str(v.id): str(v.project_id) for v in volumes}
    rows: list[UsageRow] = []
    for ward, project in wards:
        volume_gbm = sum(
            (gb_months(v.size, parse_time(v.created_at), period, now) for v in volumes if v.project_id == project.id),
            Decimal(0),
        )
        backup_gbm = sum(
            (
                gb_months(b.size, parse_time(b.created_at), period, now)
                for b in backups
                # a backup names its project from microversion 3.18 on; before, its volume's project
                if (getattr(b, "project_id", None) or project_of_volume.get(str(b.volume_id))) == project.id
            ),
            Decimal(0),
        )
        source = "cinder volumes/backups existing at x_MeasuredAt, from created_at"
        rows += [
            row(ward, project, CINDER, "Volume", _round(volume_gbm), "Volume-GB-Months", source),
            row(ward, project, CINDER, "Backup", _round(backup_gbm), "Backup-GB-Months", source),
        ]
    return rows


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"))


def _swift_rows(cloud: Cloud, wards: Sequence[tuple[str, Any]], row: Any) -> list[UsageRow]:
    """Bytes in each ward project's Swift account: the sum over its containers (needs ResellerAdmin).

    Per-container HEADs, not the account's own total: the account total lags until Swift's
    container-updater runs, a container's bytes are current as soon as an object is written.
    """
    store = cloud.connection.object_store
    endpoint = str(cloud.call("object-store", "endpoint", store.get_endpoint))
    own = cloud.connection.current_project_id
    rows = []
    for ward, project in wards:
        account = endpoint.replace(f"AUTH_{own}", f"AUTH_{project.id}")
        call = f"GET account {project.name}"
        listing = cloud.call("object-store", call, store.get, f"{account}?format=json")
        listing = _swift_ok(cloud, call, listing)
        used = 0
        for container in listing.json() if listing.status_code == 200 else ():
            call = f"HEAD container {container['name']}"
            head = _swift_ok(
                cloud,
                call,
                cloud.call("object-store", call, store.head, f"{account}/{quote(container['name'])}"),
            )
            used += int(head.headers.get("X-Container-Bytes-Used", 0))
        rows.append(row(ward, project, SWIFT, "Account", used, "Bytes", "swift container HEADs at x_MeasuredAt"))
    return rows


def _swift_ok(cloud: Cloud, call: str, response: Any) -> Any:
    """The response, or a CloudError for its status (404: an account nobody wrote to holds nothing)."""
    if response.status_code == 403:
        raise cloud_error(
            cloud.name,
            "object-store",
            call,
            Code.FORBIDDEN,
            "forbidden (403): reading ward accounts needs the ResellerAdmin role",
        )
    if response.status_code >= 400 and response.status_code != 404:
        raise cloud_error(cloud.name, "object-store", call, Code.HTTP, f"HTTP {response.status_code}")
    return response


def write_usage(usage: Usage, out: Path) -> None:
    """The CSV, atomically (a reader never sees half of it)."""
    write_atomic(out, usage.to_csv())
