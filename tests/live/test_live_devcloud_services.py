"""The dev cloud's services do what the live tests need, proven by real API calls (no project imports).

Nova's fake driver boots a server to ACTIVE with a bound port on a Neutron network; Nova refuses a server over
the project's `cores` quota; Cinder creates a volume, backs it up to Swift and restores it (on Ceph: the bytes
written into the RBD image come back); an encrypted volume type takes a LUKS spec; Swift container sync copies
an object from site 1 to the off-site site 2, stored encrypted at rest; a changed oslo.policy file refuses a
member at once (403). Skipped only when the dev cloud's clouds.yaml is absent: `scripts/devcloud.sh start`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.devcloud import clouds_yaml

pytestmark = pytest.mark.live
SYS_PY = "/usr/bin/python3"  # the Debian python that has python3-rbd (a venv may not)


def _connect(path: Path, cloud: str) -> Any:
    import openstack.config
    from openstack.connection import Connection

    config = openstack.config.OpenStackConfig(config_files=[str(path)]).get_one(cloud=cloud)
    return Connection(config=config)


@pytest.fixture(scope="module")
def home() -> Path:
    path = clouds_yaml()
    if not path.is_file():
        pytest.skip(f"dev cloud not up: no {path} (start it: scripts/devcloud.sh start)")
    pytest.importorskip("openstack")
    return path.parent


@pytest.fixture(scope="module")
def conn(home: Path) -> Any:
    return _connect(home / "clouds.yaml", "wardcloud-dev")


def _need(conn: Any, service_type: str) -> None:
    if not conn.has_service(service_type):
        pytest.skip(f"{service_type} is not in this dev cloud's catalog (DEVCLOUD_COMPUTE=0 / DEVCLOUD_SWIFT=0?)")


def _wait(what: str, probe: Any, timeout: float = 90, every: float = 1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def _name(prefix: str) -> str:
    return f"dctest-{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def network(conn: Any) -> Iterator[Any]:
    """A ward-like tenant network with a subnet, deleted after the test."""
    _need(conn, "compute")
    net = conn.network.create_network(name=_name("131130-internet"))
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.231.0.0/24", name=f"{net.name}-subnet")
    yield net
    for port in conn.network.ports(network_id=net.id):
        conn.network.delete_port(port, ignore_missing=True)
    conn.network.delete_network(net, ignore_missing=True)


def _delete_server(conn: Any, server: Any) -> None:
    conn.compute.delete_server(server, ignore_missing=True)
    conn.compute.wait_for_delete(server, wait=60)


def test_fake_server_boots_active_with_a_bound_port(conn: Any, network: Any) -> None:
    server = conn.compute.create_server(
        name=_name("vm"), flavor_id=conn.compute.find_flavor("m1.tiny").id,
        image_id=conn.image.find_image("devcloud-tiny").id, networks=[{"uuid": network.id}])
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], interval=1, wait=90)
        ports = list(conn.network.ports(device_id=server.id))
        assert [p.network_id for p in ports] == [network.id]
        assert ports[0].binding_vif_type not in ("binding_failed", "unbound"), ports[0].binding_vif_type
        assert network.name in server.addresses
    finally:
        _delete_server(conn, server)


def test_nova_detaches_a_volume_itself_with_its_service_token(conn: Any, network: Any) -> None:
    # Cinder (CVE-2023-2088 fix) deletes an attachment Nova made only when Nova's request carries a service
    # token whose user holds `service`; without one the detach fails inside nova-compute, and the volume stays
    # in-use (the dev cloud used to need Cinder's admin force-detach here)
    _need(conn, "block-storage")
    storage = conn.block_storage
    server = conn.compute.create_server(
        name=_name("vm"), flavor_id=conn.compute.find_flavor("m1.tiny").id,
        image_id=conn.image.find_image("devcloud-tiny").id, networks=[{"uuid": network.id}])
    volume = storage.create_volume(size=1, name=_name("attached"))
    try:
        conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], interval=1, wait=90)
        storage.wait_for_status(volume, "available", failures=["error"], interval=1, wait=90)
        conn.compute.create_volume_attachment(server, volume_id=volume.id)
        _wait("the volume in use", lambda: storage.get_volume(volume.id).status == "in-use")
        conn.compute.delete_volume_attachment(server, volume.id)
        _wait("Nova's detach", lambda: storage.get_volume(volume.id).status == "available")
        assert not storage.get_volume(volume.id).attachments
    finally:
        _delete_server(conn, server)
        for attachment in storage.get_volume(volume.id).attachments or ():  # a failed run: Cinder's own way out
            storage.post(f"/volumes/{volume.id}/action",
                         json={"os-force_detach": {"attachment_id": attachment["attachment_id"]}})
        _wait("the volume free", lambda: storage.get_volume(volume.id).status in ("available", "error"))
        storage.delete_volume(volume, ignore_missing=True)


def test_nova_refuses_a_server_over_the_cores_quota(conn: Any) -> None:
    _need(conn, "compute")
    project = conn.identity.create_project(name=_name("quota"), domain_id="default")
    try:
        conn.identity.assign_project_role_to_user(
            project, conn.identity.find_user("admin", domain_id="default"), conn.identity.find_role("admin"))
        conn.set_compute_quotas(project.id, cores=1)
        ward = conn.connect_as_project(project.name)
        net = ward.network.create_network(name=_name("quota-net"))
        ward.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.232.0.0/24")
        from openstack import exceptions

        with pytest.raises(exceptions.HttpException) as refused:
            ward.compute.create_server(
                name=_name("too-big"), flavor_id=ward.compute.find_flavor("m1.small").id,  # 2 vCPU > 1
                image_id=ward.image.find_image("devcloud-tiny").id, networks=[{"uuid": net.id}])
        assert refused.value.status_code == 403
        assert "cores" in str(refused.value).lower() or "quota" in str(refused.value).lower()
        ward.network.delete_network(net)
    finally:
        conn.identity.delete_project(project)


def _ceph_conf(home: Path) -> Path | None:
    conf = home / "run" / "ceph" / "ceph.conf"
    return conf if conf.is_file() else None


def _rbd(conf: Path, op: str, image: str, data: bytes = b"", length: int = 0) -> bytes:
    """Write or read the start of an RBD image through librbd (system python: python3-rbd)."""
    code = (
        "import sys, rados, rbd\n"
        "c = rados.Rados(conffile=sys.argv[1]); c.connect(timeout=20)\n"
        "io = c.open_ioctx('volumes'); img = rbd.Image(io, sys.argv[3])\n"
        "if sys.argv[2] == 'write':\n"
        "    data = sys.stdin.buffer.read(); img.write(data, 0); img.flush()\n"
        "else:\n"
        "    sys.stdout.buffer.write(img.read(0, int(sys.argv[4])))\n"
        "img.close(); io.close(); c.shutdown()\n")
    done = subprocess.run([SYS_PY, "-c", code, str(conf), op, image, str(length)], input=data,
                          capture_output=True, timeout=60, check=True)
    return done.stdout


def test_volume_backup_to_swift_and_restore_keeps_the_bytes(conn: Any, home: Path) -> None:
    _need(conn, "block-storage")  # the catalog's volumev3 is an alias of it
    if not any(s.binary == "cinder-backup" and s.state == "up" for s in conn.block_storage.services()):
        pytest.skip("no cinder-backup (dev cloud started with DEVCLOUD_SWIFT=0: backups go to Swift)")
    bs = conn.block_storage
    volume = bs.create_volume(size=1, name=_name("vol"))
    made: list[Any] = [volume]
    backup = None
    try:
        bs.wait_for_status(volume, "available", failures=["error"], interval=1, wait=90)
        conf = _ceph_conf(home)
        payload = os.urandom(1 << 20)
        if conf:
            _rbd(conf, "write", f"volume-{volume.id}", payload)
        backup = bs.create_backup(volume_id=volume.id, name=_name("backup"))
        bs.wait_for_status(backup, "available", failures=["error"], interval=1, wait=120)
        assert any(c.name == "volumebackups" for c in conn.object_store.containers())
        restore = bs.restore_backup(backup, name=_name("restored"))
        restored = bs.get_volume(restore.volume_id)
        made.append(restored)
        bs.wait_for_status(restored, "available", failures=["error", "error_restoring"], interval=1, wait=120)
        if conf:
            back = _rbd(conf, "read", f"volume-{restored.id}", length=len(payload))
            assert hashlib.sha256(back).hexdigest() == hashlib.sha256(payload).hexdigest()
    finally:
        if backup is not None:
            bs.delete_backup(backup, ignore_missing=True)
            bs.wait_for_delete(backup, interval=1, wait=90)
        for v in made:
            bs.delete_volume(v, ignore_missing=True)


def test_encrypted_volume_type_takes_a_luks_spec(conn: Any) -> None:
    _need(conn, "block-storage")  # the catalog's volumev3 is an alias of it
    bs = conn.block_storage
    vtype = bs.create_type(name=_name("encrypted"))
    try:
        bs.create_type_encryption(vtype, provider="luks", cipher="aes-xts-plain64", key_size=256,
                                  control_location="front-end")
        spec = bs.get_type_encryption(vtype)
        assert (spec.provider, spec.cipher, spec.key_size) == ("luks", "aes-xts-plain64", 256)
        bs.delete_type_encryption(encryption=spec, volume_type=vtype)
    finally:
        bs.delete_type(vtype, ignore_missing=True)


def _swift(conn: Any, region: str) -> tuple[str, dict[str, str]]:
    endpoint = conn.session.get_endpoint(service_type="object-store", interface="public", region_name=region)
    return endpoint.rstrip("/"), {"X-Auth-Token": conn.session.get_token()}


def test_container_sync_copies_an_object_off_site_encrypted_at_rest(conn: Any, home: Path) -> None:
    _need(conn, "object-store")
    import requests

    site1, headers = _swift(conn, "RegionOne")
    site2, _ = _swift(conn, "Offsite")
    assert site1 != site2
    name, key = _name("sync"), uuid.uuid4().hex
    account = site1.rsplit("/", 1)[1]
    body = b"ward backup " + uuid.uuid4().hex.encode()
    try:
        r = requests.put(f"{site2}/{name}", headers={**headers, "X-Container-Sync-Key": key}, timeout=10)
        assert r.status_code in (201, 202), r.text
        r = requests.put(f"{site1}/{name}", timeout=10, headers={
            **headers, "X-Container-Sync-Key": key, "X-Container-Sync-To": f"//devcloud/site2/{account}/{name}"})
        assert r.status_code in (201, 202), r.text
        r = requests.put(f"{site1}/{name}/obj", data=body, headers=headers, timeout=10)
        assert r.status_code == 201, r.text
        got = _wait("the object on site 2", lambda: (
            (resp := requests.get(f"{site2}/{name}/obj", headers=headers, timeout=10)).status_code == 200
            and resp.content), timeout=45)
        assert got == body
        # at rest the object servers hold ciphertext (keymaster + encryption in both proxies)
        for node in (home / "run" / "swift1" / "node", home / "run" / "swift2" / "node"):
            datas = [p for p in node.rglob("*.data") if p.stat().st_size == len(body)]
            assert datas and all(body not in p.read_bytes() for p in datas)
    finally:
        for site in (site1, site2):
            requests.delete(f"{site}/{name}/obj", headers=headers, timeout=10)
            requests.delete(f"{site}/{name}", headers=headers, timeout=10)


def test_a_changed_policy_file_refuses_a_member_at_once(home: Path) -> None:
    from openstack import exceptions

    member = _connect(home / "clouds.yaml", "wardcloud-dev-member")
    policy = home / "policy" / "neutron.yaml"
    before = policy.read_text()
    try:
        policy.write_text(json.dumps({"create_network": "role:admin"}) + "\n")
        with pytest.raises(exceptions.ForbiddenException):
            member.network.create_network(name=_name("forbidden"))
    finally:
        policy.write_text(before)
    net = member.network.create_network(name=_name("allowed"))  # the empty policy again: defaults apply
    member.network.delete_network(net)
