"""`wardctl backup` against the dev cloud: real Cinder backups to Swift (Ceph RBD volumes), the off-site copy by
container sync to the second Swift site, verify, restore drills, expiry and the faults a real cloud has.

The tests run in file order and share one module fixture: two seeded wards, four volumes, the off-site links.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.live.devcloud import CLOUD, DevCloud
from tests.live.seed import OFFSITE_CLOUD as OFFSITE
from tests.live.seed import link_offsite
from wardcloud.cli.main import cli

pytestmark = pytest.mark.live
SYS_PY = "/usr/bin/python3"  # Debian's python, which has python3-rbd
BOTH = ("--ward", "131130", "--ward", "131016")  # the seeded wards; the other 21 have no project here
VOLUMES = {("131130", "mynumber"), ("131130", "internet"), ("131016", "mynumber"), ("131016", "internet")}


@dataclass
class Backed:
    """What the module's tests share."""

    cloud: DevCloud
    state: Path
    home: Path
    volumes: dict[tuple[str, str], str]  # (ward, segment) → volume id
    scoped: dict[str, Any]  # ward → connection scoped to its project
    payload: bytes = b""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def wardctl(self, *args: str) -> Result:
        env = {**self.cloud.env, "WARDCTL_AUDIT_LOG": str(self.state / "audit.jsonl")}
        return CliRunner().invoke(cli, ["--state", str(self.state), *args], env=env)

    def records(self) -> list[dict[str, Any]]:
        log = self.state / "audit.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def backups(self, ward: str) -> list[Any]:
        return list(self.scoped[ward].block_storage.backups(details=True))


def _rbd_write(conf: Path, volume_id: str, data: bytes) -> None:
    code = ("import sys, rados, rbd\nc = rados.Rados(conffile=sys.argv[1]); c.connect(timeout=20)\n"
            "io = c.open_ioctx('volumes'); img = rbd.Image(io, sys.argv[2])\n"
            "img.write(sys.stdin.buffer.read(), 0); img.flush(); img.close(); io.close(); c.shutdown()\n")
    subprocess.run([SYS_PY, "-c", code, str(conf), f"volume-{volume_id}"], input=data, capture_output=True,
                   timeout=60, check=True)


@pytest.fixture(scope="module")
def backed(dev_cloud: DevCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backed]:
    conn = dev_cloud.connection
    if not conn.has_service("block-storage") or not any(
        s.binary == "cinder-backup" and s.status == "enabled" for s in conn.block_storage.services()
    ):
        pytest.skip("no Cinder with cinder-backup in this dev cloud (DEVCLOUD_COMPUTE=0 or DEVCLOUD_SWIFT=0)")
    home = dev_cloud.clouds_yaml.parent
    admin_role = conn.identity.find_role("admin")
    scoped: dict[str, Any] = {}
    for ward in ("131130", "131016"):
        project = dev_cloud.ids[f"{ward}-project"]
        # the backup operator holds a role on each ward project (docs/backup.md, "Whose account")
        conn.identity.assign_project_role_to_user(project, conn.current_user_id, admin_role)
        scoped[ward] = conn.connect_as_project({"id": project})
    volumes: dict[tuple[str, str], str] = {}
    for ward, segment in sorted(VOLUMES):
        volume = scoped[ward].block_storage.create_volume(size=1, name=f"{ward}-{segment}-data",
                                                          metadata={"segment": segment})
        volumes[(ward, segment)] = volume.id
    for (ward, _), volume_id in volumes.items():
        scoped[ward].block_storage.wait_for_status(scoped[ward].block_storage.get_volume(volume_id), "available",
                                                   failures=["error"], interval=1, wait=120)
    backed = Backed(dev_cloud, tmp_path_factory.mktemp("backup-state"), home, volumes, scoped,
                    payload=os.urandom(1 << 20))  # random: compression cannot shrink it, so only encryption hides it
    conf = home / "run" / "ceph" / "ceph.conf"
    if conf.is_file():
        _rbd_write(conf, volumes[("131130", "mynumber")], backed.payload)
    # the off-site links, made (again, with this module's key) by the platform's dynamic provider as `pulumi up` is
    links = {"131130": ("mynumber", "lgwan"), "131016": ("mynumber", "lgwan")}
    if not link_offsite(dev_cloud.clouds_yaml, links, dev_cloud.ids, key="live-test-sync-key"):
        pytest.skip("no second Swift site in this dev cloud (DEVCLOUD_SWIFT=0)")
    yield backed
    for connection in scoped.values():
        _delete_all_backups(connection.block_storage)
        for volume in connection.block_storage.volumes():
            connection.block_storage.delete_volume(volume, ignore_missing=True)
    # the seeded state back for the modules after this one: the links as seeded, no role on the ward projects
    link_offsite(dev_cloud.clouds_yaml, links, dev_cloud.ids)
    for ward in ("131130", "131016"):
        conn.identity.unassign_project_role_from_user(dev_cloud.ids[f"{ward}-project"], conn.current_user_id,
                                                      admin_role)


def _delete_all_backups(storage: Any) -> None:
    """Every backup of the project, those nothing chains to at once (Cinder refuses the others), round by round."""
    deadline = time.monotonic() + 300
    while backups := list(storage.backups(details=True)):
        assert time.monotonic() < deadline, f"backups left: {[(b.id, b.status) for b in backups]}"
        for backup in backups:
            if not backup.has_dependent_backups and backup.status != "deleting":
                storage.delete_backup(backup, ignore_missing=True)
        time.sleep(1)


def at(base: datetime, **delta: float) -> str:
    return (base + timedelta(**delta)).isoformat()


def test_run_backs_up_every_volume_once_per_window(backed: Backed) -> None:
    first = backed.wardctl("backup", "run", "--cloud", CLOUD, "--ward", "131130", "--ward", "131016",
                           "--format", "json")
    assert first.exit_code == 0, first.output
    taken = [a for a in json.loads(first.stdout)["actions"] if a["action"] == "take"]
    assert {(a["ward"], a["segment"]) for a in taken} == VOLUMES
    assert {a["status"] for a in taken} == {"available"}
    for ward in ("131130", "131016"):
        backups = backed.backups(ward)
        project = backed.cloud.ids[f"{ward}-project"]
        # in the ward's own project, in the segment's container, tagged for the service
        assert {(b.project_id, b.metadata["wardcloud"]) for b in backups} == {(project, ward)}
        assert {b.container for b in backups} == {f"{ward}-{s}-backup" for w, s in VOLUMES if w == ward}
    records = backed.records()
    assert [(r["outcome"], r["summary"]["action"]) for r in records] == [("success", "take")] * 4

    again = backed.wardctl("backup", "run", "--cloud", CLOUD, "--ward", "131130", "--ward", "131016",
                           "--format", "json")
    assert again.exit_code == 0, again.output
    actions = json.loads(again.stdout)["actions"]
    assert {a["action"] for a in actions} == {"skip"} and len(actions) == 4
    assert len(backed.backups("131130")) == 2 and len(backed.records()) == 4  # nothing new, nothing recorded


def _wait_for_offsite(backed: Backed, seconds: float = 120) -> None:
    """Until container sync has carried every backup object of the off-site segments to site 2."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = backed.wardctl("backup", "verify", "--cloud", CLOUD, *BOTH, "--offsite-cloud", OFFSITE,
                                "--now", at(datetime.now(UTC), hours=3), "--format", "json")
        assert result.exit_code in (0, 2), result.output
        lagging = [v for v in json.loads(result.stdout)["violations"] if v["policy"] == "BAK-104"]
        if not lagging:
            return
        time.sleep(3)
    pytest.fail(f"container sync did not catch up in {seconds} s")


def test_verify_wants_a_drill_and_passes_after_one_that_restores_the_bytes(backed: Backed) -> None:
    before = backed.wardctl("backup", "verify", "--cloud", CLOUD, "--ward", "131130", "--format", "json")
    assert before.exit_code == 2
    assert {v["policy"] for v in json.loads(before.stdout)["violations"]} == {"BAK-105"}
    # `wardctl drift` runs the same rules over the same facts (the detective half of the guardrails)
    drift = backed.wardctl("drift", "--cloud", CLOUD, "--ward", "131130", "--format", "json")
    assert drift.exit_code == 2, drift.output
    found = json.loads(drift.stdout)["violations"]
    assert {(v["policyId"], v["ward"]) for v in found if v["policyId"].startswith("BAK-")} == {("BAK-105", "131130")}

    conf = backed.home / "run" / "ceph" / "ceph.conf"
    drill = backed.wardctl("backup", "restore-drill", "--cloud", CLOUD, "--ward", "131130", "--volume",
                           backed.volumes[("131130", "mynumber")], "--rbd-conf", str(conf), "--format", "json")
    assert drill.exit_code == 0, drill.output
    checks = json.loads(drill.stdout)["checks"]
    assert checks["status_ok"] and checks["size_ok"] and checks["content_ok"]
    assert checks["blocks"] == (1 << 30) // 32768 and checks["blocks_differ"] == 0
    scratch = json.loads(drill.stdout)["scratch"]
    storage = backed.scoped["131130"].block_storage
    # cleaned up: the drill deleted the scratch volume (Cinder deletes asynchronously; it must go, not linger)
    storage.wait_for_delete(storage.get_volume(scratch), interval=1, wait=120)
    assert backed.records()[-1]["command"] == "backup restore-drill"
    assert backed.records()[-1]["outcome"] == "success"

    _wait_for_offsite(backed)
    clean = backed.wardctl("backup", "verify", "--cloud", CLOUD, "--ward", "131130", "--offsite-cloud", OFFSITE)
    assert clean.exit_code == 0, clean.output
    assert "1 ward(s) verified" in clean.stdout and "0 finding(s)" in clean.stdout


def test_a_restored_block_that_differs_fails_the_drill(backed: Backed, monkeypatch: pytest.MonkeyPatch) -> None:
    from wardcloud.backup import content

    real = content.RbdReader.blocks

    def corrupted(self: content.RbdReader, volume_id: str, block_size: int) -> Iterator[bytes]:
        for index, block in enumerate(real(self, volume_id, block_size)):
            yield bytes(block_size) if index == 3 else block  # one block zeroed on its way back

    monkeypatch.setattr(content.RbdReader, "blocks", corrupted)
    conf = backed.home / "run" / "ceph" / "ceph.conf"
    drill = backed.wardctl("backup", "restore-drill", "--cloud", CLOUD, "--ward", "131130", "--volume",
                           backed.volumes[("131130", "mynumber")], "--rbd-conf", str(conf), "--format", "json")
    assert drill.exit_code == 1 and "BKP007" in drill.stderr
    assert json.loads(drill.stdout)["checks"]["blocks_differ"] == 1
    assert backed.records()[-1]["outcome"] == "failure"


def _decompressed(data: bytes) -> bytes:
    """A backup object as Cinder compressed it (zstd in the dev cloud, zlib by default), decompressed."""
    if data.startswith(b"\x28\xb5\x2f\xfd"):  # a zstd frame: Debian's python has the zstd module Cinder uses
        code = "import sys, zstd; sys.stdout.buffer.write(zstd.decompress(sys.stdin.buffer.read()))"
        return subprocess.run([SYS_PY, "-c", code], input=data, capture_output=True, timeout=60, check=True).stdout
    with contextlib.suppress(zlib.error):
        return zlib.decompress(data)
    return data


def test_mynumber_backups_are_encrypted_at_rest_at_both_sites(backed: Backed) -> None:
    marker = backed.payload[500_000:500_064]
    # the marker is in the backup (read through Swift's API, which decrypts) ...
    store = backed.scoped["131130"].object_store
    container = "131130-mynumber-backup"
    found = False
    for item in store.objects(container):
        if item.name.endswith(("_metadata", "_sha256file")):
            continue
        found = found or marker in _decompressed(store.download_object(item.name, container=container))
    assert found
    # ... and on no disk of either site
    files = [p for site in ("swift1", "swift2") for p in (backed.home / "run" / site / "node").rglob("*.data")]
    assert files
    assert not [p for p in files if marker in p.read_bytes()]


def test_a_missed_night_shows_as_rpo_findings(backed: Backed) -> None:
    late = backed.wardctl("backup", "verify", "--cloud", CLOUD, "--ward", "131130", "--now",
                          at(datetime.now(UTC), days=2), "--format", "json")
    assert late.exit_code == 2
    rpo = [v for v in json.loads(late.stdout)["violations"] if v["policy"] == "BAK-101"]
    assert {v["resource"] for v in rpo} == {backed.volumes[("131130", s)] for s in ("mynumber", "internet")}
    assert all(v["file"].endswith("131130-shibuya.yaml") and v["line"] > 1 for v in rpo)


def test_a_hand_deleted_backup_is_caught_but_an_expired_one_is_not(backed: Backed) -> None:
    storage = backed.scoped["131130"].block_storage
    victim = next(b for b in backed.backups("131130") if b.volume_id == backed.volumes[("131130", "internet")])
    storage.delete_backup(victim)
    storage.wait_for_delete(victim, interval=1, wait=120)
    caught = backed.wardctl("backup", "verify", "--cloud", CLOUD, "--ward", "131130", "--format", "json")
    early = [v for v in json.loads(caught.stdout)["violations"] if v["policy"] == "BAK-103"]
    assert caught.exit_code == 2 and [v["resource"] for v in early] == [victim.id]

    # Chiyoda's internet volume is deleted; 40 days on, its backup is past retention and expires, on record
    gone = backed.volumes[("131016", "internet")]
    chiyoda = backed.scoped["131016"].block_storage
    old = next(b for b in backed.backups("131016") if b.volume_id == gone)
    chiyoda.delete_volume(gone)
    chiyoda.wait_for_delete(chiyoda.get_volume(gone), interval=1, wait=120)
    later = at(datetime.now(UTC), days=40)
    run = backed.wardctl("backup", "run", "--cloud", CLOUD, "--ward", "131016", "--now", later, "--format", "json")
    assert run.exit_code == 0, run.output
    actions = json.loads(run.stdout)["actions"]
    assert [(a["action"], a["backup"]) for a in actions if a["action"] == "expire"] == [("expire", old.id)]
    # the mynumber volume's last good backup is older than retention too, yet kept: it is its restore point
    assert old.id not in {b.id for b in backed.backups("131016")}
    assert any(a["action"] == "take" and a["segment"] == "mynumber" for a in actions)
    verify = backed.wardctl("backup", "verify", "--cloud", CLOUD, "--ward", "131016", "--now", later,
                            "--format", "json")
    assert "BAK-103" not in {v["policy"] for v in json.loads(verify.stdout)["violations"]}


def test_a_broken_offsite_sync_is_caught(backed: Backed) -> None:
    # Chiyoda's mynumber container stops syncing; Shibuya's lgwan copy gets the wrong key at site 2
    chiyoda = backed.scoped["131016"]
    here = str(chiyoda.object_store.get_endpoint()).rstrip("/")
    assert chiyoda.object_store.post(f"{here}/131016-mynumber-backup",
                                     headers={"X-Remove-Container-Sync-To": "x"}).status_code == 204
    shibuya = backed.scoped["131130"]
    there = str(shibuya.session.get_endpoint(service_type="object-store", interface="public",
                                             region_name="Offsite")).rstrip("/")
    assert shibuya.object_store.post(f"{there}/131130-lgwan-backup",
                                     headers={"X-Container-Sync-Key": "wrong"}).status_code == 204
    # site 1's sync daemon tries to carry the object across and site 2 refuses it: its log says so (no sleep)
    daemon_log = backed.home / "run" / "swift1" / "log" / "container-sync.out"
    refused = f"Unauth 'AUTH_{backed.cloud.ids['131130-project']}/131130-lgwan-backup'"
    backed.scoped["131130"].object_store.upload_object(container="131130-lgwan-backup", name="late-object",
                                                        data=b"written after the key changed")
    deadline = time.monotonic() + 120
    while refused not in daemon_log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"site 1's container-sync never tried the object ({daemon_log})"
        time.sleep(1)
    result = backed.wardctl("backup", "verify", "--cloud", CLOUD, *BOTH, "--offsite-cloud", OFFSITE, "--now",
                            at(datetime.now(UTC), hours=2), "--format", "json")
    findings = {(v["ward"], v["resource"]): v["message"] for v in json.loads(result.stdout)["violations"]
                if v["policy"] == "BAK-104"}
    assert result.exit_code == 2, result.output
    assert "is not synced off-site" in findings[("131016", "131016-mynumber-backup")]
    assert "lacks 1 object(s)" in findings[("131130", "131130-lgwan-backup")]


def test_an_exhausted_backup_quota_is_one_line_and_on_record(backed: Backed) -> None:
    conn = backed.cloud.connection
    project = backed.cloud.ids["131130-project"]
    conn.block_storage.update_quota_set(project, backups=0)
    try:
        count = len(backed.records())
        run = backed.wardctl("backup", "run", "--cloud", CLOUD, "--ward", "131130", "--now",
                             at(datetime.now(UTC), days=1))
        assert run.exit_code == 1
        # one line per refused backup (Shibuya's two volumes), in Cinder's own words (BackupLimitExceeded)
        lines = run.stderr.splitlines()
        assert len(lines) == 2
        assert all("LIVE007" in line and "create backup" in line and "exceeded" in line for line in lines)
        assert "Traceback" not in run.output
        new = backed.records()[count:]
        assert new and {r["outcome"] for r in new} == {"failure"}
    finally:
        conn.block_storage.update_quota_set(project, backups=10)


def test_a_backup_in_error_is_flagged_then_removed(backed: Backed) -> None:
    conn = backed.cloud.connection
    victim = next(b for b in backed.backups("131130") if b.status == "available")
    conn.block_storage.reset_backup_status(victim, status="error")
    flagged = backed.wardctl("backup", "verify", "--cloud", CLOUD, "--ward", "131130", "--format", "json")
    assert [v["resource"] for v in json.loads(flagged.stdout)["violations"] if v["policy"] == "BAK-106"] == [victim.id]
    run = backed.wardctl("backup", "run", "--cloud", CLOUD, "--ward", "131130", "--format", "json")
    expired = [(a["backup"], a["detail"]) for a in json.loads(run.stdout)["actions"] if a["action"] == "expire"]
    assert (victim.id, "failed") in expired
