"""Declared vs live: what `plan` renders from the tenant files against what the cloud really holds.

Per stack: `missing` (declared, not in the cloud), `unexpected` (in the cloud, not declared), `changed`
(both, with the fields that differ); every resource no ward or the platform claims is `unowned`. Only the
types an inventory read are compared (`Inventory.covered`: `inventory.COVERED_TYPES` less what this cloud
could not serve); the rest are listed as not compared with the reason, never silently passed. Then the
resource policies run on the live graphs (detective guardrails).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.infra.graph import Graph, Resource
from wardcloud.infra.platform import PLATFORM_STACK
from wardcloud.infra.program import WARD_STACK_PREFIX
from wardcloud.infra.render import SECRET, UNKNOWN, render_stacks
from wardcloud.live import inventory as inv
from wardcloud.live.errors import Code as LiveCode
from wardcloud.live.inventory import Inventory
from wardcloud.tenants.model import Tenant

# The inputs compared per type: identity-bearing and security-relevant ones, not provider bookkeeping.
FIELDS: dict[str, tuple[str, ...]] = {
    inv.PROJECT_TYPE: ("name", "description", "domainId", "isDomain", "tags"),
    inv.NETWORK_TYPE: (
        "name",
        "description",
        "shared",
        "external",
        "adminStateUp",
        "portSecurityEnabled",
        "tenantId",
        "tags",
    ),
    inv.SUBNET_TYPE: (
        "name",
        "cidr",
        "ipVersion",
        "enableDhcp",
        "noGateway",
        "dnsNameservers",
        "allocationPools",
        "networkId",
        "tenantId",
        "tags",
    ),
    inv.ROUTER_TYPE: ("name", "adminStateUp", "externalNetworkId", "enableSnat", "tenantId", "tags"),
    inv.ROUTER_INTERFACE_TYPE: ("routerId", "subnetId"),
    inv.SECGROUP_TYPE: ("name", "description", "deleteDefaultRules", "tenantId", "tags"),
    inv.SECGROUP_RULE_TYPE: ("description", "securityGroupId", "tenantId"),
    inv.NETWORK_QUOTA_TYPE: ("projectId", *inv.QUOTA_FIELDS.values()),
    inv.RBAC_TYPE: ("action", "objectId", "objectType", "targetTenant"),
    inv.ROLE_TYPE: ("name", "domainId"),
    inv.GROUP_TYPE: ("name", "description", "domainId"),
    # identity is the whole content (actor, target, role): a changed one is one missing plus one unexpected
    inv.ROLE_ASSIGNMENT_TYPE: (),
    inv.CONTAINER_TYPE: ("name", "metadata", "versioning", "containerRead", "containerWrite"),
    inv.COMPUTE_QUOTA_TYPE: ("projectId", *inv.COMPUTE_QUOTA_FIELDS.values()),
    inv.VOLUME_QUOTA_TYPE: ("projectId", *inv.VOLUME_QUOTA_FIELDS.values()),
    inv.VOLUME_TYPE_TYPE: ("name", "description", "isPublic", "extraSpecs"),
    # identity is the whole content (project, type): the platform may declare one grant per segment
    inv.VOLUME_TYPE_ACCESS_TYPE: (),
    inv.VOLUME_ENCRYPTION_TYPE: ("volume_type_id", *inv.ENCRYPTION_FIELDS.values()),
    # workloads: no stack declares them; when one does, these are compared
    inv.INSTANCE_TYPE: ("name", "flavorName", "networks", "securityGroups", "tags"),
    inv.PORT_TYPE: ("networkId", "fixedIps", "securityGroupIds", "tags"),
    inv.FLOATING_IP_TYPE: ("portId", "fixedIp", "tags"),
    inv.VOLUME_TYPE: ("size", "volumeType", "metadata"),
}
# The extra spec by which infra/platform.py marks a volume type as LUKS-encrypted. While the platform
# declares no encryption resource for such a type, drift expects `<type>-encryption` with that provider.
ENCRYPTION_SPEC = "wardcloud:encryption"
# Compared even when the declaration leaves them unset: unset means "not shared", "not external", "no ACL".
ALWAYS: dict[str, Any] = {"shared": False, "external": False, "containerRead": None, "containerWrite": None}
UNORDERED = {"tags", "dnsNameservers", "allocationPools", "networks", "fixedIps", "securityGroupIds"}


class DriftError(WardcloudError):
    """Bad drift input: a ward code no tenant file declares."""


@dataclass(frozen=True)
class Change:
    """One input whose live value differs from the declared one."""

    field: str
    declared: Any
    live: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "declared": self.declared, "live": self.live}


@dataclass(frozen=True)
class Finding:
    """One resource that is missing, unexpected, changed or unowned."""

    kind: str  # missing | unexpected | changed | unowned
    stack: str
    type: str
    name: str
    live_id: str | None = None
    changes: tuple[Change, ...] = ()

    @property
    def ward(self) -> str | None:
        return self.stack.removeprefix(WARD_STACK_PREFIX) if self.stack.startswith(WARD_STACK_PREFIX) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "stack": self.stack,
            "ward": self.ward,
            "type": self.type,
            "name": self.name,
            "liveId": self.live_id,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Violation:
    """A resource policy the live graph breaks (the detective half of the guardrails)."""

    policy_id: str
    severity: str
    enforcement: str
    ward: str | None
    resource: str | None
    message: str
    waived: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "policyId": self.policy_id,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "ward": self.ward,
            "resource": self.resource,
            "message": self.message,
            "waived": self.waived,
        }


@dataclass(frozen=True)
class PolicyResult:
    """What the policies found on the live graphs, and the rules that could not judge them."""

    violations: tuple[Violation, ...]
    not_run: Mapping[str, str] = field(default_factory=dict)  # rule ID → why


# Runs the resource (and graph) policies over the live graphs of the compared stacks; the second
# argument maps platform logical names to live ids (policy config names platform objects by logical id),
# the third names the types the inventory read (a rule reading only others cannot judge the cloud).
PolicyCheck = Callable[[Mapping[str, Graph], Mapping[str, str], frozenset[str]], PolicyResult]
# A detective check over what the inventory does not read (the backup rules BAK-1xx read Cinder's backups,
# both Swift sites and the audit log): given the ward codes compared, its violations and the rules it could
# not run. The caller hands it down (`backup` sits above `live`).
DetectiveCheck = Callable[[Sequence[str]], PolicyResult]


@dataclass(frozen=True)
class DriftReport:
    """Everything `wardctl drift` says: findings, policy violations, and what it could not compare."""

    cloud: str
    stacks: tuple[str, ...]
    findings: tuple[Finding, ...]
    violations: tuple[Violation, ...]
    not_compared: Mapping[str, int] = field(default_factory=dict)  # type → declared count
    policies_run: bool = True
    policies_not_run: Mapping[str, str] = field(default_factory=dict)  # rule ID → why
    not_compared_why: Mapping[str, str] = field(default_factory=dict)  # type → why it was not read

    @property
    def clean(self) -> bool:
        """No drift and no violation (a waived violation is reported, and does not count)."""
        return not self.findings and not any(not v.waived for v in self.violations)

    def to_json(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "clean": self.clean,
            "stacks": list(self.stacks),
            "findings": [f.to_json() for f in self.findings],
            "violations": [v.to_json() for v in self.violations],
            "policiesRun": self.policies_run,
            "policiesNotRun": dict(self.policies_not_run),
            "notCompared": dict(self.not_compared),
            "notComparedWhy": dict(self.not_compared_why),
        }


def _rule_group(rule: Resource, group_names: Sequence[str]) -> str:
    """The security group a rule belongs to: the longest group name its logical name starts with."""
    for name in sorted(group_names, key=len, reverse=True):
        if rule.name.startswith(f"{name}-"):
            return name
    return ""


def identity(resource: Resource, group_names: Sequence[str]) -> tuple[Any, ...]:
    """What makes two resources the same: the logical name, or the content (rules in a group, role assignments)."""
    if resource.type == inv.SECGROUP_RULE_TYPE:
        i = resource.inputs
        return (
            resource.type,
            _rule_group(resource, group_names),
            i.get("direction"),
            i.get("ethertype"),
            i.get("protocol"),
            i.get("portRangeMin"),
            i.get("portRangeMax"),
            i.get("remoteIpPrefix"),
            i.get("remoteGroupId"),
        )
    if resource.type == inv.ROLE_ASSIGNMENT_TYPE:
        i = resource.inputs
        actor, target = i.get("groupId") or i.get("userId"), i.get("projectId") or i.get("domainId")
        return (resource.type, actor, target, i.get("roleId"))
    if resource.type == inv.VOLUME_TYPE_ACCESS_TYPE:
        return (resource.type, resource.inputs.get("projectId"), resource.inputs.get("volumeTypeId"))
    return (resource.type, resource.name)


def expected_encryption(declared: Sequence[Resource], stack: str) -> list[Resource]:
    """The encryption spec each volume type declared encrypted by extra spec must have in Cinder.

    The platform declares the spec as a resource of its own (`<type>-encryption`, the VolumeTypeEncryption
    dynamic provider), so this adds nothing for it. A stack that only marks a type with the extra spec
    `wardcloud:encryption: <provider>` (which Cinder does not act on) still gets the spec expected, so a spec
    removed by hand is reported missing there too.
    """
    names = {r.name for r in declared}
    expected = []
    for resource in declared:
        provider = (resource.inputs.get("extraSpecs") or {}).get(ENCRYPTION_SPEC)
        if resource.type != inv.VOLUME_TYPE_TYPE or not provider or f"{resource.name}-encryption" in names:
            continue
        name = f"{resource.name}-encryption"
        stack_part, project, chain, _ = resource.urn.split("::")
        urn = f"{stack_part}::{project}::{chain.rsplit('$', 1)[0]}${inv.VOLUME_ENCRYPTION_TYPE}::{name}"
        expected.append(
            Resource(urn, inv.VOLUME_ENCRYPTION_TYPE, name, resource.parent, (resource.urn,), {"provider": provider})
        )
    return expected


def _not_compared_live(resource: Resource, declared_types: set[str], external_ids: set[str]) -> bool:
    """What the cloud holds that no stack declares by design: Neutron's own objects, ward admins' workloads."""
    if inv.made_by_hand_or_neutron(resource) and resource.type not in declared_types - {inv.SECGROUP_TYPE}:
        return True
    return _neutron_owned(resource, external_ids)


def _normal(key: str, value: Any) -> Any:
    if value == "" or value == []:
        value = None
    if key in UNORDERED and isinstance(value, list):
        return sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def changed_fields(declared: Resource, live: Resource) -> tuple[Change, ...]:
    """The compared inputs whose values differ (unknown or secret declared values are not compared)."""
    changes = []
    for key in FIELDS.get(declared.type, ()):
        if key not in declared.inputs and key not in ALWAYS:
            continue
        want = declared.inputs.get(key, ALWAYS.get(key))
        if want in (UNKNOWN, SECRET):
            continue
        have = live.inputs.get(key, ALWAYS.get(key))
        if _normal(key, want) != _normal(key, have):
            changes.append(Change(key, want, have))
    return tuple(changes)


def _neutron_owned(resource: Resource, external_ids: set[str]) -> bool:
    """Neutron's own record of a network's external flag (RBAC `access_as_external` to `*`)."""
    return (
        resource.type == inv.RBAC_TYPE
        and resource.inputs.get("action") == "access_as_external"
        and resource.inputs.get("targetTenant") == "*"
        and resource.inputs.get("objectId") in external_ids
    )


def compare(
    stack: str,
    declared: Graph | None,
    live: Graph | None,
    live_ids: Mapping[str, str] | None = None,
    covered: frozenset[str] = inv.COVERED_TYPES,
) -> tuple[list[Finding], dict[str, int]]:
    """Findings for one stack over the `covered` types, and the count of declared resources per type not compared."""
    live_ids = live_ids or {}
    declared_all = [*(declared or ()), *expected_encryption(list(declared or ()), stack)]
    declared_covered = [r for r in declared_all if r.type in covered]
    declared_types = {r.type for r in declared_covered}
    external_ids = {
        live_ids.get(r.name, "") for r in live or () if r.type == inv.NETWORK_TYPE and r.inputs.get("external")
    }
    live_covered = [
        r for r in (live or ()) if r.type in covered and not _not_compared_live(r, declared_types, external_ids)
    ]
    not_compared: dict[str, int] = {}
    for resource in declared_all:
        # components (`wardcloud:`) and explicit providers (`pulumi:providers:`) are Pulumi's, not the cloud's
        if resource.type not in covered and not resource.type.startswith(("wardcloud:", "pulumi:providers:")):
            not_compared[resource.type] = not_compared.get(resource.type, 0) + 1
    declared_groups = [r.name for r in declared_covered if r.type == inv.SECGROUP_TYPE]
    live_groups = [r.name for r in live_covered if r.type == inv.SECGROUP_TYPE]
    live_by_key: dict[tuple[Any, ...], list[Resource]] = {}
    for resource in live_covered:
        live_by_key.setdefault(identity(resource, live_groups), []).append(resource)
    findings: list[Finding] = []
    matched: set[tuple[Any, ...]] = set()
    for resource in declared_covered:
        key = identity(resource, declared_groups)
        matches = live_by_key.get(key)
        if not matches:
            if resource.type == inv.VOLUME_TYPE_ACCESS_TYPE and key in matched:
                continue  # the same grant declared again (once per encrypted segment): one grant in Cinder
            findings.append(Finding("missing", stack, resource.type, resource.name))
            continue
        matched.add(key)
        found = matches.pop(0)
        if changes := changed_fields(resource, found):
            findings.append(Finding("changed", stack, resource.type, resource.name, live_ids.get(found.name), changes))
    for leftovers in live_by_key.values():
        for resource in leftovers:
            findings.append(Finding("unexpected", stack, resource.type, resource.name, live_ids.get(resource.name)))
    return findings, not_compared


def select_stacks(tenants: Sequence[Tenant], wards: Sequence[str] = (), source: str = "tenants") -> list[str]:
    """The stacks a drift run compares: the chosen wards, or the platform and every ward."""
    known = {t.code: t for t in tenants}
    unknown = [w for w in wards if w not in known]
    if unknown:
        raise DriftError(
            [
                Problem(source, 0, 0, LiveCode.UNKNOWN_WARD, f"no tenant file declares ward {w!r}", "--ward")
                for w in unknown
            ]
        )
    if wards:
        return [known[w].stack for w in dict.fromkeys(wards)]
    return [PLATFORM_STACK, *sorted(t.stack for t in tenants)]


def drift(
    live: Inventory,
    tenants: Sequence[Tenant],
    wards: Sequence[str] = (),
    policy_check: PolicyCheck | None = None,
    source: str = "tenants",
    detective_checks: Sequence[DetectiveCheck] = (),
) -> DriftReport:
    """Compare the live inventory with the declared graphs of `wards` (default: everything), then the checks."""
    stacks = select_stacks(tenants, wards, source)
    declared = render_stacks(tenants, stacks, known=live.known())
    findings: list[Finding] = []
    not_compared: dict[str, int] = {}
    for stack in stacks:
        stack_findings, skipped = compare(
            stack, declared[stack], live.graphs.get(stack), live.ids.get(stack), live.covered
        )
        findings += stack_findings
        for type_, count in skipped.items():
            not_compared[type_] = not_compared.get(type_, 0) + count
    if not wards:  # ward stacks the tenant files no longer (or never) declare: all of it unexpected
        for stack, graph in live.graphs.items():
            if stack not in stacks and stack != inv.UNOWNED_STACK:
                findings += compare(stack, None, graph, live.ids.get(stack), live.covered)[0]
    for resource in live.graphs.get(inv.UNOWNED_STACK, ()):
        findings.append(
            Finding(
                "unowned",
                inv.UNOWNED_STACK,
                resource.type,
                resource.name,
                live.ids.get(inv.UNOWNED_STACK, {}).get(resource.name),
            )
        )
    policies = PolicyResult(())
    if policy_check is not None:
        checked = [*stacks, *([inv.UNOWNED_STACK] if not wards else [])]
        graphs = {stack: live.graphs[stack] for stack in checked if stack in live.graphs}
        policies = policy_check(graphs, live.ids.get(PLATFORM_STACK, {}), live.covered)
    codes = list(dict.fromkeys(wards)) if wards else sorted(t.code for t in tenants)
    for check in detective_checks:
        found = check(codes)
        policies = PolicyResult((*policies.violations, *found.violations), {**policies.not_run, **found.not_run})
    why = {t: live.not_read.get(t) or inv.NEVER_READ.get(t, "the inventory does not read it") for t in not_compared}
    return DriftReport(
        live.cloud,
        tuple(stacks),
        tuple(findings),
        policies.violations,
        not_compared,
        policy_check is not None,
        policies.not_run,
        why,
    )
