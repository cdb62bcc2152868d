"""Every rule, a passing and a failing fixture: tenants edited from Chiyoda, resources built by hand."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.policies.detective_cases import DETECTIVE_GRAPH_CASES
from wardcloud.infra.graph import Graph, Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.engine import evaluate, evaluate_backups
from wardcloud.policies.registry import catalogue
from wardcloud.policies.rules.backup import (
    BackupFacts,
    OffsiteFacts,
    VanishedBackup,
    VolumeFacts,
    WardBackupFacts,
)
from wardcloud.tenants.model import AuditPolicy, BackupPolicy, SecurityGroup, SecurityRule, Tenant

CONFIG = PolicyConfig(quota_ceilings={"instances": 200, "cores": 800})
TODAY = date(2026, 11, 29)

NETWORK = "openstack:networking/network:Network"
SUBNET = "openstack:networking/subnet:Subnet"
ROUTER = "openstack:networking/router:Router"
SECGROUP = "openstack:networking/secGroup:SecGroup"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
RBAC = "openstack:networking/rbacPolicyV2:RbacPolicyV2"
FIP = "openstack:networking/floatingIp:FloatingIp"
VOLUME = "openstack:blockstorage/volume:Volume"
CONTAINER = "openstack:objectstorage/container:Container"
PROJECT = "openstack:identity/project:Project"
ROLE = "openstack:identity/roleAssignment:RoleAssignment"
QUOTA = "openstack:compute/quotaSetV2:QuotaSetV2"


def res(type_: str, logical: str, **inputs: Any) -> Resource:
    return Resource(
        urn=f"urn:pulumi:ward-131016::wardcloud::{type_}::{logical}", type=type_, name=logical, inputs=inputs
    )


def tags(segment: str | None = None, ward: str = "131016") -> list[str]:
    return [f"ward:{ward}", *([f"segment:{segment}"] if segment else [])]


def backup(segment: str = "mynumber", **meta: str) -> dict[str, Any]:
    metadata = {
        "ward": "131016",
        "segment": segment,
        "purpose": "backup",
        "retention-days": "35",
        "offsite-copy": "true",
        **meta,
    }
    return {"name": f"131016-{segment}-backup", "versioning": True, "metadata": metadata}


def audit_log(**overrides: Any) -> dict[str, Any]:
    inputs = {
        "name": "131016-audit-log",
        "versioning": True,
        "containerWrite": "platform-audit-project-id:*",
        "metadata": {
            "ward": "131016",
            "purpose": "audit-log",
            "retention-years": "7",
            "delete-protected": "true",
        },
    }
    inputs.update(overrides)
    return inputs


def ingress(remote: str, port: int | None = 443, protocol: str | None = "tcp") -> dict[str, Any]:
    return {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": protocol,
        "portRangeMin": port,
        "portRangeMax": port,
        "remoteIpPrefix": remote,
        "securityGroupId": "sg-id",
    }


# rule ID -> (passing resource, failing resource)
RESOURCE_CASES: dict[str, tuple[Resource, Resource]] = {
    "NET-001": (
        res(
            ROUTER,
            "131016-internet-router",
            tags=tags("internet"),
            externalNetworkId="platform-egress-network-id",
        ),
        res(ROUTER, "131016-mynumber-router", tags=tags("mynumber")),
    ),
    "NET-002": (
        res(SUBNET, "131016-mynumber-subnet", tags=tags("mynumber"), noGateway=True, cidr="10.1.0.0/20"),
        res(SUBNET, "131016-mynumber-subnet", tags=tags("mynumber"), cidr="10.1.0.0/20"),
    ),
    "NET-003": (
        res(FIP, "131016-internet-fip", tags=tags("internet"), pool="egress"),
        res(FIP, "131016-mynumber-fip", tags=tags("mynumber"), pool="egress"),
    ),
    "NET-006": (
        res(VOLUME, "131016-mynumber-db", tags=tags("mynumber"), volumeType="encrypted-luks", size=10),
        res(VOLUME, "131016-mynumber-db", tags=tags("mynumber"), size=10),
    ),
    "NET-007": (
        res(
            ROUTER,
            "131016-lgwan-router",
            tags=tags("lgwan"),
            externalNetworkId="platform-lgwan-gateway-network-id",
        ),
        res(
            ROUTER, "131016-lgwan-router", tags=tags("lgwan"), externalNetworkId="platform-egress-network-id"
        ),
    ),
    "NET-008": (
        res(
            ROUTER,
            "131016-internet-router",
            tags=tags("internet"),
            externalNetworkId="platform-egress-network-id",
        ),
        res(
            ROUTER,
            "131016-internet-router",
            tags=tags("internet"),
            externalNetworkId="platform-lgwan-gateway-network-id",
        ),
    ),
    "NET-011": (
        res(RULE, "131016-internet-sg-web-in-tcp-443", **ingress("0.0.0.0/0", 443)),
        res(RULE, "131016-internet-sg-web-in-tcp-22", **ingress("0.0.0.0/0", 22)),
    ),
    "NET-012": (
        res(RULE, "131016-lgwan-sg-app-in-any", **ingress("10.1.16.0/20", None, None)),
        res(RULE, "131016-lgwan-sg-app-in-any", **ingress("10.0.0.0/8", None, None)),
    ),
    "NET-013": (
        res(SECGROUP, "131016-internet-sg-web", tags=tags("internet"), deleteDefaultRules=True),
        res(SECGROUP, "131016-internet-sg-web", tags=tags("internet")),
    ),
    "NET-014": (
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan"), portSecurityEnabled=True, tenantId="p"),
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan"), portSecurityEnabled=False, tenantId="p"),
    ),
    "NET-015": (
        res(RULE, "131016-internet-sg-web-out-anywhere", direction="egress", remoteIpPrefix="0.0.0.0/0"),
        res(RULE, "131016-lgwan-sg-app-out-anywhere", direction="egress", remoteIpPrefix="0.0.0.0/0"),
    ),
    "ISO-001": (
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan"), shared=False, tenantId="p"),
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan"), shared=True, tenantId="p"),
    ),
    "ISO-005": (
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan"), tenantId="131016-project-id"),
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan")),
    ),
    "BAK-003": (  # an unversioned container passes only when copied off-site (its versions are kept there)
        res(CONTAINER, "131016-internet-backup", **{**backup("internet"), "versioning": False}),
        res(CONTAINER, "131016-internet-backup",
            **{**backup("internet", **{"offsite-copy": "false"}), "versioning": False}),
    ),
    "BAK-004": (
        res(CONTAINER, "131016-lgwan-backup", **backup("lgwan")),
        res(CONTAINER, "131016-lgwan-backup", **backup("lgwan", **{"retention-days": "7"})),
    ),
    "BAK-005": (
        res(CONTAINER, "131016-mynumber-backup", **backup()),
        res(CONTAINER, "131016-mynumber-backup", **backup(**{"offsite-copy": "false"})),
    ),
    "AUD-003": (
        res(CONTAINER, "131016-audit-log", **audit_log()),
        res(CONTAINER, "131016-audit-log", **audit_log(versioning=False)),
    ),
    "AUD-004": (
        res(CONTAINER, "131016-audit-log", **audit_log()),
        res(
            CONTAINER,
            "131016-audit-log",
            **audit_log(
                metadata={
                    "ward": "131016",
                    "purpose": "audit-log",
                    "retention-years": "1",
                    "delete-protected": "true",
                }
            ),
        ),
    ),
    "AUD-005": (
        res(CONTAINER, "131016-audit-log", **audit_log()),
        res(CONTAINER, "131016-audit-log", **audit_log(containerWrite="131016-project-id:*")),
    ),
    "QUO-003": (
        res(QUOTA, "131016-compute-quota", projectId="p", instances=20, cores=80, ram=1024),
        res(QUOTA, "131016-compute-quota", projectId="p", instances=20, cores=-1, ram=1024),
    ),
    "TAG-001": (
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan")),
        res(NETWORK, "131016-lgwan-network", tags=["segment:lgwan"]),
    ),
    "TAG-002": (
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan")),
        res(NETWORK, "Chiyoda_LGWAN", tags=tags("lgwan")),
    ),
    "TAG-003": (
        res(NETWORK, "131016-lgwan-network", tags=tags("lgwan")),
        res(NETWORK, "131016-lgwan-network", tags=tags()),
    ),
}

OWN = dict(tags=tags("lgwan"), tenantId="131016-project-id")
OTHER = dict(tags=tags("lgwan", "131024"), tenantId="131024-project-id")
# rule ID -> (passing graph, failing graph), each a list of resources across stacks
PROVIDER = res("pulumi:providers:openstack", "131016-provider", tenantId="131016-project-id")

GRAPH_CASES: dict[str, tuple[list[Resource], list[Resource]]] = {
    "ISO-002": (
        [
            res(NETWORK, "131016-lgwan-network", **OWN),
            res(
                RBAC,
                "131016-lgwan-rbac",
                objectType="network",
                objectId="n",
                targetTenant="platform-renkei-project-id",
                action="access_as_shared",
            ),
        ],
        [
            res(NETWORK, "131016-lgwan-network", **OWN),
            res(NETWORK, "131024-lgwan-network", **OTHER),
            res(
                RBAC,
                "131016-lgwan-rbac",
                objectType="network",
                objectId="n",
                targetTenant="131024-project-id",
                action="access_as_shared",
            ),
        ],
    ),
    "ISO-003": (
        [
            res(SUBNET, "131016-lgwan-subnet", cidr="10.1.16.0/20", tags=tags("lgwan")),
            res(SUBNET, "131024-lgwan-subnet", cidr="10.2.16.0/20", tags=tags("lgwan", "131024")),
        ],
        [
            res(SUBNET, "131016-lgwan-subnet", cidr="10.1.16.0/20", tags=tags("lgwan")),
            res(SUBNET, "131024-lgwan-subnet", cidr="10.1.24.0/24", tags=tags("lgwan", "131024")),
        ],
    ),
    "ISO-004": (
        [
            res(NETWORK, "131016-lgwan-network", **OWN),
            res(ROLE, "131016-admin-role-assignment", groupId="g", projectId="131016-project-id", roleId="r"),
        ],
        [
            res(NETWORK, "131016-lgwan-network", **OWN),
            res(NETWORK, "131024-lgwan-network", **OTHER),
            res(ROLE, "131016-admin-role-assignment", groupId="g", projectId="131024-project-id", roleId="r"),
        ],
    ),
    "AUD-002": (
        [res(PROJECT, "131016-project", tags=tags()), res(CONTAINER, "131016-audit-log", **audit_log())],
        [res(PROJECT, "131016-project", tags=tags()), res(CONTAINER, "131016-mynumber-backup", **backup())],
    ),
    "ISO-010": (
        [
            res("wardcloud:tenant:Ward", "131016-ward"),
            res(PROJECT, "131016-project", tags=tags()),
            PROVIDER,
            dataclasses.replace(res(NETWORK, "131016-lgwan-network", **OWN), provider=PROVIDER.urn),
            dataclasses.replace(res(CONTAINER, "131016-lgwan-backup", **backup("lgwan")), provider=PROVIDER.urn),
        ],
        [
            res("wardcloud:tenant:Ward", "131016-ward"),
            PROVIDER,
            dataclasses.replace(res(NETWORK, "131016-lgwan-network", **OWN), provider=PROVIDER.urn),
            res(CONTAINER, "131016-lgwan-backup", **backup("lgwan")),  # the deployer's default provider
        ],
    ),
}


def _rules(tenant: Tenant, **changes: Any) -> Tenant:
    return dataclasses.replace(tenant, **changes)


def _with_rule(tenant: Tenant, segment: str, rule: SecurityRule) -> Tenant:
    group = SecurityGroup("extra", segment, (rule,))  # type: ignore[arg-type]
    return dataclasses.replace(tenant, security_groups=(*tenant.security_groups, group))


# rule ID -> how to break Chiyoda for it (Chiyoda as bundled passes every rule)
TENANT_CASES: dict[str, Callable[[Tenant], Tenant]] = {
    "NET-004": lambda t: _with_rule(t, "mynumber", SecurityRule("tcp", "lgwan", 443, 443)),
    "NET-005": lambda t: _rules(
        t, segments=tuple(dataclasses.replace(s, volume_encryption=False) for s in t.segments)
    ),
    "NET-009": lambda t: _with_rule(t, "lgwan", SecurityRule("tcp", "internet", 443, 443)),
    "NET-010": lambda t: _with_rule(t, "internet", SecurityRule("tcp", "0.0.0.0/0", 8080, 8080)),
    "BAK-001": lambda t: _rules(t, backup=BackupPolicy("0 17 * * *", 7, ("mynumber",))),
    "BAK-002": lambda t: _rules(t, backup=BackupPolicy("0 17 * * *", 35, ("lgwan",))),
    "BAK-006": lambda t: _rules(t, backup=BackupPolicy("0 17 * * 0", 35, ("mynumber",))),
    "AUD-001": lambda t: _rules(t, audit=AuditPolicy(3)),
    "AUD-006": lambda t: _rules(t, audit=AuditPolicy(7, ship_to_central=False)),
    "QUO-001": lambda t: _rules(t, quotas=dataclasses.replace(t.quotas, snapshots=None)),
    "QUO-002": lambda t: _rules(t, quotas=dataclasses.replace(t.quotas, cores=5000)),
}


# Live backup facts (`wardctl backup verify`): one clean ward, and per rule how to break it.
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
_CLEAN_BACKUPS = WardBackupFacts(
    "131016", NOW, "0 2 * * *", "Asia/Tokyo", 35, due_since=NOW - timedelta(hours=10),
    volumes=(VolumeFacts("vol-1", "db", "mynumber", NOW - timedelta(hours=9)),),
    backups=(BackupFacts("bak-1", "vol-1", "mynumber", "available", NOW - timedelta(hours=9), keep=True),
             BackupFacts("bak-0", "vol-1", "mynumber", "available", NOW - timedelta(days=30))),
    offsite=(OffsiteFacts("mynumber", "131016-mynumber-backup", True, 1, NOW - timedelta(minutes=5)),),
    vanished=(VanishedBackup("bak-x", "vol-1", NOW - timedelta(days=40)),),  # expired after retention: fine
    last_drill=NOW - timedelta(days=3),
)
BACKUP_CASES: dict[str, Callable[[WardBackupFacts], WardBackupFacts]] = {
    "BAK-101": lambda f: dataclasses.replace(
        f, volumes=(VolumeFacts("vol-1", "db", "mynumber", NOW - timedelta(days=2)),)),
    "BAK-102": lambda f: dataclasses.replace(
        f, backups=(*f.backups, BackupFacts("bak-9", "vol-1", "mynumber", "available", NOW - timedelta(days=50)))),
    "BAK-103": lambda f: dataclasses.replace(f, vanished=(VanishedBackup("bak-y", "vol-1", NOW - timedelta(days=2)),)),
    "BAK-104": lambda f: dataclasses.replace(
        f, offsite=(OffsiteFacts("mynumber", "131016-mynumber-backup", True, 3, NOW - timedelta(hours=5)),)),
    "BAK-105": lambda f: dataclasses.replace(f, last_drill=None),
    "BAK-106": lambda f: dataclasses.replace(
        f, backups=(*f.backups, BackupFacts("bak-e", "vol-1", "mynumber", "error", NOW - timedelta(hours=1)))),
}


@pytest.mark.parametrize("rule_id", sorted(BACKUP_CASES))
def test_backup_rule(rule_id: str, chiyoda: Tenant) -> None:
    assert rule_id not in _ids(evaluate_backups([_CLEAN_BACKUPS], [chiyoda], CONFIG, TODAY))
    broken = BACKUP_CASES[rule_id](_CLEAN_BACKUPS)
    violations = [v for v in evaluate_backups([broken], [chiyoda], CONFIG, TODAY).violations if v.policy == rule_id]
    # located in the ward's own file, at the field the promise is made in
    assert violations and all(v.ward == "131016" and v.file == chiyoda.source_file for v in violations)


def test_no_drill_is_due_before_a_volume_has_a_good_backup(chiyoda: Tenant) -> None:
    never = dataclasses.replace(_CLEAN_BACKUPS, last_drill=None, backups=(), vanished=(),
                                volumes=(VolumeFacts("vol-1", "db", "mynumber", None),))
    assert _ids(evaluate_backups([never], [chiyoda], CONFIG, TODAY)) == {"BAK-101"}
    empty = dataclasses.replace(never, volumes=())  # a ward with no volume at all: nothing to back up or drill
    assert not _ids(evaluate_backups([empty], [chiyoda], CONFIG, TODAY))


def test_backup_rules_are_a_kind_of_their_own_that_plan_and_policy_check_never_run(chiyoda: Tenant) -> None:
    assert {r.id for r in catalogue() if r.kind == "backup"} == set(BACKUP_CASES)
    assert not {v.policy for v in evaluate([chiyoda], {}, CONFIG, TODAY).violations} & set(BACKUP_CASES)


def _ids(report: Any) -> set[str]:
    return {v.policy for v in report.violations}


GRAPH_CASES.update(DETECTIVE_GRAPH_CASES)  # policies/rules/detective.py


def test_catalogue_has_at_least_25_rules_with_stable_ids() -> None:
    rules = list(catalogue())
    assert len(rules) >= 25
    assert all(re.fullmatch(r"(NET|ISO|BAK|AUD|QUO|TAG)-\d{3}", r.id) for r in rules)
    assert all(r.title and r.source and r.remediation for r in rules)
    assert [r.id for r in rules if r.id.startswith("NET")][:3] == ["NET-001", "NET-002", "NET-003"]


VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
ENCRYPTION = "pulumi-python:dynamic/blockstorage:VolumeTypeEncryption"
LUKS = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256, "control_location": "front-end"}


def _platform(logical: str, type_: str, **inputs: Any) -> Resource:
    return Resource(urn=f"urn:pulumi:platform::wardcloud::{type_}::{logical}", type=type_, name=logical, inputs=inputs)


# Rules over platform resources (no ward): (passing, failing, the resource the failure names)
PLATFORM_GRAPH_CASES: dict[str, tuple[list[Resource], list[Resource], str]] = {
    "NET-020": (
        [
            _platform("platform-encrypted-volume-type", VOLUME_TYPE, name="encrypted-luks", isPublic=False),
            _platform("platform-encrypted-volume-type-encryption", ENCRYPTION, volume_type_id="vt", **LUKS),
        ],
        [
            _platform("platform-encrypted-volume-type", VOLUME_TYPE, name="encrypted-luks", isPublic=False),
            _platform(
                "platform-encrypted-volume-type-encryption",
                ENCRYPTION,
                volume_type_id="vt",
                **(LUKS | {"key_size": 128}),
            ),
        ],
        "platform-encrypted-volume-type-encryption",
    ),
}


@pytest.mark.parametrize("rule_id", sorted(PLATFORM_GRAPH_CASES))
def test_platform_graph_rule(rule_id: str) -> None:
    passing, failing, culprit = PLATFORM_GRAPH_CASES[rule_id]
    assert rule_id not in _ids(evaluate((), {"platform": Graph("platform", tuple(passing))}, CONFIG, TODAY))
    found = evaluate((), {"platform": Graph("platform", tuple(failing))}, CONFIG, TODAY).violations
    assert [v.resource for v in found if v.policy == rule_id] == [culprit]


def test_an_encrypted_type_without_any_spec_is_reported_on_the_type() -> None:
    bare = _platform("platform-encrypted-volume-type", VOLUME_TYPE, name="encrypted-luks")
    found = evaluate((), {"platform": Graph("platform", (bare,))}, CONFIG, TODAY).violations
    assert [(v.policy, v.resource) for v in found] == [("NET-020", "platform-encrypted-volume-type")]
    assert "stored in clear" in found[0].message


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    covered = (set(RESOURCE_CASES) | set(GRAPH_CASES) | set(TENANT_CASES) | set(BACKUP_CASES)
               | set(PLATFORM_GRAPH_CASES))
    assert covered == {r.id for r in catalogue()}


def test_registering_a_rule_id_twice_is_refused() -> None:
    registry = catalogue()
    with pytest.raises(ValueError, match="defined twice"):
        registry.rule("NET-001", title="x", severity="low", source="x", remediation="x", kind="tenant")(
            lambda t, c: []
        )


@pytest.mark.parametrize("rule_id", sorted(RESOURCE_CASES))
def test_resource_rule(rule_id: str) -> None:
    passing, failing = RESOURCE_CASES[rule_id]
    rule = catalogue()[rule_id]
    assert list(rule.check(passing, CONFIG)) == []
    assert [f.resource for f in rule.check(failing, CONFIG)] == [failing.name]
    # through the engine, on a graph: the failing resource is reported under this rule and ward
    report = evaluate((), {"ward-131016": Graph("ward-131016", (failing,))}, CONFIG, TODAY)
    assert (rule_id, "131016", failing.name) in {(v.policy, v.ward, v.resource) for v in report.violations}
    clean = evaluate((), {"ward-131016": Graph("ward-131016", (passing,))}, CONFIG, TODAY)
    assert rule_id not in _ids(clean)


@pytest.mark.parametrize("rule_id", sorted(GRAPH_CASES))
def test_graph_rule(rule_id: str) -> None:
    passing, failing = GRAPH_CASES[rule_id]
    assert rule_id not in _ids(evaluate((), {"all": Graph("all", tuple(passing))}, CONFIG, TODAY))
    violations = [
        v
        for v in evaluate((), {"all": Graph("all", tuple(failing))}, CONFIG, TODAY).violations
        if v.policy == rule_id
    ]
    assert violations and all(v.ward in ("131016", "131024") for v in violations)


@pytest.mark.parametrize("rule_id", sorted(TENANT_CASES))
def test_tenant_rule(rule_id: str, chiyoda: Tenant) -> None:
    rule = catalogue()[rule_id]
    assert list(rule.check(chiyoda, CONFIG)) == []
    findings = list(rule.check(TENANT_CASES[rule_id](chiyoda), CONFIG))
    assert findings and all(f.message for f in findings)


def test_unknown_values_from_a_preview_are_not_judged() -> None:
    router = res(ROUTER, "131016-lgwan-router", tags=tags("lgwan"), externalNetworkId="[unknown]")
    assert list(catalogue()["NET-007"].check(router, CONFIG)) == []


def test_cidr_overlap_is_not_quadratic_and_finds_every_overlap() -> None:
    # 2,000 disjoint subnets of distinct wards plus two that overlap: exactly those two are reported
    subnets = [
        res(
            SUBNET,
            f"{100000 + i}-lgwan-subnet",
            cidr=f"10.{i // 256}.{i % 256}.0/24",
            tags=tags("lgwan", str(100000 + i)),
        )
        for i in range(2000)
    ]
    subnets.append(res(SUBNET, "199998-lgwan-subnet", cidr="10.0.5.0/25", tags=tags("lgwan", "199998")))
    subnets.append(res(SUBNET, "199999-lgwan-subnet", cidr="10.7.0.128/25", tags=tags("lgwan", "199999")))
    findings = list(catalogue()["ISO-003"].check(subnets, CONFIG))
    assert sorted(f.resource or "" for f in findings) == ["199998-lgwan-subnet", "199999-lgwan-subnet"]
