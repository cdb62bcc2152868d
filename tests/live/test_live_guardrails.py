"""The prevent layer against the real dev cloud: `wardctl guardrails render` installed into the dev cloud's
policy directory (what an operator does), then real users holding `ward-admin` / `ward-mynumber-operator`
on a seeded ward's project: every forbidden call is refused with 403, every allowed call succeeds, and the
platform admin is unaffected."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.live.devcloud import SEEDED_WARDS, DevCloud
from wardcloud.cli.main import cli

pytestmark = pytest.mark.live

SHIBUYA, CHIYODA = SEEDED_WARDS
SERVICES = ("keystone", "neutron", "nova", "cinder")


@dataclass(frozen=True)
class Guarded:
    """The dev cloud with the guardrails in force, and connections as each role."""

    admin: Any
    ward_admin: Any
    operator: Any
    ids: dict[str, str]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _connect_as(admin: Any, username: str, password: str, domain_id: str, project_id: str) -> Any:
    from openstack.connection import Connection

    config = admin.config.config
    return Connection(
        auth_type="password",
        auth={
            "auth_url": config["auth"]["auth_url"],
            "username": username,
            "password": password,
            "user_domain_id": domain_id,
            "project_id": project_id,
        },
        region_name=config.get("region_name"),
        interface=config.get("interface"),
    )


def _install(policy_dir: Path) -> dict[Path, str | None]:
    """Render the guardrails into the dev cloud's policy directory; returns what was there before."""
    before = {policy_dir / f"{s}.yaml": None for s in SERVICES}
    for path in before:
        if path.is_file():
            before[path] = path.read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["guardrails", "render", "--out", str(policy_dir)])
    assert result.exit_code == 0, result.output
    time.sleep(1.1)  # oslo.policy reloads a file whose mtime changed; give coarse mtimes a tick
    return before


def _restore(before: dict[Path, str | None]) -> None:
    for path, text in before.items():
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def guarded(dev_cloud: DevCloud) -> Iterator[Guarded]:
    policy_dir = dev_cloud.clouds_yaml.parent / "policy"
    if not policy_dir.is_dir():
        pytest.skip(f"this dev cloud loads no policy files ({policy_dir} absent): use scripts/devcloud.sh")
    admin, ids = dev_cloud.connection, dev_cloud.ids
    identity = admin.identity
    domain = ids["consortium-domain"]
    password = uuid.uuid4().hex
    users = []
    before = _install(policy_dir)
    try:
        groups = (("ward-admin", f"{SHIBUYA}-admin-group"), ("operator", f"{SHIBUYA}-mynumber-operators-group"))
        for name, group in groups:
            user = identity.create_user(name=_unique(f"{SHIBUYA}-{name}"), password=password, domain_id=domain)
            identity.add_user_to_group(user, ids[group])  # the ward's group holds the role on its project
            users.append(user)
        project = ids[f"{SHIBUYA}-project"]
        yield Guarded(
            admin,
            _connect_as(admin, users[0].name, password, domain, project),
            _connect_as(admin, users[1].name, password, domain, project),
            ids,
        )
    finally:
        _restore(before)
        for user in users:
            identity.delete_user(user, ignore_missing=True)


def _refused(call: Callable[[], Any]) -> int:
    from openstack import exceptions

    with pytest.raises(exceptions.HttpException) as refused:
        call()
    return int(refused.value.status_code or 0)


def _forbidden_neutron(g: Guarded) -> dict[str, Callable[[], Any]]:
    net, ids = g.ward_admin.network, g.ids
    router = ids[f"{SHIBUYA}-internet-router"]
    return {
        "create a router": lambda: net.create_router(name=f"{SHIBUYA}-sneaky"),
        "rename the ward's router": lambda: net.update_router(router, name=f"{SHIBUYA}-renamed"),
        "set a router's gateway": lambda: net.update_router(
            router, external_gateway_info={"network_id": ids["platform-lgwan-gateway-network"]}
        ),
        "route the mynumber subnet": lambda: net.add_interface_to_router(
            router, subnet=ids[f"{SHIBUYA}-mynumber-subnet"]
        ),
        "a port on the mynumber network": lambda: net.create_port(network_id=ids[f"{SHIBUYA}-mynumber-network"]),
        "share a network by RBAC": lambda: net.create_rbac_policy(
            object_type="network",
            object_id=ids[f"{SHIBUYA}-lgwan-network"],
            action="access_as_shared",
            target_project_id=ids["platform-renkei-project"],
        ),
        "rename the mynumber network": lambda: net.update_network(
            ids[f"{SHIBUYA}-mynumber-network"], name=f"{SHIBUYA}-not-mynumber"
        ),
        "give the mynumber subnet a gateway": lambda: net.update_subnet(
            ids[f"{SHIBUYA}-mynumber-subnet"], gateway_ip=None
        ),
        "turn port security off": lambda: net.create_port(
            network_id=ids[f"{SHIBUYA}-internet-network"], port_security_enabled=False
        ),
    }


def test_ward_admin_is_refused_every_forbidden_network_call(guarded: Guarded) -> None:
    codes = {what: _refused(call) for what, call in _forbidden_neutron(guarded).items()}
    assert codes == dict.fromkeys(codes, 403)
    # another ward's network is not even visible: Neutron answers 404 before any policy
    other = guarded.ids[f"{CHIYODA}-internet-network"]
    assert _refused(lambda: guarded.ward_admin.network.create_port(network_id=other)) in (403, 404)
    assert not list(guarded.admin.network.routers(name=f"{SHIBUYA}-sneaky"))


def test_ward_admin_is_refused_every_forbidden_identity_call(guarded: Guarded) -> None:
    identity, ids = guarded.ward_admin.identity, guarded.ids
    codes = {
        "see another ward's project": _refused(lambda: identity.get_project(ids[f"{CHIYODA}-project"])),
        # (openstacksdk's assign_* helpers return False instead of raising: the raw call shows the 403)
        "grant a role": identity.put(
            f"/projects/{ids[f'{CHIYODA}-project']}/groups/{ids[f'{SHIBUYA}-admin-group']}"
            f"/roles/{ids['platform-ward-admin-role']}"
        ).status_code,
        "create a project": _refused(
            lambda: identity.create_project(name=_unique("sneaky"), domain_id=ids["consortium-domain"])
        ),
    }
    assert codes == dict.fromkeys(codes, 403)


def test_ward_admin_runs_its_own_ports_on_the_internet_and_lgwan_networks(guarded: Guarded) -> None:
    net, ids = guarded.ward_admin.network, guarded.ids
    assert identity_sees_own_project(guarded)
    for segment in ("internet", "lgwan"):
        port = net.create_port(network_id=ids[f"{SHIBUYA}-{segment}-network"], name=_unique(f"{SHIBUYA}-{segment}"))
        assert port.project_id == ids[f"{SHIBUYA}-project"]
        net.update_port(port, name=f"{port.name}-renamed")
        net.delete_port(port)


def identity_sees_own_project(g: Guarded) -> bool:
    return str(g.ward_admin.identity.get_project(g.ids[f"{SHIBUYA}-project"]).id) == g.ids[f"{SHIBUYA}-project"]


def test_only_the_mynumber_operators_put_ports_on_the_mynumber_network(guarded: Guarded) -> None:
    ids = guarded.ids
    port = guarded.operator.network.create_port(
        network_id=ids[f"{SHIBUYA}-mynumber-network"], name=_unique(f"{SHIBUYA}-mynumber")
    )
    try:
        assert _refused(lambda: guarded.ward_admin.network.delete_port(port)) == 403
        internet = ids[f"{SHIBUYA}-internet-network"]
        assert _refused(lambda: guarded.operator.network.create_port(network_id=internet)) == 403
        # a floating IP onto a mynumber port: the operators hold none, the ward admin reaches no router from it
        egress = ids["platform-egress-network"]
        assert _refused(lambda: guarded.operator.network.create_ip(floating_network_id=egress, port_id=port.id)) == 403
        status = _refused(lambda: guarded.ward_admin.network.create_ip(floating_network_id=egress, port_id=port.id))
        assert 400 <= status < 500
        assert not list(guarded.admin.network.ips(port_id=port.id))
    finally:
        guarded.operator.network.delete_port(port)


def test_the_platform_admin_is_unaffected(guarded: Guarded) -> None:
    net, ids = guarded.admin.network, guarded.ids
    router = net.create_router(name=_unique("platform-probe"))  # in the admin's project: the ward's quota is full
    net.update_router(router, name=f"{router.name}-renamed")
    net.delete_router(router)
    rbac = net.create_rbac_policy(
        object_type="network",
        object_id=ids[f"{SHIBUYA}-lgwan-network"],
        action="access_as_shared",
        target_project_id=ids["platform-renkei-project"],
    )
    net.delete_rbac_policy(rbac)
    port = net.create_port(network_id=ids[f"{SHIBUYA}-mynumber-network"], project_id=ids[f"{SHIBUYA}-project"])
    net.delete_port(port)


def _needs(g: Guarded, service_type: str) -> None:
    if not g.admin.has_service(service_type):
        pytest.skip(f"the dev cloud runs no {service_type}")


def test_ward_admin_runs_its_own_volumes_and_cannot_touch_volume_types(guarded: Guarded) -> None:
    _needs(guarded, "block-storage")
    storage = guarded.ward_admin.block_storage
    volume = storage.create_volume(size=1, name=_unique(f"{SHIBUYA}-vol"))
    try:
        storage.wait_for_status(volume, "available", failures=["error"], wait=120)
        # the owner is shown to the admin only (os-vol-tenant-attr): the volume is in the ward's own project
        assert guarded.admin.block_storage.get_volume(volume.id).project_id == guarded.ids[f"{SHIBUYA}-project"]
    finally:
        storage.delete_volume(volume)
    assert _refused(lambda: storage.create_type(name=_unique("sneaky-type"))) == 403


def test_ward_admin_runs_its_own_servers_but_never_on_an_external_network(guarded: Guarded) -> None:
    _needs(guarded, "compute")
    compute, ids = guarded.ward_admin.compute, guarded.ids
    flavor = compute.find_flavor("m1.tiny", ignore_missing=False)
    image = guarded.ward_admin.image.find_image("devcloud-tiny", ignore_missing=False)
    server = compute.create_server(
        name=_unique(f"{SHIBUYA}-vm"), flavor_id=flavor.id, image_id=image.id,
        networks=[{"uuid": ids[f"{SHIBUYA}-internet-network"]}],
    )
    try:
        compute.wait_for_server(server, status="ACTIVE", wait=180)
    finally:
        compute.delete_server(server)
        compute.wait_for_delete(server, wait=120)
    # a server on the mynumber network needs a port there, which Nova asks Neutron for with the ward
    # admin's token at build time: refused, so the server ends in ERROR, never ACTIVE
    refused = compute.create_server(
        name=_unique(f"{SHIBUYA}-vm"), flavor_id=flavor.id, image_id=image.id,
        networks=[{"uuid": ids[f"{SHIBUYA}-mynumber-network"]}],
    )
    try:
        compute.wait_for_server(refused, status="ERROR", failures=["ACTIVE"], wait=180)
    finally:
        compute.delete_server(refused)
        compute.wait_for_delete(refused, wait=120)
