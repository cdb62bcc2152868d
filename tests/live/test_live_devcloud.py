"""Against the real loopback Keystone + Neutron (scripts/devcloud.sh): inventory, drift, usage, failures."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.live.devcloud import CLOUD, SEEDED_WARDS, TENANTS, DevCloud
from wardcloud.cli.main import cli

pytestmark = pytest.mark.live

SHIBUYA = SEEDED_WARDS[0]


def wardctl(dev_cloud: DevCloud, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env={**dev_cloud.env, **(env or {})})


def drift_json(dev_cloud: DevCloud, *wards: str) -> tuple[int, dict[str, Any]]:
    args = ["drift", "--cloud", CLOUD, "--format", "json"]
    for ward in wards or SEEDED_WARDS:
        args += ["--ward", ward]
    result = wardctl(dev_cloud, *args)
    assert result.exit_code in (0, 2), result.output
    return result.exit_code, json.loads(result.stdout)


def findings(report: dict[str, Any], kind: str, type_suffix: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["kind"] == kind and f["type"].endswith(type_suffix)]


def test_inventory_returns_the_seeded_wards_in_the_plan_shape(dev_cloud: DevCloud) -> None:
    from wardcloud.infra.render import render_stacks
    from wardcloud.live.inventory import COVERED_TYPES, WORKLOAD_TYPES
    from wardcloud.tenants.validate import load_tenants

    result = wardctl(dev_cloud, "inventory", "--cloud", CLOUD, "--format", "json")
    assert result.exit_code == 0, result.output
    stacks = json.loads(result.stdout)["stacks"]
    # what this dev cloud serves (Swift, Nova, Cinder are optional): the rest is said not read
    read = COVERED_TYPES - set(json.loads(result.stdout)["notRead"]) - WORKLOAD_TYPES
    declared = render_stacks(load_tenants(TENANTS), [f"ward-{SHIBUYA}"])[f"ward-{SHIBUYA}"]
    live = stacks[f"ward-{SHIBUYA}"]
    rule = "openstack:networking/secGroupRule:SecGroupRule"
    access = "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3"  # one grant, declared per segment
    want = {r.urn for r in declared if r.type in read and r.type not in (rule, access)}
    have = {
        r["urn"]
        for r in live["resources"]
        if r["type"] in read and r["type"] not in (rule, access) and not r["name"].endswith("-neutron-default-sg")
    }
    assert want == have  # same URNs: same stack, parent chain, type token and logical name
    assert declared.resources[0].urn == live["resources"][0]["urn"]  # the ward component they hang under
    # rules are named by content live (the declared slug names a segment, the cloud knows a CIDR)
    assert sum(r.type == rule for r in declared) == sum(r["type"] == rule for r in live["resources"])
    network = next(r for r in live["resources"] if r["name"] == f"{SHIBUYA}-internet-network")
    assert network["inputs"]["shared"] is False
    assert set(network["inputs"]["tags"]) == {f"ward:{SHIBUYA}", "segment:internet"}
    assert live["ids"][f"{SHIBUYA}-internet-network"] == dev_cloud.ids[f"{SHIBUYA}-internet-network"]
    router = next(r for r in live["resources"] if r["name"] == f"{SHIBUYA}-internet-router")
    assert router["inputs"]["externalNetworkId"] == dev_cloud.ids["platform-egress-network"]
    quota = next(r for r in live["resources"] if r["name"] == f"{SHIBUYA}-network-quota")
    assert quota["inputs"]["securityGroupRule"] == 100
    text = wardctl(dev_cloud, "inventory", "--cloud", CLOUD)
    assert text.exit_code == 0, text.output
    assert f"ward-{SHIBUYA} (" in text.stdout
    network_line = next(line for line in text.stdout.splitlines() if f"{SHIBUYA}-internet-network " in line)
    assert dev_cloud.ids[f"{SHIBUYA}-internet-network"] in network_line


def test_drift_is_clean_right_after_seeding(dev_cloud: DevCloud) -> None:
    code, report = drift_json(dev_cloud)
    assert (code, report["findings"], report["violations"]) == (0, [], [])
    assert report["policiesRun"] and "NET-011" not in report["policiesNotRun"]
    assert report["stacks"] == [f"ward-{w}" for w in SEEDED_WARDS]
    # groups, role assignments, quotas read and compared; so the policies over them ran
    assert "ISO-004" not in report["policiesNotRun"]
    container = "openstack:objectstorage/container:Container"
    if dev_cloud.connection.has_service("object-store"):
        assert container not in report["notCompared"]
        assert {"AUD-002", "AUD-005", "BAK-003"}.isdisjoint(report["policiesNotRun"])
    else:  # said, with the reason, never reported missing
        assert "not in the service catalog" in report["notComparedWhy"][container]
        assert "AUD-002" in report["policiesNotRun"]
    # what this dev cloud does not run (Nova, Cinder, Swift are optional) is not compared, and said why;
    # with all of them, nothing a ward stack declares is left uncompared
    for type_ in report["notCompared"]:
        assert "is not in the service catalog" in report["notComparedWhy"][type_], type_
    services = {"compute": "Nova", "block-storage": "Cinder", "object-store": "Swift"}
    running = {name for kind, name in services.items() if dev_cloud.connection.has_service(kind)}
    if running == set(services.values()):
        assert report["notCompared"] == {}


def test_drift_reports_a_hand_added_ssh_rule_open_to_the_world(dev_cloud: DevCloud) -> None:
    network = dev_cloud.connection.network
    rule = network.create_security_group_rule(
        security_group_id=dev_cloud.ids[f"{SHIBUYA}-internet-sg-internet-web"],
        direction="ingress",
        ether_type="IPv4",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="0.0.0.0/0",
    )
    try:
        code, report = drift_json(dev_cloud)
        result = wardctl(dev_cloud, "drift", "--cloud", CLOUD, "--ward", SHIBUYA)
    finally:
        network.delete_security_group_rule(rule)
    assert code == 2
    [added] = findings(report, "unexpected", "SecGroupRule")
    assert (added["ward"], added["liveId"]) == (SHIBUYA, rule.id)
    assert added["name"] == f"{SHIBUYA}-internet-sg-internet-web-in-tcp-22-0.0.0.0_0"
    assert result.exit_code == 2 and "unexpected" in result.stdout and "in-tcp-22-0.0.0.0_0" in result.stdout
    [violation] = [v for v in report["violations"] if v["resource"] == added["name"]]
    assert (violation["policyId"], violation["severity"], violation["ward"]) == (
        "NET-011",
        "critical",
        SHIBUYA,
    )
    assert "NET-011" in result.stdout  # the text report names the policy too


def test_drift_reports_a_network_shared_through_an_rbac_grant(dev_cloud: DevCloud) -> None:
    network = dev_cloud.connection.network
    net_id = dev_cloud.ids[f"{SHIBUYA}-lgwan-network"]
    grant = network.create_rbac_policy(
        object_type="network",
        object_id=net_id,
        action="access_as_shared",
        target_project_id=dev_cloud.ids[f"{SEEDED_WARDS[1]}-project"],
    )
    try:
        code, report = drift_json(dev_cloud)
    finally:
        network.delete_rbac_policy(grant)
    assert code == 2
    [changed] = findings(report, "changed", "Network")
    assert changed["name"] == f"{SHIBUYA}-lgwan-network"
    assert {"field": "shared", "declared": False, "live": True} in changed["changes"]
    [rbac] = findings(report, "unexpected", "RbacPolicyV2")
    assert (rbac["ward"], rbac["liveId"]) == (SHIBUYA, grant.id)
    assert {(v["policyId"], v["resource"]) for v in report["violations"]} == {
        ("ISO-001", changed["name"]),  # a shared ward network
        ("ISO-002", rbac["name"]),  # an RBAC grant of a ward network to another project
    }
    assert drift_json(dev_cloud)[0] == 0  # revoked: shared again False


def test_drift_reports_a_deleted_subnet_missing(dev_cloud: DevCloud) -> None:
    from tests.live import seed
    from wardcloud.infra.render import render_stacks
    from wardcloud.tenants.validate import load_tenants

    network = dev_cloud.connection.network
    name = f"{SHIBUYA}-mynumber-subnet"  # unrouted segment: no router interface holds it
    network.delete_subnet(dev_cloud.ids[name])
    try:
        code, report = drift_json(dev_cloud)
    finally:
        graph = render_stacks(load_tenants(TENANTS), [f"ward-{SHIBUYA}"])[f"ward-{SHIBUYA}"]
        subnet = next(r for r in graph if r.name == name)
        new_id = seed.create(dev_cloud.connection, subnet, dev_cloud.ids)  # put it back for the other tests
        dev_cloud.ids[name] = new_id
    assert code == 2
    assert [(f["kind"], f["name"]) for f in report["findings"]] == [("missing", name)]


def test_cost_usage_writes_neutron_rows_cost_allocation_reads(dev_cloud: DevCloud, tmp_path: Path) -> None:
    swift = dev_cloud.connection.has_service("object-store")
    # the accounts may hold bytes already (the backup module's Cinder backups): judge what this test adds
    before = tmp_path / "before.csv"
    assert wardctl(dev_cloud, "cost", "usage", "--cloud", CLOUD, "--period", this_month(), "--out",
                   str(before)).exit_code == 0
    held = {(r["SubAccountId"], r["ConsumedUnit"]): int(float(r["ConsumedQuantity"]))
            for r in csv.DictReader(before.open())}
    if swift:  # 1234 bytes in Shibuya's account, written as the reseller admin devcloud.sh makes `admin`
        store = dev_cloud.connection.object_store
        own = dev_cloud.connection.current_project_id
        account = store.get_endpoint().replace(f"AUTH_{own}", f"AUTH_{dev_cloud.ids[f'{SHIBUYA}-project']}")
        assert store.put(f"{account}/{SHIBUYA}-internet-backup").status_code in (201, 202)
        assert store.put(f"{account}/{SHIBUYA}-internet-backup/x.bin", data=b"x" * 1234).status_code == 201
    out = tmp_path / "usage.csv"
    result = wardctl(dev_cloud, "cost", "usage", "--cloud", CLOUD, "--period", this_month(), "--out", str(out))
    assert result.exit_code == 0, result.output
    # a service the dev cloud does not run is said, not zero
    assert ("skipped: compute (Nova)" in result.stderr) is not dev_cloud.connection.has_service("compute")
    assert ("skipped: object-store (Swift)" in result.stderr) is not swift
    rows = list(csv.DictReader(out.open()))
    by_unit = {(r["SubAccountId"], r["ConsumedUnit"]): r["ConsumedQuantity"] for r in rows}
    assert by_unit[(SHIBUYA, "Routers")] == "2"  # internet and lgwan; mynumber has none
    assert by_unit[(SEEDED_WARDS[1], "Floating IPs")] == "0"
    assert {r["ServiceName"] for r in rows} - {"Nova", "Cinder"} == ({"Neutron", "Swift"} if swift else {"Neutron"})
    assert {r["x_Kind"] for r in rows if r["ServiceName"] == "Neutron"} == {"gauge"}
    if swift:
        assert int(by_unit[(SHIBUYA, "Bytes")]) - held.get((SHIBUYA, "Bytes"), 0) == 1234
        assert int(by_unit[(SEEDED_WARDS[1], "Bytes")]) == held.get((SEEDED_WARDS[1], "Bytes"), 0)

    # the platform's network bill, split by each ward's routers as metered above
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "currency: JPY\npools:\n  - id: network\n    match: {ServiceName: [network]}\n"
        "    split: [{driver: usage, unit: Routers, weight: 1.0}]\n"
    )
    bill = tmp_path / "bill.csv"
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    bill.write_text(
        "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ServiceName,ServiceCategory,"
        f"SubAccountId\n3000,JPY,{start:%Y-%m-%dT%H:%M:%SZ},{end:%Y-%m-%dT%H:%M:%SZ},network,Networking,platform\n"
    )
    result = wardctl(
        dev_cloud,
        "cost",
        "allocate",
        "--bill",
        str(bill),
        "--rules",
        str(rules),
        "--usage",
        str(out),
        "--period",
        this_month(),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    routers = {ward: int(by_unit[(ward, "Routers")]) for ward in SEEDED_WARDS}
    charged = {w["code"]: w["total"] for w in json.loads(result.stdout)["wards"] if w["code"] in SEEDED_WARDS}
    assert charged == {ward: 3000 * n // sum(routers.values()) for ward, n in routers.items()}, charged


def this_month() -> str:
    """The current period: Neutron's counts and Swift's bytes are gauges, written for no other."""
    return datetime.now(UTC).strftime("%Y-%m")


def test_a_past_month_gets_no_gauge_stamped_onto_it(dev_cloud: DevCloud, tmp_path: Path) -> None:
    out = tmp_path / "usage.csv"
    result = wardctl(dev_cloud, "cost", "usage", "--cloud", CLOUD, "--period", "2023-07", "--out", str(out))
    if dev_cloud.connection.has_service("compute"):  # Nova meters hours over any period: those rows only
        assert result.exit_code == 0, result.output
        assert {r["ServiceName"] for r in csv.DictReader(out.open())} == {"Nova"}
        assert "skipped: network (Neutron): Ports, Floating IPs, Routers: a gauge" in result.stderr
    else:
        assert (result.exit_code, result.stdout) == (1, "")
        [line] = result.stderr.splitlines()
        assert "LIVE031" in line and "2023-07" in line and "Ports, Floating IPs, Routers" in line, line
        assert not out.exists()


def children_of(parent: int) -> list[int]:
    """PIDs whose parent is `parent`, from /proc (uwsgi's workers under its master)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@contextmanager
def keystone_stopped(dev_cloud: DevCloud) -> Iterator[None]:
    """SIGSTOP Keystone's uwsgi master and workers (by the PIDs devcloud.sh recorded), SIGCONT after."""
    pid_file = dev_cloud.clouds_yaml.parent / "pids" / "keystone.pid"
    if not pid_file.is_file():
        pytest.skip(f"no {pid_file}: this dev cloud was not started by scripts/devcloud.sh")
    master = int(pid_file.read_text())
    pids = [master, *children_of(master)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def test_every_command_fails_in_one_line_when_keystone_is_stopped(dev_cloud: DevCloud, tmp_path: Path) -> None:
    out = tmp_path / "usage.csv"
    commands = [
        ["inventory"],
        ["drift", "--ward", SHIBUYA],
        ["cost", "usage", "--period", this_month(), "--out", str(out)],
    ]
    with keystone_stopped(dev_cloud):
        results = [wardctl(dev_cloud, *command, "--cloud", CLOUD, "--timeout", "1") for command in commands]
    for command, result in zip(commands, results, strict=True):
        assert result.exit_code == 1, (command, result.output)
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith(f"cloud {CLOUD}: LIVE003 identity authenticate: timed out"), line
    assert not out.exists()


def test_every_command_fails_in_one_line_on_a_wrong_port_or_password(dev_cloud: DevCloud, tmp_path: Path) -> None:
    config = dev_cloud.clouds_yaml.read_text()
    broken = tmp_path / "clouds.yaml"
    broken.write_text(
        # whatever port this dev cloud's Keystone has (DEVCLOUD_KEYSTONE_PORT), one where nothing listens
        re.sub(
            r"(auth_url:\s*https?://[^:/\s]+:)\d+", r"\g<1>1", config.replace("wardcloud-dev:", "wardcloud-dev-down:")
        )
        + config.replace("clouds:\n", "")
        .replace("wardcloud-dev:", "wardcloud-dev-badpw:")
        .replace("password: secret", "password: not-the-password")
    )
    env = {"OS_CLIENT_CONFIG_FILE": str(broken)}
    for cloud, code, text in [
        ("wardcloud-dev-down", "LIVE002", "connection refused"),
        ("wardcloud-dev-badpw", "LIVE004", "authentication failed (401)"),
    ]:
        for command in (
            ["inventory"],
            ["drift", "--ward", SHIBUYA],
            ["cost", "usage", "--period", this_month(), "--out", str(tmp_path / "u.csv")],
        ):
            result = wardctl(dev_cloud, *command, "--cloud", cloud, env=env)
            assert result.exit_code == 1, result.output
            [line] = result.stderr.splitlines()
            assert line.startswith(f"cloud {cloud}: {code} identity authenticate:") and text in line, line
    assert not (tmp_path / "u.csv").exists()
