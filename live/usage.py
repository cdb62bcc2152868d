"""Metered usage per ward from the live cloud, as FOCUS usage rows `cost allocate --usage` reads.

Neutron-derived counts (ports, floating IPs, routers) always: they are what the cloud holds when read,
a count, not hours. Nova's `os-simple-tenant-usage` (vCPU-, RAM GB-, disk GB-hours over the period) and
Swift's account bytes only when the service is in the catalog; a missing service is reported as
skipped, never written as zero.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wardcloud.core.cells import csv_writer
from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.core.files import write_atomic
from wardcloud.live.connect import Cloud, Code, cloud_error
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
)
PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")

# (service type, name, category): the services usage is read from, in output order.
NEUTRON = ("network", "Neutron", "Networking")
NOVA = ("compute", "Nova", "Compute")
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
        raise UsageError([Problem(where, 0, 0, "LIVE030", f"period {text!r} is not YYYY-MM (e.g. 2026-10)")])
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


def read_usage(cloud: Cloud, period: Period, domain_name: str = DOMAIN_NAME) -> Usage:
    """Every ward project's metered usage over `period`, from the services the catalog lists."""
    connection = cloud.connection
    identity, network = connection.identity, connection.network
    domains = cloud.call(
        "identity", "list projects (is_domain)", identity.projects, is_domain=True, name=domain_name
    )
    projects = (
        cloud.call("identity", "list projects", identity.projects, domain_id=domains[0].id) if domains else []
    )
    tagged = ((_ward_of({"tags": p.tags}), p) for p in projects)
    wards = sorted(((ward, p) for ward, p in tagged if ward), key=lambda pair: pair[0])
    rows: list[UsageRow] = []
    skipped: list[Skipped] = []

    def row(
        ward: str,
        project: Any,
        service: tuple[str, str, str],
        kind: str,
        quantity: Decimal | int,
        unit: str,
        source: str,
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
        )

    # Neutron: always (the dev cloud and every real one run it). One listing per kind, grouped locally.
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

    if cloud.has_service(NOVA[0]):
        compute = connection.compute
        for ward, project in wards:
            usage = cloud.call(
                "compute",
                f"os-simple-tenant-usage {project.name}",
                compute.get_usage,
                project.id,
                start=period.start.replace(tzinfo=None),
                end=period.end.replace(tzinfo=None),
            )
            rows += [
                row(
                    ward,
                    project,
                    NOVA,
                    "vCPU",
                    Decimal(str(usage.total_vcpus_usage or 0)),
                    "vCPU-Hours",
                    "nova os-simple-tenant-usage",
                ),
                row(
                    ward,
                    project,
                    NOVA,
                    "RAM",
                    Decimal(str(usage.total_memory_mb_usage or 0)) / 1024,
                    "RAM-GB-Hours",
                    "nova os-simple-tenant-usage",
                ),
                row(
                    ward,
                    project,
                    NOVA,
                    "Disk",
                    Decimal(str(usage.total_local_gb_usage or 0)),
                    "Disk-GB-Hours",
                    "nova os-simple-tenant-usage",
                ),
            ]
    else:
        skipped.append(Skipped("compute (Nova)", f"not in the service catalog of cloud {cloud.name}"))

    if cloud.has_service(SWIFT[0]):
        rows += _swift_rows(cloud, wards, row)
    else:
        skipped.append(Skipped("object-store (Swift)", f"not in the service catalog of cloud {cloud.name}"))
    return Usage(cloud.name, period, tuple(rows), tuple(skipped))


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
        rows.append(row(ward, project, SWIFT, "Account", used, "Bytes", "swift container HEADs"))
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
