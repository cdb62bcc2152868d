"""Against the real dev cloud: Keystone groups, roles and role assignments, Neutron quotas and Swift containers
read by `wardctl inventory` and compared by `wardctl drift`, with the policies over them now running."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.live.devcloud import CLOUD, SEEDED_WARDS, TENANTS, DevCloud
from tests.live.test_live_devcloud import drift_json, findings, wardctl

pytestmark = pytest.mark.live

SHIBUYA, CHIYODA = SEEDED_WARDS
QUOTA = "openstack:networking/quotaV2:QuotaV2"
GROUP = "openstack:identity/groupV3:GroupV3"
ASSIGNMENT = "openstack:identity/roleAssignment:RoleAssignment"
CONTAINER = "openstack:objectstorage/container:Container"


def needs_swift(dev_cloud: DevCloud) -> None:
    if not dev_cloud.connection.has_service("object-store"):
        pytest.skip("the dev cloud runs no Swift (start it with DEVCLOUD_SWIFT=1)")


def container_url(dev_cloud: DevCloud, name: str) -> str:
    from tests.live import seed

    return f"{seed.account(dev_cloud.connection, dev_cloud.ids[f'{SHIBUYA}-project'])}/{name}"


def violations(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v["policyId"], v["resource"]) for v in report["violations"]}


def test_inventory_reads_groups_assignments_quota_and_containers_of_a_seeded_ward(dev_cloud: DevCloud) -> None:
    result = wardctl(dev_cloud, "inventory", "--cloud", CLOUD, "--format", "json")
    assert result.exit_code == 0, result.output
    inventory = json.loads(result.stdout)
    ward = {r["name"]: r for r in inventory["stacks"][f"ward-{SHIBUYA}"]["resources"]}
    ids = inventory["stacks"][f"ward-{SHIBUYA}"]["ids"]
    platform_ids = inventory["stacks"]["platform"]["ids"]
    assert ward[f"{SHIBUYA}-admin-group"]["inputs"]["name"] == f"{SHIBUYA}-admins"
    assert ids[f"{SHIBUYA}-admin-group"] == dev_cloud.ids[f"{SHIBUYA}-admin-group"]
    assert ward[f"{SHIBUYA}-admin-role-assignment"]["inputs"] == {
        "groupId": dev_cloud.ids[f"{SHIBUYA}-admin-group"],
        "projectId": dev_cloud.ids[f"{SHIBUYA}-project"],
        "roleId": dev_cloud.ids["platform-ward-admin-role"],
    }
    assert platform_ids["platform-ward-admin-role"] == dev_cloud.ids["platform-ward-admin-role"]
    for service in ("bousai", "procurement", "renkei"):
        assert ward[f"{SHIBUYA}-service-{service}-role-assignment"]["inputs"]["projectId"] == (
            dev_cloud.ids[f"platform-{service}-project"]
        )
    assert ward[f"{SHIBUYA}-network-quota"]["inputs"]["router"] == 2
    if dev_cloud.connection.has_service("object-store"):
        audit = ward[f"{SHIBUYA}-audit-log"]["inputs"]
        assert audit["versioning"] is True and audit["metadata"]["purpose"] == "audit-log"
        assert audit["containerWrite"] == f"{dev_cloud.ids['platform-audit-project']}:*"
        assert "platform-audit-archive" in platform_ids
        assert inventory["notRead"] == {}
    else:
        assert CONTAINER in inventory["notRead"]


def test_drift_of_the_whole_cloud_finds_the_platform_clean(dev_cloud: DevCloud) -> None:
    result = wardctl(dev_cloud, "drift", "--cloud", CLOUD, "--format", "json")
    assert result.exit_code == 2, result.output  # 21 wards are declared but not seeded: all missing
    report = json.loads(result.stdout)
    assert [f for f in report["findings"] if f["stack"] in ("platform", "unowned")] == []
    assert "openstack:identity/role:Role" not in report["notCompared"]
    seeded = [f for f in report["findings"] if f["ward"] in SEEDED_WARDS]
    assert seeded == []
    unseeded = {f["type"] for f in report["findings"] if f["kind"] == "missing"}
    assert {GROUP, ASSIGNMENT, QUOTA} <= unseeded  # what is not there is missing, type by type


def test_drift_reports_a_changed_network_quota(dev_cloud: DevCloud) -> None:
    network = dev_cloud.connection.network
    project = dev_cloud.ids[f"{SHIBUYA}-project"]
    network.update_quota(project, routers=5)
    try:
        code, report = drift_json(dev_cloud)
        text = wardctl(dev_cloud, "drift", "--cloud", CLOUD, "--ward", SHIBUYA)
    finally:
        network.update_quota(project, routers=2)
    assert code == 2
    [changed] = findings(report, "changed", "QuotaV2")
    assert (changed["name"], changed["ward"], changed["liveId"]) == (f"{SHIBUYA}-network-quota", SHIBUYA, project)
    assert changed["changes"] == [{"field": "router", "declared": 2, "live": 5}]
    assert len(report["findings"]) == 1
    assert text.exit_code == 2 and "router: 2 -> 5" in text.stdout


def test_drift_reports_a_removed_role_assignment_missing(dev_cloud: DevCloud) -> None:
    identity = dev_cloud.connection.identity
    grant = (
        dev_cloud.ids[f"{SHIBUYA}-project"],
        dev_cloud.ids[f"{SHIBUYA}-admin-group"],
        dev_cloud.ids["platform-ward-admin-role"],
    )
    identity.unassign_project_role_from_group(*grant)
    try:
        code, report = drift_json(dev_cloud)
    finally:
        identity.assign_project_role_to_group(*grant)
    assert code == 2
    assert [(f["kind"], f["type"], f["name"], f["ward"]) for f in report["findings"]] == [
        ("missing", ASSIGNMENT, f"{SHIBUYA}-admin-role-assignment", SHIBUYA)
    ]


def test_drift_reports_an_extra_group_and_a_cross_ward_role_with_iso_004(dev_cloud: DevCloud) -> None:
    identity = dev_cloud.connection.identity
    group = identity.create_group(name=f"{SHIBUYA}-ops", domain_id=dev_cloud.ids["consortium-domain"])
    grant = (
        dev_cloud.ids[f"{CHIYODA}-project"],  # Shibuya's admins on Chiyoda's project
        dev_cloud.ids[f"{SHIBUYA}-admin-group"],
        dev_cloud.ids["platform-ward-admin-role"],
    )
    identity.assign_project_role_to_group(*grant)
    try:
        code, report = drift_json(dev_cloud)
        text = wardctl(dev_cloud, "drift", "--cloud", CLOUD, "--ward", SHIBUYA)
    finally:
        identity.unassign_project_role_from_group(*grant)
        identity.delete_group(group)
    assert code == 2
    [extra] = findings(report, "unexpected", "GroupV3")
    assert (extra["name"], extra["ward"], extra["liveId"]) == (f"{SHIBUYA}-ops-group", SHIBUYA, group.id)
    [cross] = findings(report, "unexpected", "RoleAssignment")
    assert (cross["name"], cross["ward"]) == (
        f"{SHIBUYA}-admin-ward-admin-on-{CHIYODA}-project-role-assignment",
        SHIBUYA,
    )
    assert len(report["findings"]) == 2
    # ISO-004 used to be "not run on the live cloud": role assignments are read now
    assert "ISO-004" not in report["policiesNotRun"]
    assert ("ISO-004", cross["name"]) in violations(report)
    assert text.exit_code == 2 and "ISO-004" in text.stdout and f"{SHIBUYA}-ops-group" in text.stdout


def test_drift_reports_a_deleted_audit_container_missing_with_aud_002(dev_cloud: DevCloud) -> None:
    from tests.live import seed
    from wardcloud.infra.render import render_stacks
    from wardcloud.tenants.validate import load_tenants

    needs_swift(dev_cloud)
    name = f"{SHIBUYA}-audit-log"
    seed.delete_container(dev_cloud.connection, container_url(dev_cloud, name))
    try:
        code, report = drift_json(dev_cloud)
    finally:
        graph = render_stacks(load_tenants(TENANTS), [f"ward-{SHIBUYA}"])[f"ward-{SHIBUYA}"]
        declared = next(r for r in graph if r.name == name)
        seed.create(dev_cloud.connection, declared, dev_cloud.ids, f"ward-{SHIBUYA}")
    assert code == 2
    assert [(f["kind"], f["type"], f["name"]) for f in report["findings"]] == [("missing", CONTAINER, name)]
    # AUD-002 used to be "not run on the live cloud": the ward has a project and no audit-log container
    assert "AUD-002" not in report["policiesNotRun"]
    assert violations(report) == {("AUD-002", f"{SHIBUYA}-project")}


def test_drift_reports_a_public_read_acl_and_short_retention_on_a_backup_container(dev_cloud: DevCloud) -> None:
    needs_swift(dev_cloud)
    store = dev_cloud.connection.object_store
    name = f"{SHIBUYA}-internet-backup"
    url = container_url(dev_cloud, name)
    before = store.head(url).headers["X-Container-Meta-Retention-Days"]
    store.post(url, headers={"X-Container-Read": ".r:*", "X-Container-Meta-Retention-Days": "1"})
    try:
        code, report = drift_json(dev_cloud)
    finally:
        store.post(url, headers={"X-Remove-Container-Read": "1", "X-Container-Meta-Retention-Days": before})
    assert code == 2
    [changed] = findings(report, "changed", "Container")
    assert (changed["name"], changed["ward"]) == (name, SHIBUYA)
    by_field = {c["field"]: (c["declared"], c["live"]) for c in changed["changes"]}
    assert by_field["containerRead"] == (None, ".r:*")
    assert by_field["metadata"][0]["retention-days"] == before and by_field["metadata"][1]["retention-days"] == "1"
    assert ("BAK-004", name) in violations(report)  # a container policy judging the live container
    assert ("BAK-021", name) in violations(report)  # public read on a backup container


def test_drift_reports_a_cross_project_read_acl_on_an_audit_container_with_aud_021(dev_cloud: DevCloud) -> None:
    needs_swift(dev_cloud)
    store = dev_cloud.connection.object_store
    name = f"{SHIBUYA}-audit-log"
    url = container_url(dev_cloud, name)
    other = dev_cloud.ids["platform-renkei-project"]  # a shared-service project: still another project
    store.post(url, headers={"X-Container-Read": f"{other}:*"})
    try:
        code, report = drift_json(dev_cloud)
        text = wardctl(dev_cloud, "drift", "--cloud", CLOUD, "--ward", SHIBUYA)
    finally:
        store.post(url, headers={"X-Remove-Container-Read": "1"})
    assert code == 2 and text.exit_code == 2
    assert ("AUD-021", name) in violations(report)
    assert "AUD-021" in text.stdout


def test_a_cloud_without_object_store_in_its_catalog_leaves_containers_not_compared(dev_cloud: DevCloud) -> None:
    needs_swift(dev_cloud)
    identity = dev_cloud.connection.identity
    # a disabled service drops out of every new token's catalog: the cloud no longer offers Swift
    service = next(s for s in identity.services() if s.type == "object-store")
    identity.update_service(service, is_enabled=False)
    try:
        inventory = wardctl(dev_cloud, "inventory", "--cloud", CLOUD, "--format", "json")
        text = wardctl(dev_cloud, "inventory", "--cloud", CLOUD)
        code, report = drift_json(dev_cloud, SHIBUYA)
    finally:
        identity.update_service(service, is_enabled=True)
    assert inventory.exit_code == 0, inventory.output
    why = json.loads(inventory.stdout)["notRead"][CONTAINER]
    assert why == f"object-store (Swift) is not in the service catalog of cloud {CLOUD}"
    assert f"not read: Container ({why})" in text.stdout
    # the ward's four containers are still there, but not read: said, never reported missing
    assert (code, report["findings"], report["violations"]) == (0, [], [])
    assert (report["notCompared"][CONTAINER], report["notComparedWhy"][CONTAINER]) == (4, why)
    assert "Container" in report["policiesNotRun"]["AUD-002"] and "BAK-003" in report["policiesNotRun"]
    assert "ISO-004" not in report["policiesNotRun"]
