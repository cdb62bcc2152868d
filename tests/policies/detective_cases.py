"""Passing and failing graphs for the detective rules (policies/rules/detective.py), as test_policy_rules reads them.

Each resource names what it refers to in `dependencies`, as a rendered or a live graph does.
"""

from __future__ import annotations

from typing import Any

from wardcloud.infra.graph import Resource

NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
ROUTER = "openstack:networking/router:Router"
INTERFACE = "openstack:networking/routerInterface:RouterInterface"
SECGROUP = "openstack:networking/secGroup:SecGroup"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
PORT = "openstack:networking/port:Port"
INSTANCE = "openstack:compute/instance:Instance"
CONTAINER = "openstack:objectstorage/container:Container"


def res(type_: str, logical: str, deps: tuple[Resource, ...] = (), **inputs: Any) -> Resource:
    return Resource(
        f"urn:pulumi:ward-131016::wardcloud::{type_}::{logical}",
        type_,
        logical,
        None,
        tuple(d.urn for d in deps),
        inputs,
    )


def seg(segment: str, kind: str) -> Resource:
    tags = ["ward:131016", f"segment:{segment}"]
    return res(kind, f"131016-{segment}-{kind.rsplit(':', 1)[-1].lower()}", tags=tags, tenantId="p16")


MY_NET, MY_SUB = seg("mynumber", NETWORK), seg("mynumber", SUBNET)
NET_NET, NET_SUB = seg("internet", NETWORK), seg("internet", SUBNET)
ROUTER_NET = res(ROUTER, "131016-internet-router", tags=["ward:131016", "segment:internet"], tenantId="p16")
WEB_SG = res(SECGROUP, "131016-internet-sg-web", name="131016-web", tags=["ward:131016", "segment:internet"])
DEFAULT_SG = res(SECGROUP, "131016-neutron-default-sg", name="default", tags=[])


def interface(subnet: Resource) -> Resource:
    return res(
        INTERFACE, f"131016-internet-router-interface-{subnet.name}", (ROUTER_NET, subnet), routerId="r", subnetId="s"
    )


def port(name: str, network: Resource, group: Resource = WEB_SG, server: str = "vm1") -> Resource:
    return res(PORT, name, (network, group), deviceOwner="compute:nova", deviceId=server, tags=[])


def rbac(target: str) -> Resource:
    return res(
        RBAC,
        f"131016-mynumber-network-rbac-{target}",
        (MY_NET,),
        action="access_as_shared",
        objectType="network",
        targetTenant=target,
    )


def container(purpose: str, **acl: str) -> Resource:
    return res(
        CONTAINER,
        f"131016-x-{purpose}",
        name=f"131016-x-{purpose}",
        metadata={"ward": "131016", "purpose": purpose},
        **acl,
    )


BASE = [MY_NET, MY_SUB, NET_NET, NET_SUB, ROUTER_NET, WEB_SG, DEFAULT_SG]

DETECTIVE_GRAPH_CASES: dict[str, tuple[list[Resource], list[Resource]]] = {
    "NET-021": (
        [*BASE, interface(NET_SUB)],
        [*BASE, interface(NET_SUB), interface(MY_SUB)],
    ),
    "ISO-021": (
        [*BASE, rbac("p16")],
        # a shared-service project too: ISO-002 allows that, never for mynumber
        [*BASE, rbac("platform-renkei-project-id")],
    ),
    "NET-022": (
        [*BASE, port("131016-internet-port-a", NET_NET), port("131016-internet-port-b", NET_NET)],
        [*BASE, port("131016-internet-port-a", NET_NET), port("131016-mynumber-port-b", MY_NET)],
    ),
    "NET-023": (
        [*BASE, port("131016-internet-port-a", NET_NET)],
        [*BASE, port("131016-internet-port-a", NET_NET, DEFAULT_SG)],
    ),
    "BAK-021": (
        [*BASE, container("backup", containerRead="p16:*")],
        [*BASE, container("backup", containerRead=".r:*,.rlistings")],
    ),
    "AUD-021": (
        [*BASE, container("audit-log", containerWrite="platform-audit-project-id:*")],
        [*BASE, container("audit-log", containerWrite="platform-audit-project-id:*,p24:*")],
    ),
}
