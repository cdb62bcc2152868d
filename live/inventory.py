"""Read what is really in the cloud and normalise it into the graphs `plan` renders.

Same stacks (`platform`, `ward-<code6>`, plus `unowned` for what no ward or the platform claims), same
type tokens, same logical names and camelCase input names as infra's program, so the resource policies
and `drift` read a live graph exactly as they read a planned one. Reading (`fetch`) and normalising
(`normalise`) are separate: the second is pure and tested without a cloud.

Covered: the consortium domain and its projects (ward tags), its roles and groups, the role assignments
that touch it, networks (shared/external flags), subnets, routers with gateways and interfaces, security
groups and rules, network RBAC policies, network quotas of ward projects, and — when the catalog lists
`object-store` — the Swift containers in the accounts of the domain's projects. Neutron's per-project
`default` security groups are left out: Neutron creates and owns them, and no ward declares them.
A type this cloud cannot serve (no Swift) is recorded in `Inventory.not_read` with the reason, so drift
says "not compared" instead of "missing".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from wardcloud.core.cloud import Cloud, Code, cloud_error
from wardcloud.infra.dynamic.encryption import TYPE as ENCRYPTION_RESOURCE_TYPE
from wardcloud.infra.graph import NAME_PREFIX, SEGMENT_TAG, WARD_TAG, Graph, Resource
from wardcloud.infra.platform import (
    AUDIT_PROJECT,
    DEPLOYERS_GROUP,
    DOMAIN,
    ENCRYPTED_VOLUME_TYPE,
    PLATFORM_STACK,
    PLATFORM_TYPE,
    SERVICE_PROJECT,
    WARD_ADMIN_ROLE,
)
from wardcloud.infra.program import PROJECT, WARD_STACK_PREFIX
from wardcloud.infra.render import SECRET, STACK_TYPE, Known, tree_order
from wardcloud.infra.ward import WARD_TYPE

DOMAIN_NAME = "wardcloud"
UNOWNED_STACK = "unowned"
GLOBAL_WARD_ROLES = ("ward-admin", "ward-mynumber-operator")  # infra/platform.py, the guardrails' roles
ADMIN_ROLE_LOOKUP = "admin-getRole"  # infra/platform.py: the platform's lookup of the cloud's `admin` role
PLATFORM_TAG = "owner:platform"

PROJECT_TYPE = "openstack:identity/project:Project"
NETWORK_TYPE = "openstack:networking/network:Network"
SUBNET_TYPE = "openstack:networking/subnet:Subnet"
ROUTER_TYPE = "openstack:networking/router:Router"
ROUTER_INTERFACE_TYPE = "openstack:networking/routerInterface:RouterInterface"
SECGROUP_TYPE = "openstack:networking/secGroup:SecGroup"
SECGROUP_RULE_TYPE = "openstack:networking/secGroupRule:SecGroupRule"
RBAC_TYPE = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
NETWORK_QUOTA_TYPE = "openstack:networking/quotaV2:QuotaV2"
ROLE_TYPE = "openstack:identity/role:Role"
GROUP_TYPE = "openstack:identity/groupV3:GroupV3"
ROLE_ASSIGNMENT_TYPE = "openstack:identity/roleAssignment:RoleAssignment"
CONTAINER_TYPE = "openstack:objectstorage/container:Container"
COMPUTE_QUOTA_TYPE = "openstack:compute/quotaSetV2:QuotaSetV2"
VOLUME_QUOTA_TYPE = "openstack:blockstorage/quoteSetV3:QuoteSetV3"
VOLUME_TYPE_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
VOLUME_TYPE_ACCESS_TYPE = "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3"
# pulumi-openstack has no Cinder encryption resource: the platform declares it through a Pulumi dynamic
# provider (issue 13.3), and every dynamic resource has this one type token; the logical name tells them apart.
VOLUME_ENCRYPTION_TYPE = ENCRYPTION_RESOURCE_TYPE  # the platform's dynamic resource (infra/dynamic/encryption.py)
INSTANCE_TYPE = "openstack:compute/instance:Instance"
PORT_TYPE = "openstack:networking/port:Port"
FLOATING_IP_TYPE = "openstack:networking/floatingIp:FloatingIp"
VOLUME_TYPE = "openstack:blockstorage/volume:Volume"
OBJECT_STORE = "object-store"
COMPUTE = "compute"
BLOCK_STORAGE = ("block-storage", "volumev3", "volume")  # the catalog types Cinder's v3 API goes by

# What ward admins make themselves (servers, their ports, floating IPs, volumes): no stack declares them, so
# they are never "unexpected"; they are read so the detective policies can judge them.
WORKLOAD_TYPES = frozenset({INSTANCE_TYPE, PORT_TYPE, FLOATING_IP_TYPE, VOLUME_TYPE})
# Ports Neutron gives a router for an interface, however it was attached (by subnet or a hand-made port).
ROUTER_INTERFACE_OWNERS = (
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
)
# Ports Neutron owns for its own services: never a workload's (a router's gateway is the router's input).
NEUTRON_PORT_OWNERS = (
    "network:dhcp",
    "network:router_gateway",
    "network:floatingip",
    "network:router_centralized_snat",
)
# The platform's Cinder volume types by OpenStack name (infra/platform.py), and the extra spec marking a type
# as the consortium's: types without a `wardcloud:` extra spec are the operator's backend types, not read.
VOLUME_TYPE_NAMES = {"encrypted-luks": ENCRYPTED_VOLUME_TYPE}
WARDCLOUD_SPEC = "wardcloud:"

# The types an inventory can read: drift compares only these (less what one read could not) and says
# so about the rest.
COVERED_TYPES = frozenset(
    {
        PROJECT_TYPE,
        ROLE_TYPE,
        GROUP_TYPE,
        ROLE_ASSIGNMENT_TYPE,
        CONTAINER_TYPE,
        NETWORK_TYPE,
        SUBNET_TYPE,
        ROUTER_TYPE,
        ROUTER_INTERFACE_TYPE,
        SECGROUP_TYPE,
        SECGROUP_RULE_TYPE,
        RBAC_TYPE,
        NETWORK_QUOTA_TYPE,
        COMPUTE_QUOTA_TYPE,
        VOLUME_QUOTA_TYPE,
        VOLUME_TYPE_TYPE,
        VOLUME_TYPE_ACCESS_TYPE,
        VOLUME_ENCRYPTION_TYPE,
        *WORKLOAD_TYPES,
    }
)
COMPUTE_TYPES = (COMPUTE_QUOTA_TYPE, INSTANCE_TYPE)
VOLUME_TYPES = (VOLUME_QUOTA_TYPE, VOLUME_TYPE_TYPE, VOLUME_TYPE_ACCESS_TYPE, VOLUME_ENCRYPTION_TYPE, VOLUME_TYPE)

# Nova quota field → QuotaSetV2 input, Cinder quota field → QuoteSetV3 input (Pulumi wire names).
COMPUTE_QUOTA_FIELDS = {"instances": "instances", "cores": "cores", "ram": "ram"}
VOLUME_QUOTA_FIELDS = {
    "volumes": "volumes",
    "gigabytes": "gigabytes",
    "snapshots": "snapshots",
    "backups": "backups",
    "backup_gigabytes": "backupGigabytes",
}
# Cinder encryption spec field → the encryption resource's input.
ENCRYPTION_FIELDS = {
    "provider": "provider",
    "cipher": "cipher",
    "key_size": "key_size",  # the dynamic resource's own (Python) input names, not Pulumi wire names
    "control_location": "control_location",
}

# Neutron quota field (openstacksdk attribute) → QuotaV2 input (Pulumi wire name).
QUOTA_FIELDS = {
    "networks": "network",
    "subnets": "subnet",
    "ports": "port",
    "routers": "router",
    "floating_ips": "floatingip",
    "security_groups": "securityGroup",
    "security_group_rules": "securityGroupRule",
}

# Declared types no inventory reads, and why: drift lists them as not compared with this reason.
NEVER_READ: dict[str, str] = {}


@dataclass(frozen=True)
class RawCloud:
    """What `fetch` read, as plain dicts keyed by openstacksdk attribute names."""

    domain: Mapping[str, Any] | None
    projects: Sequence[Mapping[str, Any]] = ()
    networks: Sequence[Mapping[str, Any]] = ()
    subnets: Sequence[Mapping[str, Any]] = ()
    routers: Sequence[Mapping[str, Any]] = ()
    router_ports: Sequence[Mapping[str, Any]] = ()
    security_groups: Sequence[Mapping[str, Any]] = ()
    security_group_rules: Sequence[Mapping[str, Any]] = ()
    rbac_policies: Sequence[Mapping[str, Any]] = ()
    quotas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # project id → quota
    roles: Sequence[Mapping[str, Any]] = ()  # the consortium domain's own roles
    groups: Sequence[Mapping[str, Any]] = ()  # the consortium domain's groups
    role_assignments: Sequence[Mapping[str, Any]] = ()  # Keystone's shape: role/scope/user/group dicts
    # project id → that project's Swift containers: {"name", "headers"} (the container HEAD's headers)
    containers: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    not_read: Mapping[str, str] = field(default_factory=dict)  # type → why this read could not read it
    ports: Sequence[Mapping[str, Any]] = ()  # every port (router interfaces among them)
    floating_ips: Sequence[Mapping[str, Any]] = ()
    servers: Sequence[Mapping[str, Any]] = ()  # Nova, every project
    compute_quotas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # project id → Nova quota
    volume_quotas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # project id → Cinder quota
    # Cinder volume types carrying a `wardcloud:` extra spec, each with "access" (project ids of a private
    # type) and "encryption" (the type's encryption spec, None when it has none)
    volume_types: Sequence[Mapping[str, Any]] = ()
    volumes: Sequence[Mapping[str, Any]] = ()  # Cinder, every project


@dataclass(frozen=True)
class Inventory:
    """The live cloud as graphs per stack, and the live id behind every logical name."""

    cloud: str
    graphs: Mapping[str, Graph]
    ids: Mapping[str, Mapping[str, str]]
    not_read: Mapping[str, str] = field(default_factory=dict)  # covered type → why this read could not

    @property
    def covered(self) -> frozenset[str]:
        """The types this read really holds: drift compares these and policies may judge them."""
        return COVERED_TYPES - set(self.not_read)

    def known(self) -> dict[str, Known]:
        """Live ids per stack, for rendering the declared graphs with real references (drift)."""
        return {stack: Known(ids=dict(ids)) for stack, ids in self.ids.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "stacks": {
                stack: {**graph.to_json(), "ids": dict(self.ids.get(stack, {}))} for stack, graph in self.graphs.items()
            },
            "notRead": dict(self.not_read),
        }


def _plain(resource: Any) -> dict[str, Any]:
    return dict(resource.to_dict(computed=False)) if hasattr(resource, "to_dict") else dict(resource)


def fetch(cloud: Cloud, domain_name: str = DOMAIN_NAME) -> RawCloud:
    """Read the consortium domain and what touches it, every Neutron object, and (with Swift) containers."""
    connection = cloud.connection
    identity, network = connection.identity, connection.network
    domains = cloud.call("identity", "list projects (is_domain)", identity.projects, is_domain=True, name=domain_name)
    domain = _plain(domains[0]) if domains else None
    projects = (
        [_plain(p) for p in cloud.call("identity", "list projects", identity.projects, domain_id=domain["id"])]
        if domain
        else []
    )

    def listing(call: str, fn: Any, **query: Any) -> list[dict[str, Any]]:
        return [_plain(item) for item in cloud.call("network", call, fn, **query)]

    raw = RawCloud(
        domain=domain,
        projects=projects,
        networks=listing("list networks", network.networks),
        subnets=listing("list subnets", network.subnets),
        routers=listing("list routers", network.routers),
        ports=listing("list ports", network.ports),
        floating_ips=listing("list floating ips", network.ips),
        security_groups=listing("list security groups", network.security_groups),
        security_group_rules=listing("list security group rules", network.security_group_rules),
        rbac_policies=listing("list rbac policies", network.rbac_policies),
    )
    quotas = {
        p["id"]: _plain(cloud.call("network", f"get quota {p['name']}", network.get_quota, p["id"]))
        for p in projects
        if _ward_of(p)
    }
    raw = replace(raw, quotas=quotas)
    if domain:
        raw = replace(raw, **_fetch_keystone(cloud, domain["id"], {p["id"] for p in projects}))
    not_read: dict[str, str] = {}
    wards = [p for p in projects if _ward_of(p)]
    if cloud.has_service(COMPUTE):
        raw = replace(raw, **_fetch_nova(cloud, wards))
    else:
        why = f"compute (Nova) is not in the service catalog of cloud {cloud.name}"
        not_read.update(dict.fromkeys(COMPUTE_TYPES, why))
    if any(cloud.has_service(kind) for kind in BLOCK_STORAGE):
        raw = replace(raw, **_fetch_cinder(cloud, wards))
    else:
        why = f"block-storage (Cinder) is not in the service catalog of cloud {cloud.name}"
        not_read.update(dict.fromkeys(VOLUME_TYPES, why))
    if cloud.has_service(OBJECT_STORE):
        raw = replace(raw, containers=_fetch_containers(cloud, projects))
    else:
        not_read[CONTAINER_TYPE] = f"object-store (Swift) is not in the service catalog of cloud {cloud.name}"
    return replace(raw, not_read=not_read)


def _fetch_nova(cloud: Cloud, wards: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every project's servers, and the Nova quota of each ward project."""
    compute = cloud.connection.compute
    servers = [
        _plain(s) for s in cloud.call("compute", "list servers (all projects)", compute.servers, all_projects=True)
    ]
    quotas = {
        p["id"]: _plain(cloud.call("compute", f"get quota {p['name']}", compute.get_quota_set, p["id"])) for p in wards
    }
    return {"servers": servers, "compute_quotas": quotas}


def _fetch_cinder(cloud: Cloud, wards: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Ward projects' Cinder quotas, the consortium's volume types (access, encryption), every volume."""
    storage = cloud.connection.block_storage
    quotas = {
        p["id"]: _plain(cloud.call("block-storage", f"get quota {p['name']}", storage.get_quota_set, p["id"]))
        for p in wards
    }
    types = []
    # `is_public=None` is Cinder's "public and private alike" for an admin; absent, only public ones come
    for raw_type in cloud.call("block-storage", "list volume types", storage.types, is_public="None"):
        volume_type = _plain(raw_type)
        if not any(str(k).startswith(WARDCLOUD_SPEC) for k in volume_type.get("extra_specs") or {}):
            continue  # the operator's backend type, not the consortium's
        name = volume_type.get("name")
        access = (
            []
            if volume_type.get("is_public")
            else cloud.call("block-storage", f"list access {name}", storage.get_type_access, volume_type["id"])
        )
        volume_type["access"] = sorted(str(a.get("project_id")) for a in access or ())
        volume_type["encryption"] = _encryption(cloud, volume_type)
        types.append(volume_type)
    volumes = [
        _plain(v)
        for v in cloud.call("block-storage", "list volumes (all projects)", storage.volumes, all_projects=True)
    ]
    return {"volume_quotas": quotas, "volume_types": types, "volumes": volumes}


def _encryption(cloud: Cloud, volume_type: Mapping[str, Any]) -> dict[str, Any] | None:
    """A type's encryption spec, or None: Cinder answers `{}` (some releases 404) for a type without one."""
    from openstack import exceptions as sdk

    storage = cloud.connection.block_storage

    def get() -> Any:
        try:
            return storage.get_type_encryption(volume_type["id"])
        except sdk.NotFoundException:
            return None

    found = cloud.call("block-storage", f"get encryption {volume_type.get('name')}", get)
    spec = _plain(found) if found is not None else {}
    return spec if spec.get("provider") else None


def _fetch_keystone(cloud: Cloud, domain_id: str, project_ids: set[str]) -> dict[str, Any]:
    """The domain's roles and groups, and every role assignment on, by or of them (one listing)."""
    identity = cloud.connection.identity
    roles = [_plain(r) for r in cloud.call("identity", "list roles", identity.roles, domain_id=domain_id)]
    # The ward roles are global (a domain role never reaches a token, so no guardrail could see it)
    roles += [
        _plain(r)
        for name in GLOBAL_WARD_ROLES
        for r in cloud.call("identity", "list roles", identity.roles, name=name)
        if not r.domain_id
    ]
    groups = [_plain(g) for g in cloud.call("identity", "list groups", identity.groups, domain_id=domain_id)]
    ours = {r["id"] for r in roles} | {g["id"] for g in groups}
    # the cloud's admin role, only to resolve the platform's lookup of it; its assignments are not "ours"
    roles += [
        _plain(r) for r in cloud.call("identity", "list roles", identity.roles, name="admin") if not r.domain_id
    ]
    assignments = [
        _plain(a)
        for a in cloud.call("identity", "list role assignments", identity.role_assignments, include_names=True)
    ]

    def touches_domain(assignment: Mapping[str, Any]) -> bool:
        scope = assignment.get("scope") or {}
        return (
            (scope.get("project") or {}).get("id") in project_ids
            or (scope.get("domain") or {}).get("id") == domain_id
            or (assignment.get("group") or {}).get("id") in ours
            or (assignment.get("role") or {}).get("id") in ours
        )

    return {
        "roles": roles,
        "groups": groups,
        "role_assignments": [a for a in assignments if touches_domain(a)],
    }


def _fetch_containers(cloud: Cloud, projects: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each domain project's Swift account: its containers and their headers (needs ResellerAdmin)."""
    store = cloud.connection.object_store
    endpoint = str(cloud.call(OBJECT_STORE, "endpoint", store.get_endpoint))
    own = cloud.connection.current_project_id
    found: dict[str, list[dict[str, Any]]] = {}
    for project in projects:
        account = endpoint.replace(f"AUTH_{own}", f"AUTH_{project['id']}")
        call = f"GET account {project.get('name')}"
        listing = _swift_ok(cloud, call, cloud.call(OBJECT_STORE, call, store.get, f"{account}?format=json"))
        containers = []
        for entry in listing.json() if listing.status_code == 200 else ():
            call = f"HEAD container {entry['name']}"
            head = _swift_ok(
                cloud, call, cloud.call(OBJECT_STORE, call, store.head, f"{account}/{quote(entry['name'])}")
            )
            if head.status_code < 300:  # deleted between listing and HEAD: gone
                containers.append({"name": entry["name"], "headers": dict(head.headers)})
        found[str(project["id"])] = containers
    return found


def _swift_ok(cloud: Cloud, call: str, response: Any) -> Any:
    """The response, or a CloudError for its status (404: an account nobody wrote to holds nothing)."""
    if response.status_code == 403:
        raise cloud_error(
            cloud.name,
            OBJECT_STORE,
            call,
            Code.FORBIDDEN,
            "forbidden (403): reading the projects' Swift accounts needs the ResellerAdmin role",
        )
    if response.status_code >= 400 and response.status_code != 404:
        raise cloud_error(cloud.name, OBJECT_STORE, call, Code.HTTP, f"HTTP {response.status_code}")
    return response


def read_inventory(cloud: Cloud, domain_name: str = DOMAIN_NAME) -> Inventory:
    """The live cloud, normalised into per-stack graphs (the shape `plan` renders)."""
    return normalise(cloud.name, fetch(cloud, domain_name))


def _ward_of(raw: Mapping[str, Any]) -> str | None:
    for tag in raw.get("tags") or ():
        if match := WARD_TAG.match(tag):
            return match.group(1)
    return None


def _segment_of(raw: Mapping[str, Any]) -> str | None:
    for tag in raw.get("tags") or ():
        if match := SEGMENT_TAG.match(tag):
            return match.group(1)
    return None


def _owner(raw: Mapping[str, Any]) -> str:
    """The stack a tagged resource belongs to: its ward's, the platform's, else `unowned`."""
    if ward := _ward_of(raw):
        return f"{WARD_STACK_PREFIX}{ward}"
    if PLATFORM_TAG in (raw.get("tags") or ()):
        return PLATFORM_STACK
    return UNOWNED_STACK


def _set(inputs: dict[str, Any], key: str, value: Any) -> None:
    """Only facts the cloud states: None and empty strings stay out, as unset inputs do in a render."""
    if value is not None and value != "":
        inputs[key] = value


class _Builder:
    """Collects resources per stack, keeping logical names unique and recording live ids."""

    def __init__(self) -> None:
        self.resources: dict[str, list[Resource]] = {}
        self.ids: dict[str, dict[str, str]] = {}
        self.logical: dict[str, tuple[str, str]] = {}  # live id (per kind) → (stack, logical name)
        self.urns: dict[str, str] = {}  # live id (per kind) → URN, for the dependencies of what refers to it

    def urn(self, type_: str, live_id: Any) -> str | None:
        """The URN of the resource of `type_` read with `live_id`, when it was read."""
        return self.urns.get(f"{type_}:{live_id}")

    def deps(self, *refs: tuple[str, Any]) -> tuple[str, ...]:
        """The URNs of the (type, live id) pairs that were read: a live resource's dependencies, as Pulumi
        records those of a rendered one (a router interface on its router and subnet …)."""
        return tuple(sorted({u for type_, live_id in refs if (u := self.urn(type_, live_id))}))

    def component(self, stack: str) -> str:
        """The component every resource of `stack` hangs under, as in the rendered program."""
        if stack == PLATFORM_STACK:
            type_, name = PLATFORM_TYPE, PLATFORM_STACK
        elif stack.startswith(WARD_STACK_PREFIX):
            type_, name = WARD_TYPE, f"{stack.removeprefix(WARD_STACK_PREFIX)}-ward"
        else:
            return ""
        urn = f"urn:pulumi:{stack}::{PROJECT}::{STACK_TYPE}${type_}::{name}"
        if stack not in self.resources:
            stack_urn = f"urn:pulumi:{stack}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{stack}"
            self.resources[stack] = [Resource(urn, type_, name, stack_urn, (), {})]
            self.ids[stack] = {}
        return urn

    def add(
        self,
        stack: str,
        type_: str,
        name: str,
        live_id: str,
        inputs: dict[str, Any],
        key: str = "",
        deps: tuple[str, ...] = (),
    ) -> str:
        parent = self.component(stack)
        self.resources.setdefault(stack, [])
        ids = self.ids.setdefault(stack, {})
        if name in ids:  # a second object claiming the same place: keep both, the second is unexpected
            name = f"{name}-{live_id[:8]}"
        # as Pulumi builds URNs: the parent's own type, `$`, this type
        chain = f"{parent.split('::')[2].split('$')[-1]}${type_}" if parent else type_
        urn = f"urn:pulumi:{stack}::{PROJECT}::{chain}::{name}"
        self.resources[stack].append(Resource(urn, type_, name, parent or None, deps, inputs))
        ids[name] = live_id
        self.logical[f"{key or type_}:{live_id}"] = (stack, name)
        self.urns[f"{key or type_}:{live_id}"] = urn
        return name

    def graphs(self) -> dict[str, Graph]:
        order = sorted(self.resources, key=lambda s: (s != PLATFORM_STACK, s == UNOWNED_STACK, s))
        return {stack: Graph(stack, tree_order(self.resources[stack])) for stack in order}


def _unowned_name(kind: str, raw: Mapping[str, Any]) -> str:
    return f"unowned-{kind}-{raw.get('name') or raw['id']}"


def _project(builder: _Builder, raw: Mapping[str, Any], domain_id: str | None) -> None:
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "description", raw.get("description"))
    if raw.get("is_domain"):
        inputs["isDomain"] = True
    else:
        _set(inputs, "domainId", raw.get("domain_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    stack, tags = _owner(raw), raw.get("tags") or ()
    if raw["id"] == domain_id:
        stack, name = PLATFORM_STACK, DOMAIN
    elif stack.startswith(WARD_STACK_PREFIX):
        name = f"{_ward_of(raw)}-project"
    elif stack == PLATFORM_STACK:
        service = next((t.removeprefix("service:") for t in tags if t.startswith("service:")), None)
        name = (
            SERVICE_PROJECT.format(service=service)
            if service
            else AUDIT_PROJECT
            if "purpose:audit" in tags
            else str(raw.get("name"))
        )
    else:
        name = _unowned_name("project", raw)
    builder.add(stack, PROJECT_TYPE, name, raw["id"], inputs)


def _network(builder: _Builder, raw: Mapping[str, Any], shared_ids: set[str]) -> None:
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "description", raw.get("description"))
    # Neutron's `shared` is relative to the caller (true only for a wildcard grant or one to the caller's own
    # project); shared with anyone through an RBAC grant is what isolation cares about.
    inputs["shared"] = bool(raw.get("is_shared")) or raw["id"] in shared_ids
    _set(inputs, "adminStateUp", raw.get("is_admin_state_up"))
    if raw.get("is_router_external"):
        inputs["external"] = True
    _set(inputs, "portSecurityEnabled", raw.get("is_port_security_enabled"))
    _set(inputs, "tenantId", raw.get("project_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    stack = _owner(raw)
    name = _neutron_name(stack, "network", raw)
    builder.add(stack, NETWORK_TYPE, name, raw["id"], inputs)


def _neutron_name(stack: str, kind: str, raw: Mapping[str, Any]) -> str:
    """The logical name `plan` gives a Neutron resource: `<name>-<kind>` in a ward, its own name on the platform."""
    if stack.startswith(WARD_STACK_PREFIX):
        return f"{raw.get('name')}-{kind}"
    if stack == PLATFORM_STACK:
        return str(raw.get("name"))
    return _unowned_name(kind, raw)


def _subnet(builder: _Builder, raw: Mapping[str, Any]) -> None:
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "description", raw.get("description"))
    _set(inputs, "cidr", raw.get("cidr"))
    _set(inputs, "ipVersion", raw.get("ip_version"))
    _set(inputs, "enableDhcp", raw.get("is_dhcp_enabled"))
    if raw.get("dns_nameservers"):
        inputs["dnsNameservers"] = list(raw["dns_nameservers"])
    if raw.get("allocation_pools"):
        inputs["allocationPools"] = [{"end": p["end"], "start": p["start"]} for p in raw["allocation_pools"]]
    _set(inputs, "gatewayIp", raw.get("gateway_ip"))
    if raw.get("gateway_ip") is None:
        inputs["noGateway"] = True
    _set(inputs, "networkId", raw.get("network_id"))
    _set(inputs, "tenantId", raw.get("project_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    stack = _owner(raw)
    name = _neutron_name(stack, "subnet", raw)
    deps = builder.deps((NETWORK_TYPE, raw.get("network_id")))
    builder.add(stack, SUBNET_TYPE, name, raw["id"], inputs, deps=deps)


def _router(builder: _Builder, raw: Mapping[str, Any]) -> None:
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "description", raw.get("description"))
    _set(inputs, "adminStateUp", raw.get("is_admin_state_up"))
    gateway = raw.get("external_gateway_info") or {}
    _set(inputs, "externalNetworkId", gateway.get("network_id"))
    _set(inputs, "enableSnat", gateway.get("enable_snat"))
    if gateway.get("external_fixed_ips"):
        inputs["externalFixedIps"] = [
            {"ipAddress": ip.get("ip_address"), "subnetId": ip.get("subnet_id")} for ip in gateway["external_fixed_ips"]
        ]
    _set(inputs, "tenantId", raw.get("project_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    stack = _owner(raw)
    name = _neutron_name(stack, "router", raw)
    deps = builder.deps((NETWORK_TYPE, gateway.get("network_id")))
    builder.add(stack, ROUTER_TYPE, name, raw["id"], inputs, deps=deps)


def _router_interface(
    builder: _Builder,
    port: Mapping[str, Any],
    subnets: Mapping[str, Mapping[str, Any]],
    routers: Mapping[str, Mapping[str, Any]],
) -> None:
    router_id = port.get("device_id") or ""
    stack, router_name = builder.logical.get(f"{ROUTER_TYPE}:{router_id}", (UNOWNED_STACK, router_id))
    for fixed in port.get("fixed_ips") or ():
        subnet_id = fixed.get("subnet_id") or ""
        subnet_stack, subnet_name = builder.logical.get(f"{SUBNET_TYPE}:{subnet_id}", (UNOWNED_STACK, subnet_id))
        same_segment = (
            _segment_of(subnets.get(subnet_id, {})) == _segment_of(routers.get(router_id, {})) and subnet_stack == stack
        )
        name = f"{router_name}-interface" if same_segment else f"{router_name}-interface-{subnet_name}"
        builder.add(
            stack,
            ROUTER_INTERFACE_TYPE,
            name,
            f"{port['id']}:{subnet_id}",
            {"routerId": router_id, "subnetId": subnet_id, "portId": port["id"]},
            deps=builder.deps((ROUTER_TYPE, router_id), (SUBNET_TYPE, subnet_id)),
        )


def _is_neutron_default(rule: Mapping[str, Any]) -> bool:
    """One of the allow-all egress rules Neutron adds to every new group (what delete_default_rules drops)."""
    return (
        rule.get("direction") == "egress"
        and rule.get("protocol") is None
        and rule.get("remote_ip_prefix") is None
        and rule.get("remote_group_id") is None
        and rule.get("port_range_min") is None
        and rule.get("port_range_max") is None
    )


def _security_group(builder: _Builder, raw: Mapping[str, Any], rules: Sequence[Mapping[str, Any]]) -> None:
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "description", raw.get("description"))
    inputs["deleteDefaultRules"] = not any(_is_neutron_default(r) for r in rules)
    _set(inputs, "tenantId", raw.get("project_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    stack = _owner(raw)
    ward, segment, os_name = _ward_of(raw), _segment_of(raw), str(raw.get("name"))
    if ward and segment:
        name = f"{ward}-{segment}-sg-{os_name.removeprefix(f'{ward}-')}"
    elif stack == UNOWNED_STACK:
        name = _unowned_name("security-group", raw)
    else:
        name = f"{os_name}-sg"
    builder.add(stack, SECGROUP_TYPE, name, raw["id"], inputs)


DEFAULT_GROUP_KEY = "neutron-default-sg"  # builder key of Neutron's `default` groups: not a declared SecGroup


def is_neutron_default_group(raw: Mapping[str, Any]) -> bool:
    """Neutron's own per-project `default` group (untagged: no stack declares a group by that name)."""
    return raw.get("name") == "default" and not raw.get("tags")


def _neutron_default_group(builder: _Builder, raw: Mapping[str, Any], wards: Mapping[str, str]) -> None:
    """A ward project's `default` group: in the graph (so a port in it can be judged), never compared."""
    ward = wards.get(str(raw.get("project_id")))
    if not ward:
        return  # another project's (the admin's): outside the consortium
    inputs: dict[str, Any] = {"name": "default", "tags": []}
    _set(inputs, "description", raw.get("description"))
    _set(inputs, "tenantId", raw.get("project_id"))
    stack = f"{WARD_STACK_PREFIX}{ward}"
    builder.add(stack, SECGROUP_TYPE, f"{ward}-neutron-default-sg", raw["id"], inputs, key=DEFAULT_GROUP_KEY)


def made_by_hand_or_neutron(resource: Resource) -> bool:
    """A workload a ward admin made, or Neutron's own `default` group: what no stack declares by design."""
    return resource.type in WORKLOAD_TYPES or (
        resource.type == SECGROUP_TYPE and resource.name.endswith(f"-{DEFAULT_GROUP_KEY}")
    )


def rule_slug(inputs: Mapping[str, Any]) -> str:
    """`in-tcp-22-0.0.0.0_0`: direction, protocol, ports, remote — the content that identifies a rule."""
    direction = "in" if inputs.get("direction") == "ingress" else "out"
    low, high = inputs.get("portRangeMin"), inputs.get("portRangeMax")
    ports = "all" if low is None else str(low) if low == high else f"{low}-{high}"
    remote = str(inputs.get("remoteIpPrefix") or inputs.get("remoteGroupId") or "any").replace("/", "_")
    return f"{direction}-{inputs.get('protocol') or 'any'}-{ports}-{remote}"


def _security_group_rule(builder: _Builder, raw: Mapping[str, Any]) -> None:
    stack, group = builder.logical.get(f"{SECGROUP_TYPE}:{raw.get('security_group_id')}", (None, ""))
    if stack is None:
        return  # a rule of a group left out (Neutron's `default` groups)
    inputs: dict[str, Any] = {}
    _set(inputs, "securityGroupId", raw.get("security_group_id"))
    _set(inputs, "direction", raw.get("direction"))
    _set(inputs, "ethertype", raw.get("ether_type") or raw.get("ethertype"))
    _set(inputs, "protocol", raw.get("protocol"))
    _set(inputs, "portRangeMin", raw.get("port_range_min"))
    _set(inputs, "portRangeMax", raw.get("port_range_max"))
    _set(inputs, "remoteIpPrefix", raw.get("remote_ip_prefix"))
    _set(inputs, "remoteGroupId", raw.get("remote_group_id"))
    _set(inputs, "description", raw.get("description"))
    _set(inputs, "tenantId", raw.get("project_id"))
    deps = builder.deps((SECGROUP_TYPE, raw.get("security_group_id")))
    builder.add(stack, SECGROUP_RULE_TYPE, f"{group}-{rule_slug(inputs)}", raw["id"], inputs, deps=deps)


def _rbac_policy(builder: _Builder, raw: Mapping[str, Any], project_names: Mapping[str, str]) -> None:
    kind = NETWORK_TYPE if raw.get("object_type") == "network" else str(raw.get("object_type"))
    stack, object_name = builder.logical.get(
        f"{kind}:{raw.get('object_id')}",
        (UNOWNED_STACK, f"unowned-{raw.get('object_type')}-{raw.get('object_id')}"),
    )
    target = str(raw.get("target_project_id") or "")
    inputs = {
        "action": raw.get("action"),
        "objectId": raw.get("object_id"),
        "objectType": raw.get("object_type"),
        "targetTenant": target,
    }
    name = f"{object_name}-rbac-{raw.get('action')}-{project_names.get(target, target)}"
    builder.add(stack, RBAC_TYPE, name, raw["id"], inputs, deps=builder.deps((kind, raw.get("object_id"))))


def _quota(builder: _Builder, project: Mapping[str, Any], quota: Mapping[str, Any]) -> None:
    ward = _ward_of(project)
    inputs: dict[str, Any] = {"projectId": project["id"]}
    for sdk_name, wire in QUOTA_FIELDS.items():
        _set(inputs, wire, quota.get(sdk_name))
    builder.add(f"{WARD_STACK_PREFIX}{ward}", NETWORK_QUOTA_TYPE, f"{ward}-network-quota", project["id"], inputs)


def _quota_set(
    builder: _Builder,
    project: Mapping[str, Any],
    quota: Mapping[str, Any],
    type_: str,
    kind: str,
    fields: Mapping[str, str],
) -> None:
    """A ward project's Nova (`<code6>-compute-quota`) or Cinder (`<code6>-volume-quota`) quota set."""
    ward = _ward_of(project)
    inputs: dict[str, Any] = {"projectId": project["id"]}
    for sdk_name, wire in fields.items():
        _set(inputs, wire, quota.get(sdk_name))
    builder.add(f"{WARD_STACK_PREFIX}{ward}", type_, f"{ward}-{kind}-quota", project["id"], inputs, key=type_)


def _volume_type(builder: _Builder, raw: Mapping[str, Any], wards: Mapping[str, str]) -> None:
    """A consortium volume type (platform stack), the wards granted a private one, its encryption spec."""
    os_name = str(raw.get("name"))
    name = VOLUME_TYPE_NAMES.get(os_name, f"platform-{os_name}-volume-type")
    inputs: dict[str, Any] = {"name": os_name}
    _set(inputs, "description", raw.get("description"))
    inputs["isPublic"] = bool(raw.get("is_public"))
    inputs["extraSpecs"] = {str(k): str(v) for k, v in (raw.get("extra_specs") or {}).items()}
    builder.add(PLATFORM_STACK, VOLUME_TYPE_TYPE, name, raw["id"], inputs)
    type_dep = builder.deps((VOLUME_TYPE_TYPE, raw["id"]))
    for project_id in raw.get("access") or ():
        ward = wards.get(project_id)
        stack = f"{WARD_STACK_PREFIX}{ward}" if ward else UNOWNED_STACK
        prefix = ward or f"unowned-{project_id}"
        builder.add(
            stack,
            VOLUME_TYPE_ACCESS_TYPE,
            f"{prefix}-{name.removeprefix('platform-')}-access",
            f"{raw['id']}/{project_id}",
            {"projectId": project_id, "volumeTypeId": raw["id"]},
            deps=type_dep,
        )
    encryption = raw.get("encryption")
    if encryption:
        spec: dict[str, Any] = {"volume_type_id": raw["id"]}
        for sdk_name, wire in ENCRYPTION_FIELDS.items():
            _set(spec, wire, encryption.get(sdk_name))
        builder.add(
            PLATFORM_STACK,
            VOLUME_ENCRYPTION_TYPE,
            f"{name}-encryption",
            str(encryption.get("encryption_id") or raw["id"]),
            spec,
            deps=type_dep,
        )


def _workload_stack(raw: Mapping[str, Any], wards: Mapping[str, str], fallback: str | None = None) -> str | None:
    """A workload's stack: its own `ward:` tag, else its project's ward, else `fallback`; None when it is in
    no ward project and on nothing of the consortium's (another tenant's server: not the consortium's)."""
    if ward := _ward_of(raw):
        return f"{WARD_STACK_PREFIX}{ward}"
    if ward := wards.get(str(raw.get("project_id") or raw.get("tenant_id") or "")):
        return f"{WARD_STACK_PREFIX}{ward}"
    return fallback


def _short(raw: Mapping[str, Any]) -> str:
    return str(raw.get("name") or str(raw["id"])[:8])


def _port(builder: _Builder, raw: Mapping[str, Any], wards: Mapping[str, str]) -> None:
    """A workload or hand-made port, named after the network it is on (`131130-mynumber-port-web1`)."""
    network_stack, network_name = builder.logical.get(f"{NETWORK_TYPE}:{raw.get('network_id')}", (None, ""))
    if network_stack and network_stack != UNOWNED_STACK:
        stack = _workload_stack(raw, {}, network_stack)
    else:  # on a hand-made (unowned) network or one not read: the ward of its project, else left out
        stack = _workload_stack(raw, wards, network_stack)
    if stack is None:
        return
    base = network_name.removesuffix("-network") if network_name else f"network-{raw.get('network_id')}"
    name = f"{base}-port-{_short(raw)}"
    if stack == UNOWNED_STACK and not name.startswith("unowned-"):
        name = f"unowned-{name}"
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "networkId", raw.get("network_id"))
    inputs["fixedIps"] = [
        {"subnetId": f.get("subnet_id"), "ipAddress": f.get("ip_address")} for f in raw.get("fixed_ips") or ()
    ]
    _set(inputs, "deviceId", raw.get("device_id"))
    _set(inputs, "deviceOwner", raw.get("device_owner"))
    inputs["securityGroupIds"] = sorted(raw.get("security_group_ids") or [])
    _set(inputs, "adminStateUp", raw.get("is_admin_state_up"))
    _set(inputs, "portSecurityEnabled", raw.get("is_port_security_enabled"))
    _set(inputs, "tenantId", raw.get("project_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    deps = builder.deps(
        (NETWORK_TYPE, raw.get("network_id")),
        *((SUBNET_TYPE, f.get("subnet_id")) for f in raw.get("fixed_ips") or ()),
        *((SECGROUP_TYPE, g) for g in raw.get("security_group_ids") or ()),
        *((DEFAULT_GROUP_KEY, g) for g in raw.get("security_group_ids") or ()),
    )
    builder.add(stack, PORT_TYPE, name, raw["id"], inputs, deps=deps)


def _server(
    builder: _Builder, raw: Mapping[str, Any], ports: Sequence[Mapping[str, Any]], wards: Mapping[str, str]
) -> None:
    """A Nova server with the networks of its ports (Instance's `networks`: uuid, port, fixed IP)."""
    stack = _workload_stack(raw, wards)
    if stack is None:
        return
    ward = stack.removeprefix(WARD_STACK_PREFIX)
    name = f"{ward}-server-{_short(raw)}"
    flavor = raw.get("flavor") or {}
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "flavorName", flavor.get("original_name") or flavor.get("name"))
    _set(inputs, "flavorId", flavor.get("id"))
    _set(inputs, "imageId", (raw.get("image") or {}).get("id"))
    _set(inputs, "availabilityZone", raw.get("availability_zone"))
    own = sorted((p for p in ports if p.get("device_id") == raw["id"]), key=lambda p: str(p["id"]))
    inputs["networks"] = [
        {
            "uuid": p.get("network_id"),
            "port": p["id"],
            **({"fixedIpV4": p["fixed_ips"][0].get("ip_address")} if p.get("fixed_ips") else {}),
        }
        for p in own
    ]
    inputs["securityGroups"] = sorted({str(g.get("name")) for g in raw.get("security_groups") or ()})
    if raw.get("metadata"):
        inputs["metadata"] = {str(k): str(v) for k, v in raw["metadata"].items()}
    inputs["tags"] = list(raw.get("tags") or [])
    deps = builder.deps(*((PORT_TYPE, p["id"]) for p in own), *((NETWORK_TYPE, p.get("network_id")) for p in own))
    builder.add(stack, INSTANCE_TYPE, name, raw["id"], inputs, deps=deps)


def _floating_ip(builder: _Builder, raw: Mapping[str, Any], wards: Mapping[str, str]) -> None:
    """A floating IP, in the stack of the port it is on (else its project's), named after that port's network.

    The name carries the segment (`131130-mynumber-network-fip-…`), so NET-003 judges a live one as it does
    a planned one."""
    port_stack, port_name = builder.logical.get(f"{PORT_TYPE}:{raw.get('port_id')}", (None, ""))
    stack = port_stack or _workload_stack(raw, wards)
    if stack is None:
        return
    address = str(raw.get("floating_ip_address") or raw["id"])
    if port_name:
        name = f"{port_name.split('-port-')[0]}-network-fip-{address}"
    elif stack.startswith(WARD_STACK_PREFIX):
        name = f"{stack.removeprefix(WARD_STACK_PREFIX)}-fip-{address}"
    else:
        name = f"unowned-fip-{address}"
    inputs: dict[str, Any] = {}
    _set(inputs, "address", raw.get("floating_ip_address"))
    _set(inputs, "portId", raw.get("port_id"))
    _set(inputs, "fixedIp", raw.get("fixed_ip_address"))
    _set(inputs, "description", raw.get("description"))
    _set(inputs, "tenantId", raw.get("project_id"))
    inputs["tags"] = list(raw.get("tags") or [])
    deps = builder.deps((PORT_TYPE, raw.get("port_id")), (NETWORK_TYPE, raw.get("floating_network_id")))
    builder.add(stack, FLOATING_IP_TYPE, name, raw["id"], inputs, deps=deps)


def _volume(
    builder: _Builder,
    raw: Mapping[str, Any],
    wards: Mapping[str, str],
    type_ids: Mapping[str, str],
    server_segments: Mapping[str, set[str]],
) -> None:
    """A Cinder volume: its segment from its metadata, else from the one segment of the servers it is on."""
    stack = _workload_stack(raw, wards)
    if stack is None:
        return
    ward = stack.removeprefix(WARD_STACK_PREFIX)
    metadata = {str(k): str(v) for k, v in (raw.get("metadata") or {}).items()}
    servers = [str(a.get("server_id")) for a in raw.get("attachments") or () if a.get("server_id")]
    segments = set().union(*(server_segments.get(s, set()) for s in servers)) if servers else set()
    segment = metadata.get("segment") or (next(iter(segments)) if len(segments) == 1 else None)
    middle = f"{segment}-" if segment else ""
    name = f"{ward}-{middle}volume-{_short(raw)}"
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "size", raw.get("size"))
    # Pulumi's volumeType takes a name or an id; the id is what the policy config and drift name it by
    volume_type = raw.get("volume_type")
    _set(inputs, "volumeType", type_ids.get(str(volume_type), volume_type))
    _set(inputs, "availabilityZone", raw.get("availability_zone"))
    _set(inputs, "description", raw.get("description"))
    if metadata:
        inputs["metadata"] = metadata
    deps = builder.deps((VOLUME_TYPE_TYPE, type_ids.get(str(volume_type))), *((INSTANCE_TYPE, s) for s in servers))
    builder.add(stack, VOLUME_TYPE, name, raw["id"], inputs, deps=deps)


def _role(builder: _Builder, raw: Mapping[str, Any]) -> None:
    """A role of the consortium domain: the platform's (`platform-<name>-role`, as `plan` names it)."""
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "domainId", raw.get("domain_id"))
    builder.add(PLATFORM_STACK, ROLE_TYPE, f"platform-{raw.get('name')}-role", raw["id"], inputs)


def _group_ward(raw: Mapping[str, Any]) -> str | None:
    """Keystone groups take no tags: a group's ward is its name prefix `<code6>-` (infra/graph.py)."""
    match = NAME_PREFIX.match(str(raw.get("name") or ""))
    return match.group(1) if match else None


def _group(builder: _Builder, raw: Mapping[str, Any]) -> None:
    inputs: dict[str, Any] = {}
    _set(inputs, "name", raw.get("name"))
    _set(inputs, "description", raw.get("description"))
    _set(inputs, "domainId", raw.get("domain_id"))
    os_name = str(raw.get("name"))
    if os_name == "platform-deployers":  # the platform's group of deployers (infra/platform.py)
        stack, name = PLATFORM_STACK, "platform-deployers-group"
    elif ward := _group_ward(raw):
        stack = f"{WARD_STACK_PREFIX}{ward}"
        # `<code6>-admins` is the group WardTenant declares as `<code6>-admin-group`
        name = f"{ward}-admin-group" if os_name == f"{ward}-admins" else f"{os_name}-group"
    else:
        stack, name = UNOWNED_STACK, _unowned_name("group", raw)
    builder.add(stack, GROUP_TYPE, name, raw["id"], inputs)


def _role_assignment(builder: _Builder, raw: Mapping[str, Any]) -> None:
    """One assignment, in the stack of the ward group holding it, else of the project (or domain) it is on."""
    role, group, user = raw.get("role") or {}, raw.get("group") or {}, raw.get("user") or {}
    scope = raw.get("scope") or {}
    project, domain = scope.get("project") or {}, scope.get("domain") or {}
    inputs: dict[str, Any] = {}
    _set(inputs, "groupId", group.get("id"))
    _set(inputs, "userId", user.get("id"))
    _set(inputs, "projectId", project.get("id"))
    _set(inputs, "domainId", domain.get("id"))
    _set(inputs, "roleId", role.get("id"))
    group_stack, group_name = builder.logical.get(f"{GROUP_TYPE}:{group.get('id')}", (None, ""))
    project_stack, project_name = builder.logical.get(f"{PROJECT_TYPE}:{project.get('id')}", (None, ""))
    domain_stack, domain_name = builder.logical.get(f"{PROJECT_TYPE}:{domain.get('id')}", (None, ""))
    if group_stack and group_stack.startswith(WARD_STACK_PREFIX):
        stack = group_stack
    else:
        stack = project_stack or domain_stack or group_stack or UNOWNED_STACK
    if group_name:
        actor = group_name.removesuffix("-group")
    elif group:
        actor = f"group-{group.get('name') or group.get('id')}"
    else:
        actor = f"user-{user.get('name') or user.get('id')}"
    target = project_name or domain_name or str(project.get("name") or domain.get("name") or "system")
    ward = stack.removeprefix(WARD_STACK_PREFIX) if stack.startswith(WARD_STACK_PREFIX) else None
    role_name = builder.logical.get(f"{ROLE_TYPE}:{role.get('id')}", (None, ""))[1]
    if ward and group_name == f"{ward}-admin-group" and role_name == WARD_ADMIN_ROLE:
        # the names WardTenant declares: own project, and each shared service it takes part in
        service = re.fullmatch(SERVICE_PROJECT.format(service="(.+)"), target)
        if target == f"{ward}-project":
            name = f"{ward}-admin-role-assignment"
        elif service:
            name = f"{ward}-service-{service.group(1)}-role-assignment"
        else:
            name = f"{actor}-{role.get('name')}-on-{target}-role-assignment"
    elif ward and target == f"{ward}-project" and group_name == f"{ward}-mynumber-operators-group":
        name = f"{ward}-mynumber-operator-role-assignment"  # as WardTenant declares it
    elif ward and target == f"{ward}-project" and group_name == DEPLOYERS_GROUP and role.get("name") == "admin":
        name = f"{ward}-deployer-role-assignment"  # the deployers' admin on the ward project (provider scoping)
    else:
        name = f"{actor}-{role.get('name') or role.get('id')}-on-{target}-role-assignment"
    if ward and not name.startswith(f"{ward}-"):
        name = f"{ward}-{name}"  # ward stacks' names start with the ward (and policies read it from there)
    elif stack == UNOWNED_STACK:
        name = f"unowned-{name}"
    live_id = "/".join(
        str(x) for x in (group.get("id") or user.get("id"), project.get("id") or domain.get("id"), role.get("id"))
    )
    builder.add(stack, ROLE_ASSIGNMENT_TYPE, name, live_id, inputs)


def container_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    """`X-Container-Meta-Retention-Days: 35` → `{"retention-days": "35"}`: header names are case-blind."""
    prefix = "x-container-meta-"
    metadata = {key[len(prefix) :].lower(): value for key, value in headers.items() if key.lower().startswith(prefix)}
    # a temp-URL key signs download links: drift prints metadata, so it must not carry the key itself
    return {key: SECRET if key.startswith("temp-url-key") else value for key, value in metadata.items()}


def _container(builder: _Builder, project: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
    headers = {str(k).lower(): str(v) for k, v in (raw.get("headers") or {}).items()}
    metadata = container_metadata(headers)
    inputs: dict[str, Any] = {"name": raw["name"]}
    if metadata:
        inputs["metadata"] = metadata
    # `versioning: true` is Swift's object versioning (X-Versions-Enabled); absent header: not versioned
    inputs["versioning"] = headers.get("x-versions-enabled", "").lower() == "true"
    _set(inputs, "containerRead", headers.get("x-container-read"))
    _set(inputs, "containerWrite", headers.get("x-container-write"))
    _set(inputs, "storagePolicy", headers.get("x-storage-policy"))
    ward = metadata.get("ward", "")
    # owner from the metadata (containers take no tags), never the account or the name
    if re.fullmatch(r"[0-9]{6}", ward):
        stack, name = f"{WARD_STACK_PREFIX}{ward}", str(raw["name"])
    elif metadata.get("owner") == "platform":
        stack, name = PLATFORM_STACK, str(raw["name"])
    else:
        stack, name = UNOWNED_STACK, _unowned_name("container", raw)
    builder.add(stack, CONTAINER_TYPE, name, f"{project['id']}/{raw['name']}", inputs)


def normalise(cloud: str, raw: RawCloud) -> Inventory:
    """Pure: raw listings → per-stack graphs with the rendered program's names, types and inputs."""
    builder = _Builder()
    domain_id = raw.domain["id"] if raw.domain else None
    if raw.domain:
        _project(builder, raw.domain, domain_id)
    for project in _by_name(raw.projects):
        _project(builder, project, domain_id)
    shared_ids = {
        str(p.get("object_id"))
        for p in raw.rbac_policies
        if p.get("object_type") == "network" and p.get("action") == "access_as_shared"
    }
    for network in _by_name(raw.networks):
        _network(builder, network, shared_ids)
    for subnet in _by_name(raw.subnets):
        _subnet(builder, subnet)
    for router in _by_name(raw.routers):
        _router(builder, router)
    subnets = {s["id"]: s for s in raw.subnets}
    routers = {r["id"]: r for r in raw.routers}
    router_ports = {p["id"]: p for p in raw.router_ports}
    router_ports.update({p["id"]: p for p in raw.ports if p.get("device_owner") in ROUTER_INTERFACE_OWNERS})
    for port_id in sorted(router_ports):
        _router_interface(builder, router_ports[port_id], subnets, routers)
    wards = {str(p["id"]): ward for p in raw.projects if (ward := _ward_of(p))}
    rules_of: dict[str, list[Mapping[str, Any]]] = {}
    for rule in raw.security_group_rules:
        rules_of.setdefault(str(rule.get("security_group_id")), []).append(rule)
    for group in _by_name(raw.security_groups):
        if is_neutron_default_group(group):
            _neutron_default_group(builder, group, wards)  # Neutron's own (module docstring)
        else:
            _security_group(builder, group, rules_of.get(str(group["id"]), []))
    for rule in sorted(raw.security_group_rules, key=lambda r: r["id"]):
        _security_group_rule(builder, rule)
    project_names = {p["id"]: str(p.get("name")) for p in raw.projects}
    for policy in sorted(raw.rbac_policies, key=lambda r: r["id"]):
        _rbac_policy(builder, policy, project_names)
    for project in _by_name(raw.projects):
        if _ward_of(project) and project["id"] in raw.quotas:
            _quota(builder, project, raw.quotas[project["id"]])
        if _ward_of(project) and project["id"] in raw.compute_quotas:
            quota = raw.compute_quotas[project["id"]]
            _quota_set(builder, project, quota, COMPUTE_QUOTA_TYPE, "compute", COMPUTE_QUOTA_FIELDS)
        if _ward_of(project) and project["id"] in raw.volume_quotas:
            quota = raw.volume_quotas[project["id"]]
            _quota_set(builder, project, quota, VOLUME_QUOTA_TYPE, "volume", VOLUME_QUOTA_FIELDS)
    for volume_type in _by_name(raw.volume_types):
        _volume_type(builder, volume_type, wards)
    workload_ports = [
        p
        for p in raw.ports
        if p.get("device_owner") not in ROUTER_INTERFACE_OWNERS and p.get("device_owner") not in NEUTRON_PORT_OWNERS
    ]
    for port in sorted(workload_ports, key=lambda p: str(p["id"])):
        _port(builder, port, wards)
    for server in _by_name(raw.servers):
        _server(builder, server, workload_ports, wards)
    for address in sorted(raw.floating_ips, key=lambda f: str(f["id"])):
        _floating_ip(builder, address, wards)
    type_ids = {str(t.get("name")): str(t["id"]) for t in raw.volume_types}
    server_segments: dict[str, set[str]] = {}
    for port in workload_ports:
        segment = _network_segment(port, raw.networks)
        if segment and port.get("device_id"):
            server_segments.setdefault(str(port["device_id"]), set()).add(segment)
    for volume in _by_name(raw.volumes):
        _volume(builder, volume, wards, type_ids, server_segments)
    for role in _by_name(raw.roles):
        if role.get("name") == "admin" and not role.get("domain_id"):
            # the cloud's own admin role: the platform looks it up (not a resource), ward stacks grant it
            builder.component(PLATFORM_STACK)
            builder.ids[PLATFORM_STACK][ADMIN_ROLE_LOOKUP] = str(role["id"])
            continue
        _role(builder, role)
    for group in _by_name(raw.groups):
        _group(builder, group)
    for assignment in sorted(raw.role_assignments, key=_assignment_key):
        _role_assignment(builder, assignment)
    for project in _by_name([p for p in raw.projects if p["id"] in raw.containers]):
        for container in sorted(raw.containers[project["id"]], key=lambda c: str(c["name"])):
            _container(builder, project, container)
    return Inventory(cloud, builder.graphs(), builder.ids, dict(raw.not_read))


def _network_segment(port: Mapping[str, Any], networks: Sequence[Mapping[str, Any]]) -> str | None:
    network = next((n for n in networks if n["id"] == port.get("network_id")), {})
    return _segment_of(network)


def _assignment_key(raw: Mapping[str, Any]) -> tuple[str, ...]:
    scope = raw.get("scope") or {}
    return tuple(
        str(x)
        for x in (
            (raw.get("group") or raw.get("user") or {}).get("id"),
            (scope.get("project") or scope.get("domain") or {}).get("id"),
            (raw.get("role") or {}).get("id"),
        )
    )


def _by_name(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Stable order, so two reads of the same cloud give the same graph."""
    return sorted(items, key=lambda item: (str(item.get("name") or ""), str(item["id"])))
