"""Every ward resource is created through the ward's project-scoped provider (ISO-010), on the real render."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from wardcloud.infra.graph import Graph
from wardcloud.infra.platform import PLATFORM_STACK
from wardcloud.infra.render import mock_id, render_stacks
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.engine import evaluate
from wardcloud.tenants.model import Tenant

PROVIDER_TYPE = "pulumi:providers:openstack"


@pytest.fixture(scope="module")
def ward(bundled_tenants: tuple[Tenant, ...]) -> Graph:
    return render_stacks(bundled_tenants, ["ward-131130"])["ward-131130"]


def _iso010(graph: Graph) -> list[str]:
    report = evaluate((), {graph.stack: graph}, PolicyConfig(), date(2026, 12, 1))
    return sorted(v.resource or "" for v in report.violations if v.policy == "ISO-010")


def test_ward_provider_is_scoped_to_the_wards_project(ward: Graph) -> None:
    (provider,) = ward.of_type(PROVIDER_TYPE)
    assert provider.name == "131130-provider"
    assert provider.inputs == {"tenantId": mock_id("131130-project"), "tenantName": "131130-shibuya"}
    # the deployers hold admin on the project before the provider authenticates there
    assignment = next(r for r in ward if r.name == "131130-deployer-role-assignment")
    assert assignment.urn in provider.dependencies
    assert assignment.inputs["projectId"] == mock_id("131130-project")


def test_every_ward_resource_but_the_bootstrap_is_on_the_ward_provider(ward: Graph) -> None:
    (provider,) = ward.of_type(PROVIDER_TYPE)
    off = {r.name for r in ward if r.type.startswith("openstack:") and r.provider != provider.urn}
    assert off == {"131130-project", "131130-deployer-role-assignment"}
    containers = [r for r in ward if r.type == "openstack:objectstorage/container:Container"]
    assert containers and all(r.provider == provider.urn for r in containers)
    assert _iso010(ward) == []


def test_a_container_on_the_deployers_provider_fails_the_plan(ward: Graph) -> None:
    moved = tuple(
        dataclasses.replace(r, provider=None) if r.name == "131130-audit-log" else r for r in ward.resources
    )
    assert _iso010(Graph(ward.stack, moved)) == ["131130-audit-log"]


def test_a_provider_scoped_to_another_project_fails_the_plan(ward: Graph) -> None:
    moved = tuple(
        dataclasses.replace(r, inputs={"tenantId": "131016-project-id"}) if r.type == PROVIDER_TYPE else r
        for r in ward.resources
    )
    assert _iso010(Graph(ward.stack, moved)) == ["131130-provider"]


def test_a_live_inventory_without_providers_is_not_judged(ward: Graph) -> None:
    live = tuple(
        dataclasses.replace(r, provider=None)
        for r in ward.resources
        if r.type not in (PROVIDER_TYPE, "wardcloud:tenant:Ward")
    )
    assert _iso010(Graph(ward.stack, live)) == []


def test_mynumber_operators_get_their_own_role_only_where_there_is_a_mynumber_segment(
    bundled_tenants: tuple[Tenant, ...], ward: Graph
) -> None:
    assignment = next(r for r in ward if r.name == "131130-mynumber-operator-role-assignment")
    group = next(r for r in ward if r.name == "131130-mynumber-operators-group")
    assert group.inputs["name"] == "131130-mynumber-operators"
    assert assignment.inputs == {
        "groupId": mock_id("131130-mynumber-operators-group"),
        "projectId": mock_id("131130-project"),
        "roleId": mock_id("platform-ward-mynumber-operator-role"),
    }
    without = next((t for t in bundled_tenants if not any(s.name == "mynumber" for s in t.segments)), None)
    if without is not None:
        graph = render_stacks(bundled_tenants, [without.stack])[without.stack]
        assert not any("mynumber-operator" in r.name for r in graph)


def test_ward_roles_are_global_so_tokens_carry_them(bundled_tenants: tuple[Tenant, ...]) -> None:
    platform = render_stacks(bundled_tenants, [PLATFORM_STACK])[PLATFORM_STACK]
    roles = {r.inputs["name"]: r.inputs for r in platform.of_type("openstack:identity/role:Role")}
    assert roles == {"ward-admin": {"name": "ward-admin"}, "ward-mynumber-operator": {"name": "ward-mynumber-operator"}}
