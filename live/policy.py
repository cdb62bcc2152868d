"""The bridge to the resource policies: the same rule functions `plan` runs, here on live graphs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from wardcloud.infra.graph import Graph
from wardcloud.live.drift import PolicyCheck, PolicyResult, Violation
from wardcloud.live.inventory import COVERED_TYPES, made_by_hand_or_neutron
from wardcloud.tenants.model import Tenant

# Config fields naming platform objects by rendered id (`<logical name>-id`); live, they have real ids.
PLATFORM_ID_FIELDS = (
    "egress_network_ids",
    "lgwan_network_ids",
    "shared_service_project_ids",
    "encrypted_volume_types",
    "audit_project_ids",
)


def not_run_on_live(rule: Any, covered: frozenset[str] = COVERED_TYPES) -> str | None:
    """Why a rule cannot judge a live inventory that read the `covered` types, or None when it can."""
    uncovered = [t.rsplit(":", 1)[-1] for t in rule.types if t not in covered]
    if rule.kind == "graph" and uncovered:
        # a graph rule may flag what is absent: absent because not read is no finding
        return f"reads {', '.join(uncovered)}, which the inventory does not read"
    if rule.kind == "resource" and rule.types and len(uncovered) == len(rule.types):
        return f"reads only {', '.join(uncovered)}, which the inventory does not read"
    return None


def live_config(config: Any, platform_ids: Mapping[str, str]) -> Any:
    """The policy config with each platform `<name>-id` also answering to that object's live id."""
    changes = {}
    for name in PLATFORM_ID_FIELDS:
        configured = getattr(config, name)
        live = {
            platform_ids[v.removesuffix("-id")] for v in configured if v.removesuffix("-id") in platform_ids
        }
        changes[name] = frozenset(configured) | live
    return replace(config, **changes)


def resource_policy_check(
    tenants: Sequence[Tenant], config_path: Path | None = None, today: date | None = None
) -> PolicyCheck:
    """Resource and graph rules (policies.engine) over live graphs; the tenants' waivers apply."""
    from wardcloud.policies.config import load_config
    from wardcloud.policies.engine import evaluate
    from wardcloud.policies.registry import catalogue

    registry = catalogue()
    config = load_config(config_path, registry)  # a bad config fails before any cloud call

    def check(
        graphs: Mapping[str, Graph], platform_ids: Mapping[str, str], covered: frozenset[str] = COVERED_TYPES
    ) -> PolicyResult:
        not_run = {r.id: why for r in registry if r.kind != "tenant" and (why := not_run_on_live(r, covered))}
        report = evaluate(
            tenants, graphs, live_config(config, platform_ids), today or date.today(), registry=registry
        )
        workloads = {r.name for graph in graphs.values() for r in graph if made_by_hand_or_neutron(r)}
        violations = tuple(
            Violation(v.policy, v.severity, v.enforcement, v.ward, v.resource, v.message, v.waived)
            for v in report.violations
            # spec rules judge the files, not the cloud; rules that cannot see the cloud stay quiet
            if registry[v.policy].kind != "tenant" and v.policy not in not_run
            # tagging and naming rules judge what stacks declare, not the servers, ports, floating IPs and
            # volumes ward admins make (untagged by nature) nor Neutron's default groups; security rules do
            and not (registry[v.policy].area == "TAG" and v.resource in workloads)
        )
        return PolicyResult(violations, not_run)

    return check
