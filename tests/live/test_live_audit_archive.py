"""Against the dev cloud's real Swift: `audit verify --remote` catches a deleted archive object.

Ships a log in three runs to a scratch container through openstacksdk (`wardctl audit ship`), checks the
archive matches, deletes one object as someone with write access to the container could, and expects
`audit verify --remote` to name the missing records and exit 1.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.live.devcloud import CLOUD, clouds_yaml
from wardcloud.audit.log import append
from wardcloud.audit.record import Entry
from wardcloud.cli.main import cli

pytestmark = pytest.mark.live


@pytest.fixture
def swift(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """An admin connection to the dev cloud's Swift and a scratch container, removed afterwards."""
    path = clouds_yaml()
    if not path.is_file():
        pytest.skip(f"dev cloud not up: no {path} (start it: DEVCLOUD_SWIFT=1 scripts/devcloud.sh start)")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    for name in [n for n in os.environ if n.startswith("OS_") and n != "OS_CLIENT_CONFIG_FILE"]:
        monkeypatch.delenv(name)
    import openstack

    try:
        connection = openstack.connect(cloud=CLOUD)
        if not connection.has_service("object-store"):
            pytest.skip("the dev cloud runs no Swift (start it with DEVCLOUD_SWIFT=1)")
    except openstack.exceptions.SDKException as exc:
        pytest.skip(f"dev cloud not reachable: {exc}")
    container = f"audit-live-{secrets.token_hex(4)}"
    connection.object_store.create_container(name=container)
    yield connection, container
    for obj in connection.object_store.objects(container):
        connection.object_store.delete_object(obj, container=container)
    connection.object_store.delete_container(container)


def grow(log: Path, count: int) -> None:
    append(log, [Entry(actor="ops", command="cost allocate", argv=("wardctl",), inputs={}, outcome="success",
                       exit_code=0, summary={"n": i}) for i in range(count)])


def test_a_deleted_archive_object_is_caught(swift: tuple[Any, str], tmp_path: Path) -> None:
    connection, container = swift
    log = tmp_path / "audit.jsonl"

    def wardctl(*args: str):
        return CliRunner().invoke(cli, ["--state", str(tmp_path), "--audit-log", str(log), *args])

    for count in (2, 2, 1):
        grow(log, count)
        shipped = wardctl("audit", "ship", "--container", container, "--cloud", CLOUD)
        assert shipped.exit_code == 0, shipped.output
    intact = wardctl("audit", "verify", "--remote", "--container", container, "--cloud", CLOUD)
    assert intact.exit_code == 0, intact.output
    assert "5 records in 3 object(s)" in intact.stdout

    connection.object_store.delete_object("audit/000000000003-000000000004.jsonl", container=container)
    caught = wardctl("audit", "verify", "--remote", "--container", container, "--cloud", CLOUD)
    assert caught.exit_code == 1
    assert "AUD017 records 3..4 missing from the archive (object deleted?)" in caught.stderr
