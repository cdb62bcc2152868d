"""The CrossGuard pack: same rules, IDs, severities and enforcement; flags the same fixtures as the CLI."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from test_policy_rules import GRAPH_CASES, RESOURCE_CASES

from wardcloud.infra.graph import Graph, Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.engine import evaluate
from wardcloud.policies.registry import catalogue
from wardcloud.tenants.model import Tenant, Waiver

pack = importlib.import_module("wardcloud.policies.__main__")
POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
TODAY = date(2026, 11, 29)


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=None,
        additional_secret_outputs=[],
    )  # type: ignore[arg-type]


def _args(resource: Resource) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource.type, dict(resource.inputs), resource.urn, resource.name, _opts(), None
    )


def _provider(resource: Resource) -> PolicyProviderResource | None:
    """What CrossGuard hands over for an explicit provider (only its urn is read)."""
    if resource.provider is None:
        return None
    name = resource.provider.rsplit("::")[-1]
    return PolicyProviderResource("pulumi:providers:openstack", {}, resource.provider, name)


def _stack_args(resources: list[Resource]) -> StackValidationArgs:
    built = {
        r.urn: PolicyResource(r.type, dict(r.inputs), r.urn, r.name, _opts(), _provider(r), None, [], {})
        for r in resources
    }
    for r in resources:  # the dependencies, as the Pulumi engine hands them to a stack policy
        built[r.urn].dependencies = [built[urn] for urn in r.dependencies if urn in built]
    return StackValidationArgs(list(built.values()))


def _policies(tenants: dict[str, Tenant] | None = None) -> dict[str, Any]:
    return {p.name: p for p in pack.pack_policies(PolicyConfig(), tenants or {}, TODAY)}


def _violations(policy: Any, args: Any) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    policy.validate(args, lambda message, urn=None: found.append((message, urn)))
    return found


def test_pack_holds_every_resource_and_graph_rule_with_the_same_metadata() -> None:
    policies = _policies()
    expected = {r.id: r for r in catalogue() if r.kind in ("resource", "graph")}
    assert set(policies) == set(expected)
    for rule_id, rule in expected.items():
        policy = policies[rule_id]
        assert isinstance(
            policy, ResourceValidationPolicy if rule.kind == "resource" else StackValidationPolicy
        )
        assert policy.enforcement_level == EnforcementLevel(rule.enforcement)
        assert policy.severity is not None and policy.severity.value == rule.severity
        assert policy.description == rule.title


def test_pulumi_policy_yaml_declares_a_python_pack() -> None:
    meta = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert meta["runtime"] == "python" and meta["description"]


@pytest.mark.parametrize("rule_id", sorted(RESOURCE_CASES))
def test_pack_flags_the_same_resource_fixtures_as_the_cli(rule_id: str) -> None:
    passing, failing = RESOURCE_CASES[rule_id]
    policy = _policies()[rule_id]
    assert _violations(policy, _args(passing)) == []
    flagged = _violations(policy, _args(failing))
    assert [urn for _, urn in flagged] == [failing.urn]
    engine = evaluate((), {"ward-131016": Graph("ward-131016", (failing,))}, PolicyConfig(), TODAY)
    assert any(v.policy == rule_id for v in engine.violations)


@pytest.mark.parametrize("rule_id", sorted(GRAPH_CASES))
def test_pack_flags_the_same_graph_fixtures_as_the_cli(rule_id: str) -> None:
    passing, failing = GRAPH_CASES[rule_id]
    policy = _policies()[rule_id]
    assert _violations(policy, _stack_args(passing)) == []
    assert _violations(policy, _stack_args(failing))


def test_pack_honours_active_waivers_but_not_for_unwaivable_rules(chiyoda: Tenant) -> None:
    import dataclasses

    _, volume = RESOURCE_CASES["NET-006"]  # waivable
    _, router = RESOURCE_CASES["NET-001"]  # waivable: false
    ward = dataclasses.replace(
        chiyoda,
        waivers=(
            Waiver("NET-006", "migration of the legacy volume", "CISO", date(2026, 12, 31)),
            Waiver("NET-001", "trying to waive the unwaivable", "CISO", date(2026, 12, 31)),
        ),
    )
    policies = _policies({"131016": ward})
    assert _violations(policies["NET-006"], _args(volume)) == []
    assert _violations(policies["NET-001"], _args(router))
