"""Detective rules: what a hand-made change in the cloud can break, judged on the whole graph.

They read a resource's `dependencies` (the URNs of what it refers to, as Pulumi records them for a
rendered graph and `live/inventory.py` for a live one) to find the network or subnet behind a port, a
router interface, an RBAC grant — so they judge `wardctl drift`'s live graphs and `plan`'s rendered ones
alike. Every rule here is detective (layer "detect"): the guardrails (`policy.yaml`) prevent, plan-time
policies block, these find what got through.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import MIC, THREE_LAYER, Finding, rule
from wardcloud.policies.rules._common import CONTAINER, INSTANCE, NETWORK, PORT, RBAC, ROUTER, SECGROUP, SUBNET
from wardcloud.policies.rules.isolation import _own_projects

ROUTER_INTERFACE = "openstack:networking/routerInterface:RouterInterface"

# The layer of every rule in this module (the catalogue has no `layers` field yet: see docs/policies.md).
LAYER = "detect"
DETECTIVE_RULES = ("NET-021", "NET-022", "NET-023", "ISO-021", "BAK-021", "AUD-021")


def _referenced(resource: Resource, by_urn: Mapping[str, Resource], type_: str) -> list[Resource]:
    """The resources of `type_` that `resource` depends on."""
    return [dep for urn in resource.dependencies if (dep := by_urn.get(urn)) is not None and dep.type == type_]


def _segment(resource: Resource) -> str | None:
    return resource.segment


@rule(
    "NET-021",
    title="no router reaches a mynumber subnet or network",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    types=(ROUTER_INTERFACE, ROUTER, SUBNET, NETWORK),
    waivable=False,
    remediation="Remove the router interface (or the hand-made port on the mynumber subnet attached to the "
    "router) and any gateway on a mynumber network: the mynumber segment is routed nowhere.",
)
def no_router_to_mynumber(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    by_urn = {r.urn: r for r in resources}
    for resource in resources:
        if resource.type == ROUTER_INTERFACE:
            for subnet in _referenced(resource, by_urn, SUBNET):
                if _segment(subnet) == "mynumber":
                    yield Finding(
                        f"router interface {resource.name} attaches mynumber subnet {subnet.name} to router "
                        f"{resource.inputs.get('routerId')} (port {resource.inputs.get('portId', '?')})",
                        resource.name,
                        "segments.mynumber",
                        subnet.ward or resource.ward,
                    )
        elif resource.type == ROUTER:
            for network in _referenced(resource, by_urn, NETWORK):
                if _segment(network) == "mynumber":
                    yield Finding(
                        f"router {resource.name} has its gateway on mynumber network {network.name}",
                        resource.name,
                        "segments.mynumber",
                        network.ward or resource.ward,
                    )


@rule(
    "ISO-021",
    title="no RBAC policy grants a mynumber network to any other project",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    types=(RBAC, NETWORK),
    waivable=False,
    remediation="Remove the RBAC policy: unlike other segments, a mynumber network is not granted even to "
    "the shared-service projects every ward's admins hold a role on.",
)
def no_mynumber_rbac(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    by_urn = {r.urn: r for r in resources}
    own = _own_projects(resources)
    for resource in resources:
        if resource.type != RBAC:
            continue
        for network in _referenced(resource, by_urn, NETWORK):
            target = resource.inputs.get("targetTenant")
            if _segment(network) == "mynumber" and target not in own.get(network.ward or "", set()):
                yield Finding(
                    f"RBAC policy {resource.name} grants mynumber network {network.name} "
                    f"({resource.inputs.get('action')}) to project {target}",
                    resource.name,
                    "segments.mynumber",
                    network.ward,
                )


def _server_ports(resources: Sequence[Resource]) -> dict[str, list[Resource]]:
    """Ports by the server they are plugged into (Nova's `compute:<zone>` device owner)."""
    ports: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        owner = str(resource.inputs.get("deviceOwner") or "")
        if resource.type == PORT and owner.startswith("compute:") and resource.inputs.get("deviceId"):
            ports[str(resource.inputs["deviceId"])].append(resource)
    return ports


@rule(
    "NET-022",
    title="a server has ports in one segment only",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    types=(PORT, NETWORK),  # servers only name the finding: judged from the ports, with or without Nova
    waivable=False,
    remediation="Detach the port on the other segment: a server in two segments bridges them.",
)
def one_segment_per_server(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    by_urn = {r.urn: r for r in resources}
    server_of = {
        port: server for server in resources if server.type == INSTANCE for port in server.dependencies
    }
    for server_id, ports in sorted(_server_ports(resources).items()):
        segments = {
            seg: port for port in ports for net in _referenced(port, by_urn, NETWORK) if (seg := _segment(net))
        }
        if len(segments) > 1:
            server = server_of.get(ports[0].urn)
            name = server.name if server else server_id
            yield Finding(
                f"server {name} has ports in segments {', '.join(sorted(segments))} "
                f"({', '.join(sorted(p.name for p in ports))})",
                name,
                "segments",
                (server.ward if server else None) or ports[0].ward,
            )


@rule(
    "NET-023",
    title="no ward port is in Neutron's default security group",
    severity="high",
    source=THREE_LAYER,
    kind="graph",
    types=(PORT, SECGROUP),
    remediation="Put the port in the segment's own security group: Neutron's `default` group admits "
    "whatever else is in it, across segments.",
)
def no_default_group(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    by_urn = {r.urn: r for r in resources}
    for resource in resources:
        if resource.type != PORT or resource.ward is None:
            continue
        for group in _referenced(resource, by_urn, SECGROUP):
            if group.inputs.get("name") == "default" and not group.tags:
                yield Finding(
                    f"port {resource.name} is in Neutron's default security group ({group.name})",
                    resource.name,
                    "security_groups",
                    resource.ward,
                )


def _acl_entries(value: object) -> list[str]:
    return [entry.strip() for entry in str(value or "").split(",") if entry.strip()]


def _foreign_acl(entries: Sequence[str], allowed_projects: set[str] | frozenset[str]) -> list[str]:
    """The ACL entries granting the public (`.r:*`, `.rlistings`) or a project not in `allowed_projects`."""
    foreign = []
    for entry in entries:
        if entry == ".rlistings" or (entry.startswith(".r:") and not entry.startswith(".r:-")):
            foreign.append(entry)
        elif ":" in entry and entry.split(":", 1)[0] not in allowed_projects:
            foreign.append(entry)  # `<project>:<user>`, `*:*` included; a bare role name stays in the account
    return foreign


def _purpose(resource: Resource) -> str:
    metadata = resource.inputs.get("metadata") or {}
    return str(metadata.get("purpose", "")) if isinstance(metadata, Mapping) else ""


@rule(
    "BAK-021",
    title="backup containers have no public or cross-project ACL",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    types=(CONTAINER,),
    waivable=False,
    remediation="Remove the read/write ACL: backups are read and written only by the ward's own project.",
)
def backup_acl(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    own = _own_projects(resources)
    for resource in resources:
        if resource.type != CONTAINER or _purpose(resource) != "backup":
            continue
        allowed = own.get(resource.ward or "", set())
        for field in ("containerRead", "containerWrite"):
            if foreign := _foreign_acl(_acl_entries(resource.inputs.get(field)), allowed):
                yield Finding(
                    f"backup container {resource.name} {field} grants {', '.join(foreign)}",
                    resource.name,
                    "backup",
                    resource.ward,
                )


@rule(
    "AUD-021",
    title="audit containers have no public or cross-project ACL but the log shipper's write",
    severity="critical",
    source=MIC,
    kind="graph",
    types=(CONTAINER,),
    waivable=False,
    remediation="Remove the ACL: audit logs are read by nobody outside the account; only the platform audit "
    "project (the log shipper) may write.",
)
def audit_acl(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    own = _own_projects(resources)
    audit_projects = set(config.audit_project_ids)
    for resource in resources:
        if resource.type != CONTAINER or _purpose(resource) not in ("audit-log", "audit-archive"):
            continue
        readers = own.get(resource.ward or "", set()) if resource.ward else audit_projects
        checks = (("containerRead", readers), ("containerWrite", audit_projects))
        for field, allowed in checks:
            if foreign := _foreign_acl(_acl_entries(resource.inputs.get(field)), allowed):
                yield Finding(
                    f"audit container {resource.name} {field} grants {', '.join(foreign)}",
                    resource.name,
                    "audit",
                    resource.ward,
                )
