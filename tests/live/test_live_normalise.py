"""Normalising raw listings into plan-shaped graphs, and comparing them, without a cloud."""

from __future__ import annotations

from pathlib import Path

from wardcloud.infra.graph import Graph, Resource
from wardcloud.infra.render import render_stacks
from wardcloud.live import inventory as inv
from wardcloud.live.drift import compare, drift
from wardcloud.live.inventory import RawCloud, normalise
from wardcloud.tenants.validate import load_tenants

TENANTS = Path(__file__).resolve().parents[2] / "tenants" / "wards"
WARD = "131130"
TAGS = [f"ward:{WARD}", "segment:internet"]


def raw_cloud(**extra: object) -> RawCloud:
    """One ward's internet segment as Neutron lists it (openstacksdk attribute names)."""
    base: dict[str, object] = dict(
        domain={"id": "dom", "name": "wardcloud", "is_domain": True, "tags": ["wardcloud", "owner:platform"]},
        projects=[
            {
                "id": "p1",
                "name": f"{WARD}-shibuya",
                "domain_id": "dom",
                "description": "渋谷区 (Shibuya)",
                "tags": [f"ward:{WARD}", "internet"],
            }
        ],
        networks=[
            {
                "id": "n1",
                "name": f"{WARD}-internet",
                "is_shared": False,
                "is_admin_state_up": True,
                "is_port_security_enabled": True,
                "project_id": "p1",
                "tags": TAGS,
            },
            {
                "id": "ext",
                "name": "platform-egress-network",
                "is_router_external": True,
                "project_id": "admin",
                "tags": ["wardcloud", "owner:platform"],
            },
            {"id": "n9", "name": "handmade", "project_id": "p1", "tags": []},
        ],
        subnets=[
            {
                "id": "s1",
                "name": f"{WARD}-internet",
                "cidr": "10.13.32.0/20",
                "ip_version": 4,
                "is_dhcp_enabled": True,
                "gateway_ip": "10.13.32.1",
                "network_id": "n1",
                "project_id": "p1",
                "tags": TAGS,
            }
        ],
        routers=[
            {
                "id": "r1",
                "name": f"{WARD}-internet",
                "is_admin_state_up": True,
                "project_id": "p1",
                "external_gateway_info": {"network_id": "ext", "enable_snat": True},
                "tags": TAGS,
            }
        ],
        router_ports=[{"id": "port1", "device_id": "r1", "fixed_ips": [{"subnet_id": "s1"}]}],
        security_groups=[
            {"id": "g1", "name": f"{WARD}-internet-web", "project_id": "p1", "tags": TAGS},
            {"id": "g0", "name": "default", "project_id": "p1", "tags": []},
        ],
        security_group_rules=[
            {
                "id": "x1",
                "security_group_id": "g1",
                "direction": "ingress",
                "ether_type": "IPv4",
                "protocol": "tcp",
                "port_range_min": 22,
                "port_range_max": 22,
                "remote_ip_prefix": "0.0.0.0/0",
            },
            {"id": "x0", "security_group_id": "g0", "direction": "egress", "ether_type": "IPv4"},
        ],
        rbac_policies=[
            {
                "id": "rb1",
                "object_type": "network",
                "object_id": "n1",
                "action": "access_as_shared",
                "target_project_id": "p2",
            }
        ],
        quotas={"p1": {"networks": 3, "routers": 2, "security_group_rules": 100}},
    )
    base.update(extra)
    return RawCloud(**base)  # type: ignore[arg-type]


def names(graph: Graph) -> dict[str, Resource]:
    return {r.name: r for r in graph}


def test_ward_resources_get_the_rendered_logical_names_under_the_ward_stack() -> None:
    inventory = normalise("dev", raw_cloud())
    ward = names(inventory.graphs[f"ward-{WARD}"])
    assert {
        f"{WARD}-ward",
        f"{WARD}-project",
        f"{WARD}-internet-network",
        f"{WARD}-internet-subnet",
        f"{WARD}-internet-router",
        f"{WARD}-internet-router-interface",
        f"{WARD}-internet-sg-internet-web",
        f"{WARD}-internet-sg-internet-web-in-tcp-22-0.0.0.0_0",
        f"{WARD}-network-quota",
    } <= set(ward)
    assert ward[f"{WARD}-internet-router"].inputs["externalNetworkId"] == "ext"
    assert ward[f"{WARD}-network-quota"].inputs == {
        "projectId": "p1",
        "network": 3,
        "router": 2,
        "securityGroupRule": 100,
    }
    assert inventory.ids[f"ward-{WARD}"][f"{WARD}-internet-network"] == "n1"


def test_an_rbac_share_to_any_project_marks_the_network_shared() -> None:
    ward = names(normalise("dev", raw_cloud()).graphs[f"ward-{WARD}"])
    assert ward[f"{WARD}-internet-network"].inputs["shared"] is True  # Neutron said is_shared False to admin
    rbac = ward[f"{WARD}-internet-network-rbac-access_as_shared-p2"]
    assert rbac.type == inv.RBAC_TYPE and rbac.inputs["targetTenant"] == "p2"


def test_untagged_resources_are_unowned_and_neutron_default_groups_kept_but_never_compared() -> None:
    inventory = normalise("dev", raw_cloud())
    assert [r.name for r in inventory.graphs["unowned"]] == ["unowned-network-handmade"]
    ward = names(inventory.graphs[f"ward-{WARD}"])
    # the ward project's `default` group is read (a port in it is a violation), its rules are not
    assert ward[f"{WARD}-neutron-default-sg"].inputs == {"name": "default", "tags": [], "tenantId": "p1"}
    assert not any(r.inputs.get("securityGroupId") == "g0" for r in inventory.graphs[f"ward-{WARD}"])
    findings, _ = compare(f"ward-{WARD}", Graph(f"ward-{WARD}", ()), inventory.graphs[f"ward-{WARD}"])
    assert f"{WARD}-neutron-default-sg" not in {f.name for f in findings}
    assert names(inventory.graphs["platform"])["consortium-domain"].inputs["isDomain"] is True


def test_two_reads_of_the_same_cloud_give_the_same_graphs() -> None:
    first = normalise("dev", raw_cloud())
    again = normalise("dev", raw_cloud(networks=list(reversed(raw_cloud().networks))))
    assert first.to_json() == again.to_json()


def rule(name: str, port: int, remote: str = "0.0.0.0/0", description: str = "") -> Resource:
    inputs = {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "portRangeMin": port,
        "portRangeMax": port,
        "remoteIpPrefix": remote,
    }
    if description:
        inputs["description"] = description
    return Resource(f"urn:{name}", inv.SECGROUP_RULE_TYPE, name, None, (), inputs)


def group(name: str) -> Resource:
    return Resource(f"urn:{name}", inv.SECGROUP_TYPE, name, None, (), {"name": name})


def test_compare_matches_rules_by_content_and_reports_each_kind() -> None:
    declared = Graph(
        "ward-1",
        (
            group("g"),
            rule("g-in-tcp-443-lgwan", 443, "10.13.16.0/20", "staff"),
            rule("g-in-tcp-80-x", 80),
            Resource("urn:n", inv.NETWORK_TYPE, "net", None, (), {"shared": False, "name": "n"}),
        ),
    )
    live = Graph(
        "ward-1",
        (
            group("g"),
            rule("g-in-tcp-443-10.13.16.0_20", 443, "10.13.16.0/20", "staff"),
            rule("g-in-tcp-22-0.0.0.0_0", 22),
            Resource("urn:n", inv.NETWORK_TYPE, "net", None, (), {"shared": True, "name": "n"}),
        ),
    )
    findings, _ = compare("ward-1", declared, live, {"g-in-tcp-22-0.0.0.0_0": "id22"})
    got = {
        (f.kind, f.name, tuple((c.field, c.declared, c.live) for c in f.changes), f.live_id) for f in findings
    }
    assert got == {
        ("missing", "g-in-tcp-80-x", (), None),
        ("unexpected", "g-in-tcp-22-0.0.0.0_0", (), "id22"),
        ("changed", "net", (("shared", False, True),), None),
    }


def test_a_declared_ward_normalised_back_is_clean_and_types_not_read_are_listed() -> None:
    tenants = load_tenants(TENANTS)
    declared = render_stacks(tenants, [f"ward-{WARD}"])[f"ward-{WARD}"]
    covered = tuple(r for r in declared if r.type in inv.COVERED_TYPES or r.type.startswith("wardcloud:"))
    live = inv.Inventory(
        "dev",
        {f"ward-{WARD}": Graph(f"ward-{WARD}", covered)},
        {f"ward-{WARD}": {r.name: f"{r.name}-id" for r in covered}},
    )
    report = drift(live, tenants, [WARD])
    assert report.clean, report.findings
    # everything a ward stack declares is compared now: Nova and Cinder quotas, volume type access included
    assert report.not_compared == {}
    assert {inv.COMPUTE_QUOTA_TYPE, inv.VOLUME_QUOTA_TYPE, inv.VOLUME_TYPE_ACCESS_TYPE} <= {r.type for r in covered}


def test_a_cloud_without_nova_or_cinder_leaves_their_types_not_compared_with_the_reason() -> None:
    tenants = load_tenants(TENANTS)
    declared = render_stacks(tenants, [f"ward-{WARD}"])[f"ward-{WARD}"]
    no_nova = "compute (Nova) is not in the service catalog of cloud dev"
    no_cinder = "block-storage (Cinder) is not in the service catalog of cloud dev"
    not_read = {**dict.fromkeys(inv.COMPUTE_TYPES, no_nova), **dict.fromkeys(inv.VOLUME_TYPES, no_cinder)}
    read = tuple(r for r in declared if r.type in inv.COVERED_TYPES and r.type not in not_read)
    ids = {f"ward-{WARD}": {r.name: f"{r.name}-id" for r in read}}
    live = inv.Inventory("dev", {f"ward-{WARD}": Graph(f"ward-{WARD}", read)}, ids, not_read)
    report = drift(live, tenants, [WARD])
    assert report.clean, report.findings
    assert report.not_compared[inv.COMPUTE_QUOTA_TYPE] == 1
    assert report.not_compared_why[inv.COMPUTE_QUOTA_TYPE] == no_nova
    assert report.not_compared_why[inv.VOLUME_QUOTA_TYPE] == no_cinder


def test_containers_of_a_cloud_without_swift_are_not_compared_never_missing() -> None:
    tenants = load_tenants(TENANTS)
    declared = render_stacks(tenants, [f"ward-{WARD}"])[f"ward-{WARD}"]
    read = tuple(r for r in declared if r.type in inv.COVERED_TYPES and r.type != inv.CONTAINER_TYPE)
    why = "object-store (Swift) is not in the service catalog of cloud dev"
    live = inv.Inventory(
        "dev",
        {f"ward-{WARD}": Graph(f"ward-{WARD}", read)},
        {f"ward-{WARD}": {r.name: f"{r.name}-id" for r in read}},
        {inv.CONTAINER_TYPE: why},
    )
    report = drift(live, tenants, [WARD])
    assert report.clean, report.findings
    assert report.not_compared[inv.CONTAINER_TYPE] == 4
    assert report.to_json()["notComparedWhy"][inv.CONTAINER_TYPE] == why
    assert inv.CONTAINER_TYPE not in live.covered


def test_live_policy_check_flags_a_world_ssh_rule_and_maps_platform_ids() -> None:
    from wardcloud.live.policy import resource_policy_check

    tenants = load_tenants(TENANTS)
    declared = render_stacks(tenants, [f"ward-{WARD}"])[f"ward-{WARD}"]
    ssh = rule(f"{WARD}-internet-sg-internet-web-in-tcp-22-0.0.0.0_0", 22)
    # live ids for the routers' gateways: the policy config names them `platform-…-network-id`
    live_routers = tuple(
        Resource(r.urn, r.type, r.name, r.parent, (), {**r.inputs, "externalNetworkId": f"live-{r.name}"})
        if r.type == inv.ROUTER_TYPE
        else r
        for r in declared
        if r.type in inv.COVERED_TYPES
    )
    platform_ids = {
        "platform-egress-network": f"live-{WARD}-internet-router",
        "platform-lgwan-gateway-network": f"live-{WARD}-lgwan-router",
    }
    check = resource_policy_check([t for t in tenants if t.code == WARD])
    covered = inv.COVERED_TYPES
    clean = check({f"ward-{WARD}": Graph(f"ward-{WARD}", live_routers)}, platform_ids, covered)
    assert clean.violations == ()
    assert "AUD-002" not in clean.not_run and "ISO-004" not in clean.not_run  # containers, assignments read
    found = check({f"ward-{WARD}": Graph(f"ward-{WARD}", (*live_routers, ssh))}, platform_ids, covered)
    assert [(v.policy_id, v.resource, v.ward) for v in found.violations] == [("NET-011", ssh.name, WARD)]
    unmapped = check({f"ward-{WARD}": Graph(f"ward-{WARD}", live_routers)}, {}, covered)
    assert {v.policy_id for v in unmapped.violations} == {"NET-007", "NET-008"}  # gateways unknown to config


def test_container_policies_run_only_when_containers_were_read() -> None:
    from wardcloud.live.policy import resource_policy_check

    tenants = load_tenants(TENANTS)
    declared = render_stacks(tenants, [f"ward-{WARD}"])[f"ward-{WARD}"]
    no_audit_log = tuple(r for r in declared if r.type in inv.COVERED_TYPES and r.name != f"{WARD}-audit-log")
    graphs = {f"ward-{WARD}": Graph(f"ward-{WARD}", no_audit_log)}
    check = resource_policy_check([t for t in tenants if t.code == WARD])
    read = check(graphs, {}, inv.COVERED_TYPES)
    assert (
        "AUD-002",
        f"{WARD}-project",
    ) in {(v.policy_id, v.resource) for v in read.violations}  # no audit-log container: flagged
    blind = check(graphs, {}, inv.COVERED_TYPES - {inv.CONTAINER_TYPE})
    assert "AUD-002" not in {v.policy_id for v in blind.violations}  # absent because not read: no finding
    assert "Container" in blind.not_run["AUD-002"] and "BAK-003" in blind.not_run


OTHER = "131016"
ROLE = {"id": "role-wa", "name": "ward-admin", "domain_id": "dom"}
SERVICE = {"id": "p-bousai", "name": "shared-bousai", "domain_id": "dom", "tags": ["owner:platform", "service:bousai"]}
CHIYODA = {"id": "p2", "name": f"{OTHER}-chiyoda", "domain_id": "dom", "tags": [f"ward:{OTHER}"]}


def assignment(group: str, project: str, role: dict[str, str] = ROLE, **extra: object) -> dict[str, object]:
    """A role assignment as Keystone lists it with include_names."""
    return {
        "role": {"id": role["id"], "name": role["name"]},
        "scope": {"project": {"id": project}},
        "group": {"id": group},
        "user": None,
        **extra,
    }


def keystone_cloud(**extra: object) -> RawCloud:
    return raw_cloud(
        projects=[*raw_cloud().projects, SERVICE, CHIYODA],
        roles=[ROLE],
        groups=[
            {"id": "g-admins", "name": f"{WARD}-admins", "domain_id": "dom", "description": "渋谷区 administrators"},
            {"id": "g-ops", "name": f"{WARD}-ops", "domain_id": "dom"},
            {"id": "g-x", "name": "contractors", "domain_id": "dom"},
        ],
        role_assignments=[
            assignment("g-admins", "p1"),
            assignment("g-admins", "p-bousai"),
            assignment("g-admins", "p2"),  # Shibuya's admins on Chiyoda's project
            {
                "role": {"id": "r-member", "name": "member"},
                "scope": {"project": {"id": "p2"}},
                "user": {"id": "u1", "name": "alice"},
                "group": None,
            },
        ],
        **extra,
    )


def test_groups_roles_and_assignments_get_the_rendered_names_and_their_ward() -> None:
    inventory = normalise("dev", keystone_cloud())
    ward, platform = names(inventory.graphs[f"ward-{WARD}"]), names(inventory.graphs["platform"])
    assert platform["platform-ward-admin-role"].inputs == {"name": "ward-admin", "domainId": "dom"}
    assert ward[f"{WARD}-admin-group"].inputs == {
        "name": f"{WARD}-admins",
        "description": "渋谷区 administrators",
        "domainId": "dom",
    }
    assert ward[f"{WARD}-ops-group"].type == inv.GROUP_TYPE  # a ward's group by its name prefix
    own = ward[f"{WARD}-admin-role-assignment"]
    assert own.inputs == {"groupId": "g-admins", "projectId": "p1", "roleId": "role-wa"}
    assert ward[f"{WARD}-service-bousai-role-assignment"].inputs["projectId"] == "p-bousai"
    # on another ward's project: still Shibuya's (its group holds it), named for what it grants
    cross = ward[f"{WARD}-admin-ward-admin-on-{OTHER}-project-role-assignment"]
    assert (cross.inputs["projectId"], cross.ward) == ("p2", WARD)
    # a user's role on Chiyoda's project belongs to Chiyoda's stack
    user = names(inventory.graphs[f"ward-{OTHER}"])[f"{OTHER}-user-alice-member-on-{OTHER}-project-role-assignment"]
    assert user.inputs == {"userId": "u1", "projectId": "p2", "roleId": "r-member"}
    assert [r.name for r in inventory.graphs["unowned"] if r.type == inv.GROUP_TYPE] == ["unowned-group-contractors"]
    assert inventory.ids[f"ward-{WARD}"][f"{WARD}-admin-role-assignment"] == "g-admins/p1/role-wa"


def test_container_metadata_names_are_case_blind_and_owner_comes_from_metadata() -> None:
    headers = {
        "X-Container-Meta-Ward": WARD,
        "X-Container-Meta-Purpose": "audit-log",
        "X-Container-Meta-Retention-Years": "7",
        "X-Versions-Enabled": "True",
        "X-Container-Write": "p-audit:*",
        "X-Storage-Policy": "Policy-0",
        "X-Container-Bytes-Used": "30",
    }
    inventory = normalise(
        "dev",
        raw_cloud(
            containers={
                "p1": [
                    {"name": f"{WARD}-audit-log", "headers": headers},
                    {"name": "scratch", "headers": {"X-Container-Read": ".r:*"}},
                    {"name": "platform-audit-archive", "headers": {"x-container-meta-owner": "platform"}},
                ]
            }
        ),
    )
    audit = names(inventory.graphs[f"ward-{WARD}"])[f"{WARD}-audit-log"]
    assert audit.inputs == {
        "name": f"{WARD}-audit-log",
        "metadata": {"ward": WARD, "purpose": "audit-log", "retention-years": "7"},
        "versioning": True,
        "containerWrite": "p-audit:*",
        "storagePolicy": "Policy-0",
    }
    assert audit.ward == WARD
    scratch = names(inventory.graphs["unowned"])["unowned-container-scratch"]
    assert scratch.inputs == {"name": "scratch", "versioning": False, "containerRead": ".r:*"}
    assert "platform-audit-archive" in names(inventory.graphs["platform"])
    assert inventory.ids[f"ward-{WARD}"][f"{WARD}-audit-log"] == f"p1/{WARD}-audit-log"


def test_a_containers_temp_url_key_never_reaches_the_inventory() -> None:
    metadata = inv.container_metadata({"X-Container-Meta-Temp-URL-Key": "s3cret", "X-Container-Meta-Ward": WARD})
    assert metadata == {"temp-url-key": "[secret]", "ward": WARD}


def test_compare_matches_role_assignments_by_content() -> None:
    def ra(name: str, role: str) -> Resource:
        inputs = {"groupId": "g", "projectId": "p", "roleId": role}
        return Resource(f"urn:{name}", inv.ROLE_ASSIGNMENT_TYPE, name, None, (), inputs)

    same, _ = compare("ward-1", Graph("ward-1", (ra("a", "r1"),)), Graph("ward-1", (ra("other-name", "r1"),)))
    assert same == []
    other, _ = compare("ward-1", Graph("ward-1", (ra("a", "r1"),)), Graph("ward-1", (ra("a", "r2"),)))
    assert {(f.kind, f.name) for f in other} == {("missing", "a"), ("unexpected", "a")}


def test_a_read_acl_added_to_a_container_that_declares_none_is_a_change() -> None:
    def container(**inputs: object) -> Resource:
        return Resource("urn:c", inv.CONTAINER_TYPE, "c", None, (), {"name": "c", "versioning": True, **inputs})

    declared = Graph("ward-1", (container(metadata={"purpose": "backup"}),))
    live = Graph("ward-1", (container(metadata={"purpose": "backup", "extra": "1"}, containerRead=".r:*"),))
    [finding], _ = compare("ward-1", declared, live)
    assert [(c.field, c.declared, c.live) for c in finding.changes] == [
        ("metadata", {"purpose": "backup"}, {"purpose": "backup", "extra": "1"}),
        ("containerRead", None, ".r:*"),  # unset declared means no ACL, so a public read is drift
    ]
