"""WardTenant and Platform under Pulumi mocks: one test per resource rule of the design."""

from __future__ import annotations

import pytest

from wardcloud.infra.graph import Graph
from wardcloud.infra.platform import EGRESS_NETWORK, LGWAN_NETWORK, PLATFORM_STACK
from wardcloud.infra.render import mock_id, render_stack, render_stacks
from wardcloud.tenants.model import Tenant

NETWORK = "openstack:networking/network:Network"
ROUTER = "openstack:networking/router:Router"
SECGROUP = "openstack:networking/secGroup:SecGroup"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
CONTAINER = "openstack:objectstorage/container:Container"


@pytest.fixture(scope="module")
def shibuya(bundled_tenants: tuple[Tenant, ...]) -> Tenant:
    return next(t for t in bundled_tenants if t.code == "131130")


@pytest.fixture(scope="module")
def graphs(bundled_tenants: tuple[Tenant, ...]) -> dict[str, Graph]:
    return render_stacks(bundled_tenants, [PLATFORM_STACK, "ward-131130"])


@pytest.fixture(scope="module")
def ward(graphs: dict[str, Graph]) -> Graph:
    return graphs["ward-131130"]


def test_render_returns_the_stacks_asked_for_in_order(graphs: dict[str, Graph]) -> None:
    assert list(graphs) == ["platform", "ward-131130"]
    assert graphs["platform"].stack == "platform"


def test_inputs_use_wire_names(ward: Graph) -> None:
    network = next(ward.of_type(NETWORK))
    assert {"adminStateUp", "portSecurityEnabled", "tenantId"} <= set(network.inputs)
    assert "admin_state_up" not in network.inputs


def test_every_resource_carries_the_ward(ward: Graph) -> None:
    assert [r.name for r in ward if r.ward != "131130"] == []


def test_taggable_resources_carry_ward_and_segment_tags(ward: Graph) -> None:
    for resource in [*ward.of_type(NETWORK), *ward.of_type(ROUTER), *ward.of_type(SECGROUP)]:
        assert "ward:131130" in resource.tags
        assert resource.segment in ("mynumber", "lgwan", "internet"), resource.name


def test_no_network_is_shared(graphs: dict[str, Graph]) -> None:
    networks = [r for g in graphs.values() for r in g.of_type(NETWORK)]
    assert networks and all(r.inputs["shared"] is False for r in networks)


def test_mynumber_segment_has_no_router(ward: Graph) -> None:
    assert sorted(r.segment for r in ward.of_type(ROUTER)) == ["internet", "lgwan"]
    subnet = next(r for r in ward if r.name == "131130-mynumber-subnet")
    assert subnet.inputs["noGateway"] is True


def test_internet_routes_to_egress_and_lgwan_to_the_lgwan_gateway(ward: Graph) -> None:
    routers = {r.segment: r.inputs for r in ward.of_type(ROUTER)}
    assert routers["internet"]["externalNetworkId"] == mock_id(EGRESS_NETWORK)
    assert routers["lgwan"]["externalNetworkId"] == mock_id(LGWAN_NETWORK)
    assert routers["internet"]["enableSnat"] is True


def test_security_groups_delete_the_default_rules(ward: Graph) -> None:
    groups = list(ward.of_type(SECGROUP))
    assert len(groups) == 3 and all(g.inputs["deleteDefaultRules"] is True for g in groups)


def test_security_group_has_no_rule_not_in_the_yaml(ward: Graph, shibuya: Tenant) -> None:
    declared = set()
    for group in shibuya.security_groups:
        for rule in group.ingress:
            cidr = str(shibuya.segment(rule.source).cidr) if rule.source_segment else rule.source
            declared.add((f"131130-{group.name}", rule.protocol, rule.port_min, rule.port_max, cidr))
    names = {r.urn.rsplit("::", 1)[1]: r.inputs["name"] for r in ward.of_type(SECGROUP)}
    rendered = {
        (
            names[r.dependencies[-1].rsplit("::", 1)[1]],
            r.inputs["protocol"],
            r.inputs.get("portRangeMin"),
            r.inputs.get("portRangeMax"),
            r.inputs["remoteIpPrefix"],
        )
        for r in ward.of_type(RULE)
        if r.inputs["direction"] == "ingress"
    }
    assert rendered == declared


def test_egress_is_limited_per_segment(ward: Graph) -> None:
    egress: dict[str, set[str]] = {}
    for rule in ward.of_type(RULE):
        if rule.inputs["direction"] == "egress":
            segment = rule.name.split("-")[1]
            egress.setdefault(segment, set()).add(rule.inputs["remoteIpPrefix"])
    assert egress == {
        "mynumber": {"10.13.0.0/20"},
        "lgwan": {"10.13.16.0/20", "10.0.16.0/20"},
        "internet": {"0.0.0.0/0"},
    }


def test_quotas_follow_the_tenant_file(ward: Graph, shibuya: Tenant) -> None:
    by_name = {r.name: r.inputs for r in ward}
    assert by_name["131130-compute-quota"]["cores"] == shibuya.quotas.cores
    assert by_name["131130-compute-quota"]["ram"] == shibuya.quotas.ram_mb
    assert by_name["131130-network-quota"]["floatingip"] == shibuya.quotas.floating_ips
    assert by_name["131130-volume-quota"]["gigabytes"] == shibuya.quotas.volume_gb
    assert next(ward.of_type("openstack:blockstorage/quoteSetV3:QuoteSetV3")).name == "131130-volume-quota"


def test_backup_containers_are_versioned_here_or_off_site_with_retention(ward: Graph, shibuya: Tenant) -> None:
    backups = [r for r in ward.of_type(CONTAINER) if r.inputs["metadata"]["purpose"] == "backup"]
    assert {r.segment for r in backups} == {"mynumber", "lgwan", "internet"}
    for container in backups:
        offsite = container.segment in shibuya.backup.offsite_copy
        # Swift refuses sync on a versioned container: the copied ones keep their versions off-site
        assert container.inputs["versioning"] is not offsite
        assert container.inputs["metadata"]["offsite-copy"] == str(offsite).lower()
        assert container.inputs["metadata"]["retention-days"] == str(shibuya.backup.retention_days)


def test_audit_container_is_write_only_for_the_shipper_and_retained(
    bundled_tenants: tuple[Tenant, ...],
) -> None:
    rendered = render_stack("ward-131130", bundled_tenants)
    audit = next(r for r in rendered.graph if r.name == "131130-audit-log")
    assert audit.inputs["metadata"]["retention-years"] == "7"
    assert audit.inputs["containerWrite"] == "platform-audit-project-id:*"
    assert "containerRead" not in audit.inputs
    assert rendered.retained == {audit.urn}


def test_encrypted_volume_type_granted_only_where_a_segment_requires_it(ward: Graph) -> None:
    grants = list(ward.of_type("openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3"))
    assert [g.name for g in grants] == ["131130-mynumber-encrypted-volume-type-access"]
    assert grants[0].inputs["volumeTypeId"] == mock_id("platform-encrypted-volume-type")


def test_platform_outputs_are_what_ward_stacks_read(bundled_tenants: tuple[Tenant, ...]) -> None:
    from wardcloud.infra.platform import expected_outputs
    from wardcloud.tenants.reference import address_plan

    rendered = render_stack(PLATFORM_STACK, bundled_tenants)
    assert rendered.outputs == expected_outputs(address_plan(), mock_id)
    assert {r.ward for r in rendered.graph} == {None}


def test_render_is_deterministic_across_processes(
    bundled_tenants: tuple[Tenant, ...], graphs: dict[str, Graph]
) -> None:
    assert render_stacks(bundled_tenants, [PLATFORM_STACK, "ward-131130"], jobs=2) == graphs


def test_unknown_stack_is_a_one_line_error(bundled_tenants: tuple[Tenant, ...]) -> None:
    from wardcloud.infra.errors import InfraError

    with pytest.raises(InfraError, match="ward-999999"):
        render_stacks(bundled_tenants, ["ward-999999"])


def test_pulumi_entry_point_builds_the_selected_ward(two_wards, monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    from tests.infra.conftest import REPO
    from wardcloud.infra.render import render_program

    monkeypatch.setenv("WARDCTL_TENANTS", str(two_wards))
    rendered = render_program(
        "ward-131016", lambda: runpy.run_path(str(REPO / "infra" / "__main__.py")) and None
    )
    assert rendered.graph.resources[0].name == "131016-ward"
    assert {r.ward for r in rendered.graph} == {"131016"}


def test_project_lives_in_the_consortium_domain_with_ward_and_segment_tags(ward: Graph) -> None:
    project = next(r for r in ward if r.name == "131130-project")
    assert project.inputs["domainId"] == mock_id("consortium-domain")
    assert project.inputs["tags"] == ["ward:131130", "mynumber", "lgwan", "internet"]
    assert project.inputs["name"] == "131130-shibuya"


def test_admin_group_gets_the_ward_admin_role_on_the_project_and_subscribed_services(
    ward: Graph, shibuya: Tenant
) -> None:
    assignments = {r.name: r.inputs for r in ward.of_type("openstack:identity/roleAssignment:RoleAssignment")}
    assert assignments["131130-admin-role-assignment"] == {
        "groupId": "131130-admin-group-id",
        "projectId": "131130-project-id",
        "roleId": mock_id("platform-ward-admin-role"),
    }
    services = {n: a["projectId"] for n, a in assignments.items() if n.startswith("131130-service-")}
    assert services == {
        f"131130-service-{s}-role-assignment": mock_id(f"platform-{s}-project") for s in shibuya.services
    }


def test_subnets_have_dns_and_an_allocation_pool_inside_the_segment(ward: Graph) -> None:
    subnet = next(r for r in ward if r.name == "131130-lgwan-subnet")
    assert subnet.inputs["cidr"] == "10.13.16.0/20"
    assert subnet.inputs["dnsNameservers"] == ["10.0.0.53", "10.0.0.54"]
    assert subnet.inputs["allocationPools"] == [{"start": "10.13.16.10", "end": "10.13.31.254"}]
    assert subnet.inputs["enableDhcp"] is True and "noGateway" not in subnet.inputs


def test_platform_holds_what_the_wards_share(graphs: dict[str, Graph]) -> None:
    platform = {r.name: r for r in graphs["platform"]}
    assert platform["consortium-domain"].inputs["isDomain"] is True
    assert platform["platform-egress-network"].inputs["external"] is True
    assert platform["platform-lgwan-gateway-network"].inputs["external"] is True
    assert platform["platform-encrypted-volume-type"].inputs["isPublic"] is False
    assert {
        platform[f"platform-{s}-project"].inputs["name"] for s in ("bousai", "procurement", "renkei")
    } == {
        "shared-bousai",
        "shared-procurement",
        "shared-renkei",
    }
    assert platform["platform-audit-archive"].inputs["versioning"] is True
