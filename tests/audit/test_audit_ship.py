"""`wardctl audit ship`: a clear error without credentials; only new, verified records are shipped.

The happy path runs the real openstacksdk code (credentials from OS_*, Keystone v3 password auth, catalog,
object PUT) against a loopback fake of Keystone and Swift (tests/audit/fake_openstack.py), not a real
cloud; selection and bookkeeping are also tested directly with an in-memory store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.audit.fake_openstack import fake_openstack
from tests.audit.logfile import log_lines, write_lines, write_records
from wardcloud.audit.containers import CENTRAL_CONTAINER
from wardcloud.audit.errors import AuditError
from wardcloud.audit.ship import marker_path, ship

# openstacksdk warns about its own future removals; not ours to act on
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


class MemoryStore:
    """Swift as a dict: container → object name → bytes."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, bytes]] = {}

    def upload(self, container: str, name: str, data: bytes) -> None:
        self.objects.setdefault(container, {})[name] = data


@pytest.fixture
def no_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No clouds.yaml anywhere openstacksdk looks, no OS_* variables."""
    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(home)
    if Path("/etc/openstack/clouds.yaml").exists():
        pytest.skip("this machine has a system-wide clouds.yaml")


def test_ship_without_credentials_is_one_clear_line(state: Path, wardctl, no_cloud: None) -> None:
    write_records(state, 2)

    result = wardctl("audit", "ship")

    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "AUD010 no OpenStack credentials: set OS_CLOUD" in result.stderr
    assert not marker_path(state / "audit.jsonl", CENTRAL_CONTAINER).exists()


def test_ship_with_an_unknown_cloud_name_is_one_clear_line(state: Path, wardctl, no_cloud: None) -> None:
    write_records(state, 1)

    result = wardctl("audit", "ship", "--cloud", "nowhere")

    assert result.exit_code == 1 and "AUD010" in result.stderr and len(result.stderr.splitlines()) == 1


def test_ship_without_a_log_says_so_before_asking_for_credentials(wardctl, no_cloud: None) -> None:
    result = wardctl("audit", "ship")
    assert result.exit_code == 1 and "AUD007" in result.stderr


def test_ship_sends_each_record_once_in_order(state: Path) -> None:
    log, store = state / "audit.jsonl", MemoryStore()
    write_records(state, 3)

    first = ship(log, store, CENTRAL_CONTAINER)
    again = ship(log, store, CENTRAL_CONTAINER)
    write_records(state, 2)
    later = ship(log, store, CENTRAL_CONTAINER)

    objects = store.objects[CENTRAL_CONTAINER]
    assert (first.records, again.records, later.records) == (3, 0, 2)
    assert sorted(objects) == ["audit/000000000001-000000000003.jsonl",
                               "audit/000000000004-000000000005.jsonl"]
    assert b"".join(objects[name] for name in sorted(objects)) == log.read_bytes()


def test_ship_for_a_ward_sends_only_its_records_to_its_container(state: Path) -> None:
    log, store = state / "audit.jsonl", MemoryStore()
    write_records(state, 2, ward="131016")
    write_records(state, 1, ward="131130")

    result = ship(log, store, "131130-audit-log", ward="131130")

    shipped = store.objects["131130-audit-log"][result.object_name or ""]
    assert [json.loads(line)["seq"] for line in shipped.splitlines()] == [3]


def test_ship_refuses_a_log_rewritten_since_the_last_shipment(state: Path) -> None:
    log, store = state / "audit.jsonl", MemoryStore()
    write_records(state, 3)
    ship(log, store, CENTRAL_CONTAINER)
    log.unlink()
    write_records(state, 4, actor="mallory")

    with pytest.raises(AuditError, match="rewritten"):
        ship(log, store, CENTRAL_CONTAINER)
    assert len(store.objects[CENTRAL_CONTAINER]) == 1


def test_ship_refuses_a_tampered_log(state: Path) -> None:
    log, store = state / "audit.jsonl", MemoryStore()
    write_records(state, 3)
    write_lines(state, log_lines(state)[::-1])

    with pytest.raises(AuditError, match="record 1"):
        ship(log, store, CENTRAL_CONTAINER)
    assert store.objects == {}


@pytest.fixture
def cloud(no_cloud: None, monkeypatch: pytest.MonkeyPatch):
    """OS_* credentials for a loopback fake of Keystone and Swift (tests/audit/fake_openstack.py)."""
    with fake_openstack() as fake:
        for name, value in fake.environ().items():
            monkeypatch.setenv(name, value)
        yield fake


def test_ship_through_openstacksdk_puts_new_records_once(state: Path, wardctl, cloud) -> None:
    write_records(state, 3)

    first = wardctl("audit", "ship")
    again = wardctl("audit", "ship", "--format", "json")
    write_records(state, 1, ward="131130")
    ward = wardctl("audit", "ship", "--ward", "131130")

    assert first.exit_code == 0, first.output
    assert "shipped records 1..3 (3) to platform-audit-archive/audit/000000000001-000000000003.jsonl" \
        in first.stdout
    assert json.loads(again.stdout)["records"] == 0
    assert ward.exit_code == 0 and "131130-audit-log" in ward.stdout
    assert cloud.objects == {
        "platform-audit-archive/audit/000000000001-000000000003.jsonl": b"".join(log_lines(state)[:3]),
        "131130-audit-log/audit/000000000004-000000000004.jsonl": log_lines(state)[3],
    }


def test_a_refused_upload_is_one_line_and_ships_nothing(state: Path, wardctl, cloud) -> None:
    cloud.forbidden.add(CENTRAL_CONTAINER)
    write_records(state, 2)

    result = wardctl("audit", "ship")

    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert "AUD011 upload of audit/000000000001-000000000002.jsonl failed" in result.stderr
    assert not marker_path(state / "audit.jsonl", CENTRAL_CONTAINER).exists()


def test_verify_remote_reports_every_missing_or_altered_object(state: Path, wardctl, cloud) -> None:
    write_records(state, 2)
    assert wardctl("audit", "ship").exit_code == 0
    write_records(state, 2)
    assert wardctl("audit", "ship").exit_code == 0
    write_records(state, 1)
    assert wardctl("audit", "ship").exit_code == 0
    intact = wardctl("audit", "verify", "--remote")
    assert intact.exit_code == 0, intact.output
    assert "archive platform-audit-archive matches: 5 records in 3 object(s)" in intact.stdout

    del cloud.objects["platform-audit-archive/audit/000000000003-000000000004.jsonl"]  # deleted in Swift
    key = "platform-audit-archive/audit/000000000005-000000000005.jsonl"
    cloud.objects[key] = cloud.objects[key].replace(b'"outcome":"success"', b'"outcome":"failure"')
    result = wardctl("audit", "verify", "--remote", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["remote"]["problems"]
    assert [p["code"] for p in problems] == ["AUD017", "AUD017"]
    messages = " | ".join(p["message"] for p in problems)
    assert "records 3..4 missing from the archive (object deleted?)" in messages
    assert "audit/000000000005-000000000005.jsonl: altered: record 5 differs from the local log" in messages
    text = wardctl("audit", "verify", "--remote")
    assert text.exit_code == 1 and len([line for line in text.stderr.splitlines() if "AUD017" in line]) == 2


def test_the_archive_container_is_the_one_infra_creates() -> None:
    # infra takes the name from audit/containers.py; the archive commands look for it there too
    from wardcloud.infra.platform import AUDIT_ARCHIVE

    assert CENTRAL_CONTAINER == AUDIT_ARCHIVE
