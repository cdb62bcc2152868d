"""Isolation between wards: nothing shared, granted or overlapping across ward boundaries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from wardcloud.core.networks import overlapping
from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import CIS, REPORT, THREE_LAYER, Finding, rule
from wardcloud.policies.rules._common import NETWORK, RBAC, ROLE_ASSIGNMENT, SUBNET, known, network_of


def _own_projects(resources: Sequence[Resource]) -> dict[str, set[str]]:
    """Per ward, the project ids its own resources live in (one pass over the graph)."""
    projects: dict[str, set[str]] = defaultdict(set)
    for resource in resources:
        ward = resource.ward
        if ward is None or resource.type in (RBAC, ROLE_ASSIGNMENT):
            continue
        for key in ("tenantId", "projectId"):
            value = resource.inputs.get(key)
            if isinstance(value, str) and known(value):
                projects[ward].add(value)
    return projects


@rule(
    "ISO-001",
    title="no shared network",
    severity="critical",
    source=THREE_LAYER,
    kind="resource",
    types=(NETWORK,),
    waivable=False,
    remediation="Set shared: false; grant shared services through their own projects.",
)
def no_shared_network(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if resource.inputs.get("shared") is True:
        yield Finding(f"network {resource.name} is shared with every project", resource.name, "segments")


@rule(
    "ISO-002",
    title="no RBAC policy grants a ward's network to another project",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    types=(RBAC,),
    remediation="Remove the RBAC policy; only the platform's shared-service projects may be granted access.",
)
def no_cross_ward_rbac(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    own = _own_projects(resources)
    for resource in resources:
        if resource.type != RBAC or resource.ward is None:
            continue
        target = resource.inputs.get("targetTenant")
        if not known(target) or target in config.shared_service_project_ids or target in own[resource.ward]:
            continue
        yield Finding(
            f"RBAC policy {resource.name} grants {resource.inputs.get('objectType', 'an object')} "
            f"{resource.inputs.get('objectId')} to project {target}",
            resource.name,
            "segments",
            resource.ward,
        )


@rule(
    "ISO-003",
    title="no subnet CIDR overlaps another ward's or the platform's",
    severity="critical",
    source=REPORT,
    kind="graph",
    types=(SUBNET,),
    waivable=False,
    remediation="Renumber the segment from the ward's own block of the address plan (`wardctl tenant new`).",
)
def no_cidr_overlap(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    subnets = []
    for resource in resources:
        cidr = resource.inputs.get("cidr")
        network = network_of(cidr) if resource.type == SUBNET and isinstance(cidr, str) else None
        if network is not None:
            subnets.append((network, resource))
    for (_, resource), (_, widest) in overlapping(subnets, lambda s: s[0]):
        if widest.ward == resource.ward:
            continue  # a ward's own segments are tenants' TEN031 to report; here only across wards
        culprit, other = (resource, widest) if resource.ward else (widest, resource)
        yield Finding(
            f"subnet {culprit.name} ({culprit.inputs.get('cidr')}) overlaps {other.name} "
            f"({other.inputs.get('cidr')})",
            culprit.name,
            "segments",
            culprit.ward,
        )


@rule(
    "ISO-004",
    title="a ward's groups hold roles only on its own and shared-service projects",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    types=(ROLE_ASSIGNMENT,),
    remediation="Remove the role assignment on the other ward's project.",
)
def no_cross_ward_role(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    own = _own_projects(resources)
    for resource in resources:
        if resource.type != ROLE_ASSIGNMENT or resource.ward is None:
            continue
        project = resource.inputs.get("projectId")
        if (
            not known(project)
            or project in config.shared_service_project_ids
            or project in own[resource.ward]
        ):
            continue
        yield Finding(
            f"role assignment {resource.name} grants a role on project {project}",
            resource.name,
            "services",
            resource.ward,
        )


@rule(
    "ISO-005",
    title="ward networks belong to the ward's project",
    severity="medium",
    source=CIS,
    kind="resource",
    types=(NETWORK,),
    remediation="Create the network with tenant_id set to the ward's project, not the admin project.",
)
def network_owned(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if resource.ward and not resource.inputs.get("tenantId"):
        yield Finding(f"network {resource.name} has no owning project (tenantId)", resource.name, "segments")


WARD_COMPONENT = "wardcloud:tenant:Ward"
OPENSTACK_PROVIDER = "pulumi:providers:openstack"
# Created through the deployer's own provider before the ward's exists: the project, and the
# deployers' role on it that lets the project-scoped provider authenticate.
BOOTSTRAP_SUFFIXES = ("-project", "-deployer-role-assignment")


@rule(
    "ISO-010",
    title="every ward resource is created through its ward's project-scoped provider",
    severity="critical",
    source=THREE_LAYER,
    kind="graph",
    waivable=False,
    # a live inventory reads no Pulumi providers, so drift says "not run" for this rule: plan time only
    types=(OPENSTACK_PROVIDER,),
    layers=("block",),
    remediation="Pass opts=ResourceOptions(provider=<the ward's provider>) (or parent it under the ward "
    "component with the provider); scope the provider to the ward's project.",
)
def on_ward_provider(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    rendered = {r.ward for r in resources if r.type == WARD_COMPONENT and r.ward}
    if not rendered:
        return  # not a rendered ward stack (a live inventory): nothing to judge
    providers = {r.urn: r for r in resources if r.type == OPENSTACK_PROVIDER}
    own: dict[str, set[str]] = defaultdict(set)
    for resource in resources:
        if resource.ward and resource.type != OPENSTACK_PROVIDER and resource.type not in (RBAC, ROLE_ASSIGNMENT):
            value = resource.inputs.get("tenantId")
            if isinstance(value, str) and known(value):
                own[resource.ward].add(value)
    for scoped in providers.values():
        ward = scoped.ward
        if ward not in rendered:
            continue
        scope = scoped.inputs.get("tenantId")
        if not known(scope) and not known(scoped.inputs.get("tenantName")):
            yield Finding(f"provider {scoped.name} is not scoped to a project", scoped.name, "", ward)
        elif known(scope) and own[ward] and scope not in own[ward]:
            yield Finding(
                f"provider {scoped.name} is scoped to project {scope}, not the ward's own", scoped.name, "", ward
            )
    for resource in resources:
        ward = resource.ward
        if ward not in rendered or not resource.type.startswith(("openstack:", "pulumi-python:dynamic")):
            continue
        if resource.name in {f"{ward}{suffix}" for suffix in BOOTSTRAP_SUFFIXES}:
            continue
        provider = providers.get(resource.provider or "")
        if provider is None or provider.name != f"{ward}-provider":
            where = f"provider {provider.name}" if provider else "the deployer's default provider"
            yield Finding(
                f"{resource.name} is created through {where}, not {ward}-provider (the ward's project)",
                resource.name,
                "",
                ward,
            )
