"""Record tests/fixtures/live/*.json from a real dev cloud: build the scenario the fixtures describe, GET the raw
API bodies openstacksdk parses, rewrite the per-run ids to stable ones, write them pretty-printed, clean up.

    python -m tests.live.record_fixtures --cloud wardcloud-dev --out tests/fixtures/live

The scenario (tests/fixtures/live/README.md): ward 131130 as tests/live/seed.py seeds it (reused when the
cloud already holds it, else seeded here and wiped after); a hand-made port on its mynumber subnet attached to
its internet router; server `web1` (flavor `wardcloud.test.2c`) with a port on internet (Neutron's `default`
group) and one on mynumber; a floating IP on that mynumber port; the Nova quota the tenant file declares and
a Cinder quota changed by hand (gigabytes 2000, 4000 declared); the platform's private `encrypted-luks` type
with its LUKS spec, granted to the ward and to a project outside the consortium; volumes `131130-db-data`
(30 GB, encrypted, attached, `segment: mynumber`), `131130-scratch` (1 GB) and another project's; a backup
of the scratch volume. Everything the recorder makes or changes is undone in reverse order, failure or not.

Bodies are asked with the microversion openstacksdk negotiates for the resource class that parses them, on
the same paths and queries (ports only: filtered to the scenario's three networks, so the seeded wards'
other segments stay out). Not a test: the cloud is changed, so run it only against a throw-away dev cloud.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.live import seed
from tests.live.devcloud import CLOUD, TENANTS

WARD = "131130"
PROJECT_NAME = f"{WARD}-shibuya"
FLAVOR = {"name": "wardcloud.test.2c", "vcpus": 2, "ram": 2048, "disk": 1}  # as test_live_detective's
TYPE_NAME = "encrypted-luks"
LUKS = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256, "control_location": "front-end"}
COMPUTE_QUOTA = {"instances": 20, "cores": 80, "ram": 163840}  # what tenants/wards/131130-shibuya.yaml declares
VOLUME_GIGABYTES = 2000  # by hand: the tenant file declares 4000, so drift has one change to find
FLOATING_ADDRESS = "203.0.113.50"  # in the dev cloud's egress subnet (203.0.113.0/24)
FIXED = {"router": "10.13.0.20", "db": "10.13.0.21", "internet": "10.13.32.15"}

# real id → the stable one the tests name (tests/live/test_live_records.py, test_live_usage.py)
PROJECT = "b70958a5f1414d66b8e0ba083e9c2fc0"
SERVER = "1e5d6b6c-6b8c-4b8a-9a52-3c0c1f0f6a01"
STABLE_PORTS = {
    "router": "0a1b2c3d-0000-4000-8000-000000000001",  # the hand-made port attached to the internet router
    "internet": "0a1b2c3d-0000-4000-8000-000000000002",  # web1's port on internet
    "db": "0a1b2c3d-0000-4000-8000-000000000003",  # web1's port on mynumber, the floating IP's
    "fip": "0a1b2c3d-0000-4000-8000-000000000004",  # Neutron's port for the floating IP
}
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b")


def say(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {message}", file=sys.stderr, flush=True)


def wait(what: str, check: Callable[[], bool], seconds: int = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(2)


class Undo(ExitStack):
    """Undo steps in reverse order; one that fails is reported and the rest still run."""

    failed = 0

    def callback(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def step() -> None:
            say(f"undo: {getattr(fn, '__name__', fn)}")
            try:
                fn(*args, **kwargs)
            except Exception as exc:  # keep undoing: a half-cleaned dev cloud is worse than a noisy one
                self.failed += 1
                say(f"  undo failed: {exc}")

        return super().callback(step)


class Scenario:
    """What the recorder made on the cloud, the undo of each (an ExitStack), and the real → stable id map."""

    def __init__(self, connection: Any, undo: Undo) -> None:
        self.c = connection
        self.undo = undo
        self.stable: dict[str, str] = {}
        self.versions: list[str] = []  # what was asked, for the README
        self.volumes: list[Any] = []  # deleted by one undo step, registered before any server (delete_volumes)

    def name(self, real: Any, stable: str) -> None:
        self.stable[str(real)] = stable

    def build(self) -> None:
        c, undo = self.c, self.undo
        identity, network, compute, storage = c.identity, c.network, c.compute, c.block_storage
        project = self.ward_project()
        self.project = project.id
        self.name(project.id, PROJECT)
        self.name(c.current_project_id, "0000000000000000000000000000adm1")
        self.name(c.current_user_id, "0000000000000000000000000000usr1")
        for other in identity.projects(domain_id=project.domain_id):  # the seeded others (type grants name them)
            if other.id != project.id:
                self.name(other.id, other.name.replace("-", "").rjust(32, "0")[-32:])

        def one(kind: str, items: Any) -> Any:
            [item] = list(items)
            return item

        nets = {s: one(s, network.networks(name=f"{WARD}-{s}")) for s in ("mynumber", "internet")}
        nets["egress"] = one("egress", network.networks(name="platform-egress-network"))
        subs = {s: one(s, network.subnets(network_id=n.id)) for s, n in nets.items()}
        for segment in nets:
            self.name(nets[segment].id, f"net-{segment}")
            self.name(subs[segment].id, f"sub-{segment}")
        self.networks = [nets[s].id for s in ("mynumber", "internet", "egress")]
        router = one("router", network.routers(name=f"{WARD}-internet"))
        self.name(router.id, "router-internet")
        app = one("app", network.security_groups(name=f"{WARD}-mynumber-app", project_id=project.id))
        default = one("default", network.security_groups(name="default", project_id=project.id))
        self.name(app.id, "sg-mynumber-app")
        self.name(default.id, "sg-default")

        say("ward found: networks, router, groups")
        # the encrypted type (the platform's, seeded), its LUKS spec, a grant outside the consortium
        types = {t.name: t for t in storage.types(is_public="None")}
        luks, plain = types[TYPE_NAME], types["__DEFAULT__"]
        self.luks = luks.id
        self.name(luks.id, "vt-luks")
        self.name(plain.id, "vt-default")
        spec = storage.get_type_encryption(luks.id)
        if not getattr(spec, "provider", None):
            spec = storage.create_type_encryption(luks.id, **LUKS)
            undo.callback(storage.delete_type_encryption, encryption=spec, volume_type=luks.id)
        self.name(spec.encryption_id, "enc-1")
        outsider = identity.create_project(name="record-fixtures-outsider", domain_id="default")
        undo.callback(identity.delete_project, outsider, ignore_missing=True)
        self.name(outsider.id, "0000000000000000000000000000ot24")
        storage.add_type_access(luks.id, outsider.id)
        undo.callback(storage.remove_type_access, luks.id, outsider.id)

        # quotas: Nova's as declared, Cinder's gigabytes changed by hand; the former values come back after
        nova = compute.get_quota_set(project.id)
        undo.callback(compute.update_quota_set, project.id, **{k: getattr(nova, k) for k in COMPUTE_QUOTA})
        compute.update_quota_set(project.id, **COMPUTE_QUOTA)
        cinder = storage.get_quota_set(project.id)
        undo.callback(storage.update_quota_set, project.id, gigabytes=cinder.gigabytes)
        storage.update_quota_set(project.id, gigabytes=VOLUME_GIGABYTES)

        # the hand-made mynumber port, attached to the internet router (the subnet has no gateway)
        hand = self.port("router", nets["mynumber"], subs["mynumber"], app, name="")
        network.add_interface_to_router(router, port_id=hand.id)
        undo.callback(network.remove_interface_from_router, router, port_id=hand.id)

        say("hand-made router port attached")
        # web1, as the ward's (a token scoped to its project through a role held only while recording)
        ward = self.as_ward(project)
        internet = self.port("internet", nets["internet"], subs["internet"], default, name="")
        db = self.port("db", nets["mynumber"], subs["mynumber"], app, name="db")
        flavor = compute.find_flavor(FLAVOR["name"]) or compute.create_flavor(**FLAVOR)
        image = c.image.find_image("devcloud-tiny", ignore_missing=False)
        undo.callback(self.delete_volumes)
        # a server that ran and was deleted: Nova's usage has a terminated row for it
        batch = ward.compute.create_server(
            name=f"{WARD}-batch",
            flavor_id=compute.find_flavor("m1.tiny", ignore_missing=False).id,
            image_id=image.id,
            networks=[{"uuid": nets["internet"].id}],
        )
        ward.compute.wait_for_server(batch, wait=180)
        self.delete_server(batch)
        self.name(batch.id, "1e5d6b6c-6b8c-4b8a-9a52-3c0c1f0f6a02")
        say("batch ran and was deleted")
        server = ward.compute.create_server(
            name="web1", flavor_id=flavor.id, image_id=image.id, networks=[{"port": internet.id}, {"port": db.id}]
        )
        undo.callback(self.delete_server, server)
        server = ward.compute.wait_for_server(server, wait=180)
        self.name(server.id, SERVER)
        say("web1 active")

        address = network.create_ip(
            floating_network_id=nets["egress"].id,
            floating_ip_address=FLOATING_ADDRESS,
            port_id=db.id,
            project_id=project.id,
        )
        undo.callback(network.delete_ip, address, ignore_missing=True)
        self.name(address.id, "fip-1")
        [fip_port] = network.ports(device_id=address.id, device_owner="network:floatingip")
        self.name(fip_port.id, STABLE_PORTS["fip"])

        # volumes: the ward's encrypted, attached one and a scratch one; another project's; a backup
        ward_storage = ward.block_storage
        data = self.volume(
            ward_storage,
            "5aa119a8-d25b-45a7-8d1b-88e127885635",
            name=f"{WARD}-db-data",
            size=30,
            volume_type=TYPE_NAME,
            metadata={"segment": "mynumber"},
        )
        scratch = self.volume(ward_storage, "6bb119a8-d25b-45a7-8d1b-88e127885636", name=f"{WARD}-scratch", size=1)
        self.volume(storage, "7cc119a8-d25b-45a7-8d1b-88e127885637", name="other-projects", size=1)
        say("volumes available")
        ward.compute.create_volume_attachment(server, volume_id=data.id)
        wait("attached", lambda: storage.get_volume(data.id).status == "in-use")
        for found in storage.get_volume(data.id).attachments:
            self.name(found["attachment_id"], "a1b2c3d4-0000-4000-8000-000000000001")
        say("db-data attached")
        backup = ward_storage.create_backup(volume_id=scratch.id, name=f"{WARD}-scratch-nightly")
        undo.callback(self.delete_backup, backup)
        storage.wait_for_status(backup, "available", failures=["error"], interval=2, wait=300)
        self.name(backup.id, "b1b119a8-d25b-45a7-8d1b-88e127885635")
        say("backup available")

    def ward_project(self) -> Any:
        """The seeded ward's project; seeded here (platform and this ward), and wiped after, when absent."""
        identity = self.c.identity
        domains = list(identity.projects(is_domain=True, name="wardcloud"))
        found = [p for d in domains for p in identity.projects(domain_id=d.id, name=PROJECT_NAME)]
        if not found:
            from wardcloud.infra.render import render_stacks
            from wardcloud.tenants.validate import load_tenants

            graphs = render_stacks(load_tenants(TENANTS), ["platform", f"ward-{WARD}"])
            self.undo.callback(seed.wipe, self.c)
            seed.seed(self.c, graphs)
            return self.ward_project()
        return found[0]

    def as_ward(self, project: Any) -> Any:
        identity = self.c.identity
        role = identity.find_role("member", ignore_missing=False)
        user = self.c.current_user_id
        if not list(identity.role_assignments(user_id=user, scope_project_id=project.id, role_id=role.id)):
            identity.assign_project_role_to_user(project, user, role)
            self.undo.callback(identity.unassign_project_role_from_user, project, user, role)
        return self.c.connect_as_project({"id": project.id})

    def port(self, role: str, net: Any, sub: Any, group: Any, name: str) -> Any:
        made = self.c.network.create_port(
            name=name,
            network_id=net.id,
            project_id=self.project,
            fixed_ips=[{"subnet_id": sub.id, "ip_address": FIXED[role]}],
            security_group_ids=[group.id],
        )
        self.undo.callback(self.c.network.delete_port, made, ignore_missing=True)
        self.name(made.id, STABLE_PORTS[role])
        return made

    def volume(self, storage: Any, stable: str, **attrs: Any) -> Any:
        made = storage.create_volume(**attrs)
        self.volumes.append(made)
        self.c.block_storage.wait_for_status(made, "available", failures=["error"], interval=2, wait=300)
        self.name(made.id, stable)
        return made

    def delete_server(self, server: Any) -> None:
        self.c.compute.delete_server(server, ignore_missing=True, force=True)
        self.c.compute.wait_for_delete(server, wait=180)

    def delete_volumes(self) -> None:
        """After the server is gone: Cinder's admin force-detach of anything left attached, then delete. (The dev
        cloud's Nova now sends a service token, so its own detach works too: test_live_devcloud_services.py.)"""
        storage = self.c.block_storage
        for volume in reversed(self.volumes):
            for attachment in storage.get_volume(volume.id).attachments or ():
                body = {"os-force_detach": {"attachment_id": attachment["attachment_id"]}}
                storage.post(f"/volumes/{volume.id}/action", json=body).raise_for_status()
            wait("detached", lambda v=volume: storage.get_volume(v.id).status == "available")
            storage.delete_volume(volume, ignore_missing=True)
            storage.wait_for_delete(volume, interval=2, wait=180)

    def delete_backup(self, backup: Any) -> None:
        self.c.block_storage.delete_backup(backup, ignore_missing=True)
        self.c.block_storage.wait_for_delete(backup, interval=2, wait=300)


def record(c: Any, scenario: Scenario, start: datetime, end: datetime) -> dict[str, Any]:
    """File name → the body of the GET openstacksdk makes for it, at the microversion it negotiates."""
    from openstack.block_storage.v3.backup import Backup
    from openstack.block_storage.v3.quota_set import QuotaSet as VolumeQuotaSet
    from openstack.block_storage.v3.type import Type, TypeEncryption
    from openstack.block_storage.v3.volume import Volume
    from openstack.compute.v2.quota_set import QuotaSet as ComputeQuotaSet
    from openstack.compute.v2.server import Server
    from openstack.compute.v2.usage import Usage

    def get(adapter: Any, parser: Any, path: str, version: str | None = None, **params: Any) -> Any:
        version = version or parser._get_microversion(adapter)
        response = adapter.get(path, params=params, microversion=version)
        response.raise_for_status()
        where = path.replace(p, "{project}").replace(luks, "{type}")
        scenario.versions.append(f"{adapter.service_type} {where} {params or ''}: microversion {version}")
        return response.json()

    nova, cinder, neutron, p, luks = c.compute, c.block_storage, c.network, scenario.project, scenario.luks
    stamp = "%Y-%m-%dT%H:%M:%S"
    return {
        "nova_servers_detail.json": get(nova, Server, "/servers/detail", all_tenants=True),
        "nova_os_quota_sets.json": get(nova, ComputeQuotaSet, f"/os-quota-sets/{p}"),
        "nova_simple_tenant_usage.json": get(
            nova, Usage, f"/os-simple-tenant-usage/{p}", start=start.strftime(stamp), end=end.strftime(stamp)
        ),
        "cinder_volumes_detail.json": get(cinder, Volume, "/volumes/detail", all_tenants=True),
        "cinder_backups_detail.json": get(cinder, Backup, "/backups/detail", all_tenants=True),
        # what a pre-3.18 Cinder (or a client asking no microversion) says: no project on a backup
        "cinder_backups_detail_v3.0.json": get(cinder, Backup, "/backups/detail", "3.0", all_tenants=True),
        "cinder_types.json": get(cinder, Type, "/types", is_public="None"),
        "cinder_type_encryption.json": get(cinder, TypeEncryption, f"/types/{luks}/encryption"),
        "cinder_type_access.json": get(cinder, Type, f"/types/{luks}/os-volume-type-access"),
        "cinder_os_quota_sets.json": get(cinder, VolumeQuotaSet, f"/os-quota-sets/{p}"),
        "neutron_ports.json": neutron.get("/ports", params={"network_id": scenario.networks}).json(),
        "neutron_floatingips.json": neutron.get("/floatingips").json(),
    }


def stabilise(bodies: dict[str, Any], stable: dict[str, str]) -> dict[str, str]:
    """Each body as pretty JSON, every id rewritten: the scenario's to the names the tests use, any other
    (DHCP and gateway ports, Neutron's MAC-less ids, the flavor, image, host…) to `…-0000000000NN` in order of
    first appearance, file by file in name order, so a re-recording diffs only where the cloud said otherwise."""
    others: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        real = match.group(0)
        if real in stable:
            return stable[real]
        if real not in others:
            n = len(others) + 1
            others[real] = f"ffffffff-0000-4000-8000-{n:012d}" if "-" in real else f"{n:032d}"
        return others[real]

    return {name: UUID.sub(swap, json.dumps(bodies[name], indent=2, sort_keys=True)) + "\n" for name in sorted(bodies)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud", default=CLOUD)
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/live"))
    args = parser.parse_args(argv)
    import openstack

    connection = openstack.connect(cloud=args.cloud)
    start = datetime.now(UTC).replace(microsecond=0)
    with Undo() as undo:
        scenario = Scenario(connection, undo)
        scenario.build()
        end = datetime.now(UTC).replace(microsecond=0)
        # usage from the moment the recorder began: servers deleted earlier (other runs') stay out
        bodies = record(connection, scenario, start, end)
    if undo.failed:
        say(f"{undo.failed} undo steps failed: see above, clean up by hand")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in stabilise(bodies, scenario.stable).items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"recorded {len(bodies)} bodies at {end.isoformat()} (usage from {start.isoformat()}) from {args.cloud}")
    for line in scenario.versions:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
