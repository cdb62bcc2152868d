"""`fetch` and `normalise` over recorded API responses (tests/fixtures/live), parsed by openstacksdk's own
resource classes behind stand-in proxies: Nova and Cinder quotas, volume types with access and encryption,
servers, every port, floating IPs, volumes — and the detective rules and drift over what they give."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from openstack.block_storage.v3.quota_set import QuotaSet as VolumeQuotaSet
from openstack.block_storage.v3.type import Type, TypeEncryption
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.quota_set import QuotaSet as ComputeQuotaSet
from openstack.compute.v2.server import Server
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.subnet import Subnet

from wardcloud.core.cloud import Cloud
from wardcloud.infra.graph import Graph
from wardcloud.infra.render import render_stacks
from wardcloud.live import inventory as inv
from wardcloud.live.drift import compare
from wardcloud.live.policy import resource_policy_check
from wardcloud.tenants.validate import load_tenants

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "live"
TENANTS = Path(__file__).resolve().parents[2] / "tenants" / "wards"
WARD = "131130"
PROJECT = "b70958a5f1414d66b8e0ba083e9c2fc0"
SERVER = "1e5d6b6c-6b8c-4b8a-9a52-3c0c1f0f6a01"
# the other seeded ward: the encrypted type is granted to it too (record_fixtures.py's substitution map)
CHIYODA = "0000000000000000000131016chiyoda"
FLOATING = "203.0.113.50"  # the recorder asks for it in the dev cloud's egress subnet


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def tags(segment: str) -> list[str]:
    return [f"ward:{WARD}", f"segment:{segment}"]


def returns(value: Any) -> Any:
    return lambda *args, **query: value


def proxy(**methods: Any) -> SimpleNamespace:
    """An SDK proxy whose every method answers what was recorded."""
    return SimpleNamespace(**{name: returns(value) for name, value in methods.items()})


def recorded_cloud() -> Cloud:
    """One ward's mynumber and internet segments, with a server in both and a hand-made router port."""
    platform = ["wardcloud", "owner:platform"]
    networks = [
        Network.existing(id="net-mynumber", name=f"{WARD}-mynumber", project_id=PROJECT, tags=tags("mynumber")),
        Network.existing(id="net-internet", name=f"{WARD}-internet", project_id=PROJECT, tags=tags("internet")),
        Network.existing(id="net-egress", name="platform-egress-network", **{"router:external": True}, tags=platform),
    ]
    subnets = [
        Subnet.existing(id="sub-mynumber", name=f"{WARD}-mynumber", network_id="net-mynumber", tags=tags("mynumber")),
        Subnet.existing(id="sub-internet", name=f"{WARD}-internet", network_id="net-internet", tags=tags("internet")),
    ]
    routers = [
        Router.existing(
            id="router-internet",
            name=f"{WARD}-internet",
            project_id=PROJECT,
            external_gateway_info={"network_id": "net-egress", "enable_snat": True},
            tags=tags("internet"),
        )
    ]
    groups = [
        SecurityGroup.existing(id="sg-default", name="default", project_id=PROJECT, tags=[]),
        SecurityGroup.existing(
            id="sg-mynumber-app", name=f"{WARD}-mynumber-app", project_id=PROJECT, tags=tags("mynumber")
        ),
    ]
    ward = {"id": PROJECT, "name": f"{WARD}-shibuya", "domain_id": "dom", "tags": [f"ward:{WARD}"]}
    chiyoda = {"id": CHIYODA, "name": "131016-chiyoda", "domain_id": "dom", "tags": ["ward:131016"]}
    identity = SimpleNamespace(
        projects=lambda **q: (
            [{"id": "dom", "name": "wardcloud", "is_domain": True}] if q.get("is_domain") else [ward, chiyoda]
        ),
        roles=lambda **q: [],
        groups=lambda **q: [],
        role_assignments=lambda **q: [],
    )
    network = proxy(
        networks=networks,
        subnets=subnets,
        routers=routers,
        ports=[Port.existing(**p) for p in recorded("neutron_ports.json")["ports"]],
        ips=[FloatingIP.existing(**f) for f in recorded("neutron_floatingips.json")["floatingips"]],
        security_groups=groups,
        security_group_rules=[],
        rbac_policies=[],
        get_quota={"networks": 3},
    )
    compute = proxy(
        servers=[Server.existing(**s) for s in recorded("nova_servers_detail.json")["servers"]],
        get_quota_set=ComputeQuotaSet.existing(**recorded("nova_os_quota_sets.json")["quota_set"]),
    )
    storage = proxy(
        get_quota_set=VolumeQuotaSet.existing(**recorded("cinder_os_quota_sets.json")["quota_set"]),
        types=[Type.existing(**t) for t in recorded("cinder_types.json")["volume_types"]],
        get_type_access=recorded("cinder_type_access.json")["volume_type_access"],
        get_type_encryption=TypeEncryption.existing(**recorded("cinder_type_encryption.json")),
        volumes=[Volume.existing(**v) for v in recorded("cinder_volumes_detail.json")["volumes"]],
    )
    catalog = [{"type": t, "endpoints": [{"url": "http://x"}]} for t in ("identity", "network", "compute", "volumev3")]
    connection = SimpleNamespace(
        identity=identity, network=network, compute=compute, block_storage=storage, service_catalog=catalog
    )
    return Cloud("recorded", connection)


def ward_graph() -> tuple[inv.Inventory, dict[str, Any]]:
    inventory = inv.read_inventory(recorded_cloud())
    return inventory, {r.name: r for r in inventory.graphs[f"ward-{WARD}"]}


def test_nova_and_cinder_quotas_and_the_encrypted_type_read_in_the_plan_shape() -> None:
    inventory, ward = ward_graph()
    assert inventory.not_read == {
        inv.CONTAINER_TYPE: "object-store (Swift) is not in the service catalog of cloud recorded"
    }
    assert ward[f"{WARD}-compute-quota"].type == "openstack:compute/quotaSetV2:QuotaSetV2"
    assert ward[f"{WARD}-compute-quota"].inputs == {"projectId": PROJECT, "instances": 20, "cores": 80, "ram": 163840}
    assert ward[f"{WARD}-volume-quota"].inputs == {
        "projectId": PROJECT,
        "volumes": 40,
        "gigabytes": 2000,
        "snapshots": 40,
        "backups": 10,
        "backupGigabytes": 1000,
    }
    platform = {r.name: r for r in inventory.graphs["platform"]}
    # the platform's type by its OpenStack name; Cinder's own `__DEFAULT__` is not the consortium's
    assert platform["platform-encrypted-volume-type"].inputs == {
        "name": "encrypted-luks",
        "description": "LUKS-encrypted volumes for mynumber segments",
        "isPublic": False,
        "extraSpecs": {"wardcloud:owner": "platform"},
    }
    assert not any("DEFAULT" in name for name in platform)
    encryption = platform["platform-encrypted-volume-type-encryption"]
    assert encryption.type == "pulumi-python:dynamic/blockstorage:VolumeTypeEncryption"  # as the platform declares it
    assert encryption.inputs == {
        "volume_type_id": "vt-luks",
        "provider": "luks",
        "cipher": "aes-xts-plain64",
        "key_size": 256,
        "control_location": "front-end",
    }
    assert encryption.dependencies == (platform["platform-encrypted-volume-type"].urn,)
    assert ward[f"{WARD}-encrypted-volume-type-access"].inputs == {"projectId": PROJECT, "volumeTypeId": "vt-luks"}
    # the grant to a project outside the consortium: unowned, never hidden
    assert [r.type for r in inventory.graphs["unowned"]] == [inv.VOLUME_TYPE_ACCESS_TYPE]


def test_servers_ports_floating_ips_and_volumes_carry_what_they_are_on() -> None:
    _, ward = ward_graph()
    server = ward[f"{WARD}-server-web1"]
    assert server.inputs["flavorName"] == "wardcloud.test.2c"
    assert [n["uuid"] for n in server.inputs["networks"]] == ["net-internet", "net-mynumber"]
    assert server.inputs["securityGroups"] == [f"{WARD}-mynumber-app", "default"]
    internet = ward[f"{WARD}-internet-port-0a1b2c3d"]
    assert internet.inputs["deviceOwner"] == "compute:nova" and internet.inputs["securityGroupIds"] == ["sg-default"]
    assert ward[f"{WARD}-internet-network"].urn in internet.dependencies
    assert ward[f"{WARD}-neutron-default-sg"].urn in internet.dependencies
    # the hand-made port on the mynumber subnet attached to the router is the router's interface, not a port
    interface = ward[f"{WARD}-internet-router-interface-{WARD}-mynumber-subnet"]
    assert interface.inputs["portId"] == "0a1b2c3d-0000-4000-8000-000000000001"
    assert ward[f"{WARD}-mynumber-subnet"].urn in interface.dependencies
    assert f"{WARD}-mynumber-port-0a1b2c3d" not in ward  # (the router's, named by its id)
    fip = ward[f"{WARD}-mynumber-network-fip-{FLOATING}"]
    assert fip.inputs == {
        "address": FLOATING,
        "portId": "0a1b2c3d-0000-4000-8000-000000000003",
        "fixedIp": "10.13.0.21",
        "tenantId": PROJECT,
        "tags": [],
    }
    # a volume takes the segment from its metadata; its type by id, as the policy config names it
    volume = ward[f"{WARD}-mynumber-volume-{WARD}-db-data"]
    assert (volume.inputs["size"], volume.inputs["volumeType"]) == (30, "vt-luks")
    assert ward[f"{WARD}-server-web1"].urn in volume.dependencies
    scratch = ward[f"{WARD}-volume-{WARD}-scratch"]  # unattached, no segment: no segment in its name
    assert scratch.inputs["volumeType"] == "__DEFAULT__"


def test_the_detective_rules_find_every_violation_in_the_recorded_cloud() -> None:
    inventory, _ = ward_graph()
    check = resource_policy_check(load_tenants(TENANTS), today=date(2026, 12, 1))
    result = check(inventory.graphs, inventory.ids.get("platform", {}), inventory.covered)
    found = {(v.policy_id, v.resource) for v in result.violations}
    assert {
        ("NET-021", f"{WARD}-internet-router-interface-{WARD}-mynumber-subnet"),  # the hand-made router port
        ("NET-022", f"{WARD}-server-web1"),  # ports in internet and mynumber
        ("NET-023", f"{WARD}-internet-port-0a1b2c3d"),  # in Neutron's default group
        ("NET-003", f"{WARD}-mynumber-network-fip-{FLOATING}"),  # a floating IP on a mynumber port
    } <= found
    # tagging rules judge what stacks declare: not the untagged ports, servers, volumes ward admins make
    made = {r.name for g in inventory.graphs.values() for r in g if inv.made_by_hand_or_neutron(r)}
    assert not {(p, r) for p, r in found if p.startswith("TAG-") and r in made}
    assert not {"NET-003", "NET-006", "NET-022"} & set(result.not_run)


def test_drift_compares_the_quotas_and_expects_the_encryption_spec() -> None:
    inventory, _ = ward_graph()
    tenants = load_tenants(TENANTS)
    declared = render_stacks(tenants, ["platform", f"ward-{WARD}"], known=inventory.known())
    findings, not_compared = compare(
        f"ward-{WARD}", declared[f"ward-{WARD}"], inventory.graphs[f"ward-{WARD}"], inventory.ids[f"ward-{WARD}"]
    )
    by_name = {f.name: f for f in findings}
    assert f"{WARD}-compute-quota" not in by_name  # Nova holds what the tenant file declares
    quota = by_name[f"{WARD}-volume-quota"]  # Cinder does not: 2000 GB recorded, 4000 declared
    assert (quota.kind, [(c.field, c.declared, c.live) for c in quota.changes]) == (
        "changed",
        [("gigabytes", 4000, 2000)],
    )
    assert not_compared == {}
    assert not any(f.type in inv.WORKLOAD_TYPES for f in findings)  # workloads: judged, never unexpected
    # the platform: the encryption spec matches what the extra spec asks for
    platform, _ = compare("platform", declared["platform"], inventory.graphs["platform"], inventory.ids["platform"])
    assert "platform-encrypted-volume-type-encryption" not in {f.name for f in platform}
    # removed by hand: missing
    without = Graph("platform", tuple(r for r in inventory.graphs["platform"] if r.type != inv.VOLUME_ENCRYPTION_TYPE))
    missing, _ = compare("platform", declared["platform"], without, inventory.ids["platform"])
    assert ("missing", "platform-encrypted-volume-type-encryption") in {(f.kind, f.name) for f in missing}
