"""Usage rows from the catalog's services, without a cloud: recorded API responses (tests/fixtures/live)
parsed by openstacksdk's own resource classes, behind in-memory stand-ins for the SDK proxies."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openstack.block_storage.v3.backup import Backup
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.usage import Usage

from wardcloud.core.cloud import Cloud
from wardcloud.core.errors import WardcloudError
from wardcloud.live.usage import GAUGE, INTERVAL, gb_months, parse_period, read_usage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "live"
PROJECT = "b70958a5f1414d66b8e0ba083e9c2fc0"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # after the recording (2026-12-02 08:11 UTC), in its month


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Identity:
    projects_by_domain: dict[str | None, list[Any]]

    def projects(self, **query: Any) -> Any:
        if query.get("is_domain"):
            return iter([SimpleNamespace(id="dom", name="wardcloud")])
        return iter(self.projects_by_domain.get(query.get("domain_id"), []))


@dataclass
class Network:
    ports_: list[Any] = field(default_factory=list)

    def ports(self) -> Any:
        return iter(self.ports_)

    def ips(self) -> Any:
        return iter([SimpleNamespace(project_id=PROJECT)])

    def routers(self) -> Any:
        return iter([])


@dataclass
class Compute:
    asked: list[tuple[str, Any, Any]] = field(default_factory=list)

    def get_usage(self, project: str, start: Any, end: Any) -> Any:
        self.asked.append((project, start, end))
        return Usage.existing(**recorded("nova_simple_tenant_usage.json")["tenant_usage"])


@dataclass
class BlockStorage:
    backups_file: str = "cinder_backups_detail.json"

    def volumes(self, all_projects: bool) -> Any:
        assert all_projects
        return iter(Volume.existing(**v) for v in recorded("cinder_volumes_detail.json")["volumes"])

    def backups(self, all_projects: bool) -> Any:
        assert all_projects
        return iter(Backup.existing(**b) for b in recorded(self.backups_file)["backups"])


def cloud(catalog: list[str], storage: BlockStorage | None = None) -> tuple[Cloud, Compute]:
    compute = Compute()
    ward = SimpleNamespace(id=PROJECT, name="131130-shibuya", tags=["ward:131130"])
    other = SimpleNamespace(id="p9", name="shared-bousai", tags=["owner:platform"])
    connection = SimpleNamespace(
        identity=Identity({"dom": [ward, other]}),
        network=Network([SimpleNamespace(project_id=PROJECT), SimpleNamespace(project_id="p9")]),
        compute=compute,
        block_storage=storage or BlockStorage(),
        service_catalog=[{"type": t, "endpoints": [{"url": "http://x"}]} for t in catalog],
    )
    return Cloud("test", connection), compute


def test_the_current_month_gives_nova_hours_up_to_now_and_gauges_stamped_with_the_moment_read() -> None:
    test_cloud, compute = cloud(["identity", "network", "compute", "block-storage"])
    usage = read_usage(test_cloud, parse_period("2026-12"), now=NOW)
    rows = {(r.service, r.unit): (r.quantity, r.kind) for r in usage.rows}
    assert rows == {
        ("Neutron", "Ports"): (1, GAUGE),
        ("Neutron", "Floating IPs"): (1, GAUGE),
        ("Neutron", "Routers"): (0, GAUGE),
        # the recorded os-simple-tenant-usage's totals, to the digit (web1: 2 vCPU, 2048 MB, for ~100 s; the
        # deleted 131130-batch: 1 vCPU, 512 MB, 1 s), RAM from MB-hours to GB-hours
        ("Nova", "vCPU-Hours"): (Decimal("0.05527777777777777"), INTERVAL),
        ("Nova", "RAM-GB-Hours"): (Decimal("56.17777777777778") / 1024, INTERVAL),
        ("Nova", "Instance-Hours"): (Decimal("0.028055555555555552"), INTERVAL),
        ("Nova", "Disk-GB-Hours"): (Decimal("0.028055555555555552"), INTERVAL),
        # 30 GB from 08:10:17.415864 + 1 GB from 08:11:15.382004 to 12:00, over December's 744 h; the admin
        # project's `other-projects` volume is not the ward's
        ("Cinder", "Volume-GB-Months"): (Decimal("0.159499"), GAUGE),
        # the scratch volume's 1 GB backup, from 08:11:24.308259 (3.64: the backup names its project)
        ("Cinder", "Backup-GB-Months"): (Decimal("0.005121"), GAUGE),
    }
    [(project, start, end)] = compute.asked
    assert project == PROJECT
    # never a future end: Nova would count a running server's hours up to it
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00", "2026-12-02T12:00:00")
    assert [s.service for s in usage.skipped] == ["object-store (Swift)"]
    table = list(csv.DictReader(io.StringIO(usage.to_csv())))
    ram = next(r for r in table if r["ConsumedUnit"] == "RAM-GB-Hours")
    assert (Decimal(ram["ConsumedQuantity"]), ram["x_Kind"], ram["x_MeasuredAt"]) == (
        Decimal("56.17777777777778") / 1024,
        "interval",
        "2026-12-02T12:00:00Z",
    )
    ports = next(r for r in table if r["ConsumedUnit"] == "Ports")
    assert (ports["x_Kind"], ports["x_MeasuredAt"]) == ("gauge", "2026-12-02T12:00:00Z")
    assert ports["ChargePeriodStart"] == "2026-12-01T00:00:00Z"


def test_a_backup_listed_without_its_project_counts_for_its_volumes() -> None:
    """Below microversion 3.18 Cinder names no project on a backup (the recording at 3.0): its volume's is used."""
    assert "os-backup-project-attr:project_id" not in recorded("cinder_backups_detail_v3.0.json")["backups"][0]
    test_cloud, _ = cloud(
        ["identity", "network", "compute", "block-storage"], BlockStorage("cinder_backups_detail_v3.0.json")
    )
    usage = read_usage(test_cloud, parse_period("2026-12"), now=NOW)
    backups = [r.quantity for r in usage.rows if r.unit == "Backup-GB-Months"]
    assert backups == [Decimal("0.005121")]


def test_a_past_month_gets_nova_hours_and_no_gauge_each_skipped_by_name() -> None:
    test_cloud, compute = cloud(["identity", "network", "compute", "block-storage", "object-store"])
    usage = read_usage(test_cloud, parse_period("2026-11"), now=NOW)
    assert {r.service for r in usage.rows} == {"Nova"}
    assert {r.kind for r in usage.rows} == {INTERVAL}
    assert all(r.measured_at is None for r in usage.rows)
    [(_, start, end)] = compute.asked
    assert (start.isoformat(), end.isoformat()) == ("2026-11-01T00:00:00", "2026-12-01T00:00:00")
    reasons = {s.service: s.reason for s in usage.skipped}
    assert reasons["network (Neutron)"].startswith("Ports, Floating IPs, Routers: a gauge")
    assert "Volume-GB-Months, Backup-GB-Months" in reasons["block-storage (Cinder)"]
    assert (
        reasons["object-store (Swift)"]
        == "Bytes: a gauge (what the cloud holds now), not written for past period 2026-11"
    )


def test_a_past_month_with_only_gauges_fails_naming_them() -> None:
    test_cloud, _ = cloud(["identity", "network"])
    with pytest.raises(WardcloudError) as failure:
        read_usage(test_cloud, parse_period("2023-07"), now=NOW)
    [problem] = failure.value.problems
    assert problem.code == "LIVE031"
    assert "2023-07" in problem.message and "Ports, Floating IPs, Routers" in problem.message


def test_a_month_not_begun_fails() -> None:
    test_cloud, compute = cloud(["identity", "network", "compute"])
    with pytest.raises(WardcloudError) as failure:
        read_usage(test_cloud, parse_period("2027-01"), now=NOW)
    assert [p.code for p in failure.value.problems] == ["LIVE031"]
    assert compute.asked == []


def test_services_missing_from_the_catalog_are_skipped_not_zero() -> None:
    test_cloud, compute = cloud(["identity", "network"])
    usage = read_usage(test_cloud, parse_period("2026-12"), now=NOW)
    assert {r.service for r in usage.rows} == {"Neutron"}
    assert compute.asked == []
    assert [s.service for s in usage.skipped] == ["compute (Nova)", "block-storage (Cinder)", "object-store (Swift)"]
    assert usage.period.end.isoformat() == "2027-01-01T00:00:00+00:00"


moments = st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2027, 2, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@given(size=st.integers(0, 10_000), created=moments, now=moments, cut=moments)
def test_gb_months_stay_within_the_month_and_add_up_over_a_split(
    size: int, created: datetime, now: datetime, cut: datetime
) -> None:
    period = parse_period("2026-12")
    value = gb_months(size, created, period, now)
    assert 0 <= value <= size  # never more than the whole month at full size
    if now >= period.end and created <= period.start:
        assert value == size  # there the whole month
    # the part up to `cut` and the part after it make the whole (both exist until `now`)
    if period.start < cut < min(now, period.end):
        before = gb_months(size, created, period, cut)
        after = gb_months(size, max(created, cut), period, now)
        assert abs(before + after - value) < Decimal("1e-20")
    assert gb_months(size, created, period, period.start - timedelta(seconds=1)) == 0
