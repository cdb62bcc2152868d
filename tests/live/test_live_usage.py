"""Usage rows from the catalog's services, without a cloud: in-memory stand-ins for the SDK proxies."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from wardcloud.live.connect import Cloud
from wardcloud.live.usage import parse_period, read_usage


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
        return iter([SimpleNamespace(project_id="p1")])

    def routers(self) -> Any:
        return iter([])


@dataclass
class Compute:
    asked: list[tuple[str, Any, Any]] = field(default_factory=list)

    def get_usage(self, project: str, start: Any, end: Any) -> Any:
        self.asked.append((project, start, end))
        return SimpleNamespace(
            total_vcpus_usage=720.0, total_memory_mb_usage=1536.0 * 720, total_local_gb_usage=14400.0
        )


def cloud(catalog: list[str]) -> tuple[Cloud, Compute]:
    compute = Compute()
    ward = SimpleNamespace(id="p1", name="131130-shibuya", tags=["ward:131130"])
    other = SimpleNamespace(id="p9", name="shared-bousai", tags=["owner:platform"])
    connection = SimpleNamespace(
        identity=Identity({"dom": [ward, other]}),
        network=Network([SimpleNamespace(project_id="p1"), SimpleNamespace(project_id="p9")]),
        compute=compute,
        service_catalog=[{"type": t, "endpoints": [{"url": "http://x"}]} for t in catalog],
    )
    return Cloud("test", connection), compute


def test_nova_usage_in_the_catalog_gives_hour_rows_over_the_month() -> None:
    test_cloud, compute = cloud(["identity", "network", "compute"])
    usage = read_usage(test_cloud, parse_period("2026-02"))
    rows = {(r.service, r.unit): r.quantity for r in usage.rows}
    assert rows == {
        ("Neutron", "Ports"): 1,
        ("Neutron", "Floating IPs"): 1,
        ("Neutron", "Routers"): 0,
        ("Nova", "vCPU-Hours"): 720,
        ("Nova", "RAM-GB-Hours"): Decimal("1080"),
        ("Nova", "Disk-GB-Hours"): 14400,
    }
    [(project, start, end)] = compute.asked
    assert project == "p1"
    assert (start.isoformat(), end.isoformat()) == ("2026-02-01T00:00:00", "2026-03-01T00:00:00")
    assert [s.service for s in usage.skipped] == ["object-store (Swift)"]
    assert "131130,131130-shibuya,Nova,Compute,RAM,1080,RAM-GB-Hours" in usage.to_csv()


def test_services_missing_from_the_catalog_are_skipped_not_zero() -> None:
    test_cloud, compute = cloud(["identity", "network"])
    usage = read_usage(test_cloud, parse_period("2026-12"))
    assert {r.service for r in usage.rows} == {"Neutron"}
    assert compute.asked == []
    assert [s.service for s in usage.skipped] == ["compute (Nova)", "object-store (Swift)"]
    assert usage.period.end.isoformat() == "2027-01-01T00:00:00+00:00"
