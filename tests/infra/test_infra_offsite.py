"""The off-site copy of backup containers: rendered only with a configured second site, key kept secret."""

from __future__ import annotations

from wardcloud.infra.offsite import OffsiteSyncProvider, OffsiteTarget, sync_to
from wardcloud.infra.program import build_stack
from wardcloud.infra.render import SECRET, render_program
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.reference import address_plan

DYNAMIC = "pulumi-python:dynamic:Resource"
TARGET = OffsiteTarget("wardcloud", "wardcloud-offsite", "wardcloud", "offsite", "s3cret-sync-key")


def test_each_offsite_segment_container_gets_one_link_to_the_second_site(
    bundled_tenants: tuple[Tenant, ...],
) -> None:
    shibuya = next(t for t in bundled_tenants if t.code == "131130")
    graph = render_program("ward-131130", lambda: build_stack("ward-131130", bundled_tenants, address_plan(),
                                                              TARGET)).graph
    links = {r.name: r for r in graph if r.type == DYNAMIC}
    assert sorted(links) == sorted(f"131130-{s}-backup-offsite" for s in shibuya.backup.offsite_copy)
    link = links["131130-mynumber-backup-offsite"]
    assert link.inputs["container"] == "131130-mynumber-backup"
    assert link.inputs["project_id"] == "131130-project-id"
    assert (link.inputs["realm"], link.inputs["cluster"], link.inputs["offsite_cloud"]) == (
        "wardcloud", "offsite", "wardcloud-offsite")
    assert link.inputs["key"] == SECRET and "s3cret-sync-key" not in repr(graph)
    assert "131130-mynumber-backup" in {d.rsplit("::", 1)[-1] for d in link.dependencies}


def test_without_a_second_site_the_plan_has_no_link(bundled_tenants: tuple[Tenant, ...]) -> None:
    graph = render_program("ward-131130", lambda: build_stack("ward-131130", bundled_tenants, address_plan())).graph
    assert not [r for r in graph if r.type == DYNAMIC]


def test_provider_diff_replaces_on_a_new_account_and_updates_a_new_key() -> None:
    old = {"project_id": "p", "container": "c", "primary_cloud": "a", "offsite_cloud": "b", "realm": "r",
           "cluster": "x", "key": "k1"}
    provider = OffsiteSyncProvider()
    assert not provider.diff("p/c", old, dict(old)).changes
    rekeyed = provider.diff("p/c", old, {**old, "key": "k2"})
    assert rekeyed.changes and not rekeyed.replaces
    moved = provider.diff("p/c", old, {**old, "project_id": "q"})
    assert moved.replaces == ["project_id"]
    assert sync_to("r", "x", "p", "131130-mynumber-backup") == "//r/x/AUTH_p/131130-mynumber-backup"
