"""Guardrails: the `prevent` layer, as oslo.policy overrides the cloud's own APIs enforce.

Each `Guardrail` names one oslo.policy rule of one service (Keystone, Neutron, Nova, Cinder), the
check string that replaces the service's default, and the catalogue rule IDs it enforces. Rendered,
each service gets one `policy.yaml` override file: only the rules named here change, every other
rule keeps the service's default (oslo.policy merges a policy file over the registered defaults).

Who is who (docs/policies.md, "Identity"):
- the platform admin holds `admin` and is never restricted here;
- `ward-admin` (the ward's admins group, on the ward's project) runs the ward's servers, volumes and
  ports, on every network of its project except the mynumber segment's;
- `ward-mynumber-operator` (the ward's mynumber operators group, same project) is the only ward role
  that may put a port — hence a server — on the mynumber network (MIC: separate the operators of the
  individual-number segment);
- neither ward role creates or changes routers, networks, subnets, RBAC shares, quotas, volume types
  or grants: those come from the tenant file through the platform's Pulumi stacks.

Neutron's policy engine can read an attribute of a port's network: the `tenant_id:%(network:<field>)s`
check (Neutron's OwnerCheck) loads the field from the port's network into the target, and the `field:`
check then tests it, with a regular expression when its value starts with `~`. The named check
`wardcloud_network_name` does that load and is always true; the checks after it read `network:name`.
Ward networks are named `<code6>-<segment>` (docs/infra.md), so `^[0-9]{6}-mynumber$` is the mynumber
segment of any ward; the platform's gateway networks are `platform-…-network`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wardcloud.core.errors import Problem
from wardcloud.core.files import write_atomic
from wardcloud.infra.platform import MYNUMBER_OPERATOR_ROLE_NAME, WARD_ADMIN_ROLE_NAME
from wardcloud.policies import rules as _rules  # noqa: F401 - the rules must exist before layers are added
from wardcloud.policies.errors import Code, PolicyError
from wardcloud.policies.registry import REGISTRY

Service = Literal["keystone", "neutron", "nova", "cinder"]
SERVICES: tuple[Service, ...] = ("keystone", "neutron", "nova", "cinder")
Layout = Literal["flat", "per-service"]
LAYOUTS: tuple[Layout, ...] = ("flat", "per-service")

PLATFORM_ADMIN = "role:admin"
WARD_ROLE = f"(role:{WARD_ADMIN_ROLE_NAME} or role:{MYNUMBER_OPERATOR_ROLE_NAME})"
MYNUMBER_NETWORK_PATTERN = "^[0-9]{6}-mynumber$"
PLATFORM_NETWORK_PATTERN = "^platform-"


@dataclass(frozen=True)
class Guardrail:
    """One oslo.policy rule override: which service, which rule, the check, the catalogue rules it enforces."""

    service: Service
    action: str
    check: str
    rule_ids: tuple[str, ...]
    why: str

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "action": self.action,
            "check": self.check,
            "rules": list(self.rule_ids),
            "why": self.why,
        }


@dataclass(frozen=True)
class NamedCheck:
    """A named check (`rule:<name>`) the guardrails of one service refer to."""

    service: Service
    name: str
    check: str
    why: str


def _admin_only(service: Service, actions: Sequence[str], rule_ids: Sequence[str], why: str) -> list[Guardrail]:
    return [Guardrail(service, action, "rule:wardcloud_platform_admin", tuple(rule_ids), why) for action in actions]


NAMED_CHECKS: tuple[NamedCheck, ...] = (
    *(
        NamedCheck(service, "wardcloud_platform_admin", PLATFORM_ADMIN, "the platform admin is never restricted")
        for service in SERVICES
    ),
    *(
        NamedCheck(
            service,
            "wardcloud_ward_member",
            f"(role:member or {WARD_ROLE}) and project_id:%(project_id)s",
            "a member or ward role acting in its own project, never in another ward's",
        )
        for service in ("nova", "cinder")
    ),
    NamedCheck(
        "neutron",
        "wardcloud_network_name",
        "tenant_id:%(network:name)s or @",
        "loads the port's network name into the target (Neutron's OwnerCheck); always true",
    ),
    NamedCheck(
        "neutron",
        "wardcloud_mynumber_network",
        f"rule:wardcloud_network_name and field:ports:network:name=~{MYNUMBER_NETWORK_PATTERN}",
        "the port is on a ward's mynumber segment network (`<code6>-mynumber`)",
    ),
    NamedCheck(
        "neutron",
        "wardcloud_platform_network",
        f"rule:wardcloud_network_name and field:ports:network:name=~{PLATFORM_NETWORK_PATTERN}",
        "the port is on a platform network (egress, LGWAN gateway)",
    ),
    NamedCheck(
        "neutron",
        "wardcloud_ward_port",
        f"project_id:%(project_id)s and tenant_id:%(network:tenant_id)s and not rule:wardcloud_platform_network "
        f"and ((role:{WARD_ADMIN_ROLE_NAME} and not rule:wardcloud_mynumber_network) "
        f"or (role:{MYNUMBER_OPERATOR_ROLE_NAME} and rule:wardcloud_mynumber_network))",
        "a ward port: own project, own network, never a platform network; mynumber only for its operators",
    ),
)

GUARDRAILS: tuple[Guardrail, ...] = (
    # --- Neutron: the network layout comes from the tenant file, never from a ward role.
    *_admin_only(
        "neutron",
        ("create_router", "update_router", "delete_router", "add_router_interface", "remove_router_interface"),
        ("NET-001", "NET-007", "NET-008", "NET-015"),
        "routers, their gateways and interfaces are the platform's: a ward role never routes a segment",
    ),
    *_admin_only(
        "neutron",
        ("create_network", "update_network", "delete_network"),
        ("ISO-001", "ISO-005", "NET-014"),
        "ward networks are declared in the tenant file; a ward role cannot share, rename or re-own one",
    ),
    *_admin_only(
        "neutron",
        ("create_subnet", "update_subnet", "delete_subnet"),
        ("NET-002", "ISO-003"),
        "subnets, their CIDRs and gateways are declared in the tenant file",
    ),
    *_admin_only(
        "neutron",
        ("create_rbac_policy", "update_rbac_policy", "delete_rbac_policy"),
        ("ISO-002",),
        "no ward role shares a network with another project by RBAC",
    ),
    *_admin_only(
        "neutron",
        ("create_port:port_security_enabled", "update_port:port_security_enabled"),
        ("NET-014",),
        "port security stays on",
    ),
    *_admin_only(
        "neutron",
        ("update_quota", "delete_quota"),
        ("QUO-003",),
        "quotas come from the tenant file",
    ),
    *(
        Guardrail(
            "neutron",
            action,
            "rule:wardcloud_platform_admin or rule:context_is_advsvc or rule:wardcloud_ward_port",
            ("NET-001", "NET-003", "NET-008", "ISO-004"),
            "ports on the mynumber network only for its operators; none on a platform network or another "
            "ward's",
        )
        for action in ("create_port", "update_port", "delete_port")
    ),
    *(
        Guardrail(
            "neutron",
            action,
            f"rule:wardcloud_platform_admin or (role:{WARD_ADMIN_ROLE_NAME} and project_id:%(project_id)s)",
            ("NET-003", "ISO-004"),
            "the mynumber operators never hold a floating IP; a ward admin only in its own project (a mynumber "
            "port cannot reach one: no router, and routers are the platform's)",
        )
        for action in ("create_floatingip", "update_floatingip")
    ),
    # --- Keystone: projects, roles, groups and grants are the platform's.
    *_admin_only(
        "keystone",
        (
            "identity:create_project", "identity:update_project", "identity:delete_project",
            "identity:create_grant", "identity:revoke_grant",
            "identity:create_group", "identity:add_user_to_group",
        ),
        ("ISO-004",),
        "a ward role grants nothing, to nobody, on no project",
    ),
    Guardrail(
        "keystone",
        "identity:get_project",
        "rule:wardcloud_platform_admin or project_id:%(target.project.id)s",
        ("ISO-004",),
        "a ward role sees only its own project",
    ),
    # --- Nova: servers in the own project; quotas and external networks are the platform's.
    *(
        Guardrail(
            "nova", action, "rule:wardcloud_platform_admin or rule:wardcloud_ward_member", ("ISO-004",),
            "servers only in the caller's own project",
        )
        for action in (
            "os_compute_api:servers:create", "os_compute_api:servers:show",
            "os_compute_api:servers:update", "os_compute_api:servers:delete",
        )
    ),
    *_admin_only(
        "nova",
        ("network:attach_external_network",),
        ("NET-007", "NET-008"),
        "no server directly on the egress or LGWAN gateway network",
    ),
    *_admin_only(
        "nova",
        ("os_compute_api:os-quota-sets:update", "os_compute_api:os-quota-sets:delete"),
        ("QUO-003",),
        "quotas come from the tenant file",
    ),
    # --- Cinder: volumes in the own project; types, encryption, access and quotas are the platform's.
    *(
        Guardrail(
            "cinder", action, "rule:wardcloud_platform_admin or rule:wardcloud_ward_member", ("ISO-004",),
            "volumes only in the caller's own project",
        )
        for action in ("volume:create", "volume:delete")
    ),
    *_admin_only(
        "cinder",
        (
            "volume_extension:type_create", "volume_extension:type_update", "volume_extension:type_delete",
            "volume_extension:volume_type_encryption:create", "volume_extension:volume_type_encryption:update",
            "volume_extension:volume_type_encryption:delete",
            "volume_extension:volume_type_access:addProjectAccess",
            "volume_extension:volume_type_access:removeProjectAccess",
        ),
        ("NET-005", "NET-006", "NET-020"),
        "the encrypted volume type, its LUKS spec and who may use it are the platform's",
    ),
    *_admin_only(
        "cinder",
        ("volume_extension:quotas:update", "volume_extension:quotas:delete"),
        ("QUO-003",),
        "quotas come from the tenant file",
    ),
)


@dataclass(frozen=True)
class RenderedFile:
    """One written policy file: its service, where it went, how many guardrails it holds."""

    service: Service
    path: Path
    guardrails: int

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "path": str(self.path), "guardrails": self.guardrails}


def guardrails(service: Service | None = None) -> tuple[Guardrail, ...]:
    """Every guardrail, or those of one service, in catalogue order."""
    return tuple(g for g in GUARDRAILS if service is None or g.service == service)


def prevented_rules() -> frozenset[str]:
    """The catalogue rule IDs at least one guardrail enforces."""
    return frozenset(rule_id for g in GUARDRAILS for rule_id in g.rule_ids)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text)


def render_service(service: Service) -> str:
    """The oslo.policy override file of one service: named checks, then guardrails, each with its rule IDs."""
    lines = [
        f"# oslo.policy overrides for {service}, generated by `wardctl guardrails render` from the wardcloud",
        "# policy catalogue (policies/guardrails.py). Do not edit: change the catalogue and render again.",
        f"# Install as {service}'s [oslo_policy] policy_file (docs/policies.md). Rules not listed keep their",
        "# default. Each guardrail's comment names the catalogue rule IDs it enforces (layer: prevent).",
        "",
    ]
    for named in NAMED_CHECKS:
        if named.service == service:
            lines += [f"# {named.why}", f"{_quoted(named.name)}: {_quoted(named.check)}", ""]
    for guardrail in guardrails(service):
        lines += [
            f"# {', '.join(guardrail.rule_ids)}: {guardrail.why}",
            f"{_quoted(guardrail.action)}: {_quoted(guardrail.check)}",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def target_path(out: Path, service: Service, layout: Layout) -> Path:
    """Where a service's file goes: `OUT/<service>.yaml` (flat) or `OUT/<service>/policy.yaml`."""
    return out / f"{service}.yaml" if layout == "flat" else out / service / "policy.yaml"


def write_guardrails(
    out: Path, *, layout: Layout = "flat", services: Sequence[Service] = SERVICES
) -> tuple[RenderedFile, ...]:
    """Write each service's policy file under `out` atomically; PolicyError (nothing written) when `out` is unusable."""
    problems = []
    if out.exists() and not out.is_dir():
        problems.append(Problem(str(out), 0, 0, Code.GUARDRAILS_OUT, "--out must be a directory, not a file"))
    for service in services:
        path = target_path(out, service, layout)
        if path.exists() and path.is_dir():
            problems.append(Problem(str(path), 0, 0, Code.GUARDRAILS_OUT, "a directory is in the way of the file"))
    if problems:
        raise PolicyError(problems)
    texts = {service: render_service(service) for service in services}
    written = []
    try:
        for service in services:
            path = target_path(out, service, layout)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, texts[service])
            written.append(RenderedFile(service, path, len(guardrails(service))))
    except OSError as exc:
        raise PolicyError([Problem(str(out), 0, 0, Code.GUARDRAILS_OUT, f"cannot write: {exc.strerror}")]) from exc
    return tuple(written)


# The catalogue records which rules the cloud's API policy prevents.
for _rule_id in sorted(prevented_rules()):
    REGISTRY.add_layer(_rule_id, "prevent")
