"""Copy new audit records to a Swift container (the central archive or a ward's audit container).

What was shipped to each container is remembered beside the log (`<log>.shipped-<container>.json`: the
last seq and hash sent), so each run sends only the records after it, as one object per run named by its
record range. The log is verified first, and the remembered head must still be in it: a rewritten log
is never shipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from wardcloud.audit.errors import AuditError, Code, Problem
from wardcloud.audit.log import Anchor, read_records, utc_now, verify
from wardcloud.core.files import FileError, read_input, write_atomic
from wardcloud.core.jsontext import loads
from wardcloud.core.secrets import mask_secrets


class ObjectStore(Protocol):
    """Where shipped records go: one call per object."""

    def upload(self, container: str, name: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class ShipResult:
    """What one `ship` run sent."""

    container: str
    object_name: str | None
    records: int
    first_seq: int | None
    last_seq: int | None
    head_seq: int

    def to_json(self) -> dict[str, object]:
        return {"container": self.container, "object": self.object_name, "records": self.records,
                "first_seq": self.first_seq, "last_seq": self.last_seq, "head_seq": self.head_seq}


def marker_path(log: Path, container: str) -> Path:
    """Where the last head shipped to `container` is remembered."""
    return log.with_name(f"{log.name}.shipped-{container}.json")


def _shipped(marker: Path) -> Anchor | None:
    if not marker.exists():
        return None
    try:
        data = loads(read_input(marker, limit=1 << 16).decode("utf-8"))  # not a FIFO, not /dev/zero
        return Anchor(int(data["seq"]), str(data["hash"])) if data["seq"] else None
    except (ValueError, KeyError, TypeError, FileError) as exc:
        message = f"ship marker is damaged ({exc}); delete it to ship everything again"
        raise AuditError([Problem(str(marker), 0, 0, Code.MALFORMED, message)]) from None


def ship(log: Path, store: ObjectStore, container: str, ward: str | None = None) -> ShipResult:
    """Upload the records after the last shipped head (only those concerning `ward`, if given)."""
    marker = marker_path(log, container)
    shipped = _shipped(marker)
    result = verify(log, shipped)
    if result.problem is not None:
        raise AuditError([result.problem])
    after = shipped.seq if shipped and shipped.seq else 0
    lines: list[bytes] = []
    first = last = None
    for record in read_records(log):
        if record.seq > result.head_seq:
            break  # appended after verification: next run
        if record.seq > after and (ward is None or ward in record.wards):
            lines.append(record.line())
            first = first or record.seq
            last = record.seq
    name = None
    if lines:
        name = f"audit/{first:012d}-{last:012d}.jsonl"
        store.upload(container, name, b"".join(lines))
    if result.head_seq > after:
        write_atomic(marker, json.dumps({"seq": result.head_seq, "hash": result.head_hash, "object": name,
                                         "time": utc_now()}) + "\n")
    return ShipResult(container, name, len(lines), first, last, result.head_seq)


class SwiftStore:
    """ObjectStore over openstacksdk's object-store proxy; every failure through core.cloud's one
    translation (credentials masked, a closed port a located line), reported as AUD011."""

    def __init__(self, connection: Any, cloud: str = "OS_*") -> None:
        self._connection = connection
        self._cloud = cloud

    def upload(self, container: str, name: str, data: bytes) -> None:
        from wardcloud.core.cloud import CloudError, guarded

        try:
            guarded(self._cloud, "object-store", f"upload {container}/{name}",
                    lambda: self._connection.object_store.upload_object(container=container, name=name,
                                                                        data=data))
        except CloudError as exc:
            cause = exc.problems[0]
            raise AuditError([Problem(container, 0, 0, Code.SHIP,
                                      f"upload of {name} failed: {cause.code} {cause.message}")]) from None


    def list_objects(self, container: str) -> list[str]:
        """Every object name in `container` (AUD017 if it cannot be listed)."""
        from openstack import exceptions

        try:
            return [obj.name for obj in self._connection.object_store.objects(container)]
        except exceptions.SDKException as exc:
            raise AuditError([Problem(container, 0, 0, Code.REMOTE,
                                      f"cannot list the archive: {str(exc).splitlines()[0]}")]) from None

    def read_object(self, container: str, name: str) -> bytes:
        from openstack import exceptions

        try:
            return bytes(self._connection.object_store.download_object(name, container=container))
        except exceptions.SDKException as exc:
            raise AuditError([Problem(container, 0, 0, Code.REMOTE,
                                      f"cannot read {name}: {str(exc).splitlines()[0]}")]) from None


_CREDENTIALS_HELP = ("no OpenStack credentials: set OS_CLOUD (or --cloud) to an entry of clouds.yaml, "
                     "or OS_AUTH_URL and the other OS_* variables")


def connect_swift(cloud: str | None, environ: Mapping[str, str] = os.environ) -> SwiftStore:
    """A SwiftStore for `cloud` (clouds.yaml) or the OS_* variables; AuditError without credentials."""
    from openstack import config as os_config
    from openstack import connection

    name = cloud or environ.get("OS_CLOUD")
    try:
        region = os_config.OpenStackConfig(load_envvars=True).get_one(cloud=name)
    except Exception as exc:  # keystoneauth and openstacksdk raise several unrelated types here
        detail = mask_secrets(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise AuditError([Problem(name or "OS_*", 0, 0, Code.NO_CREDENTIALS,
                                  f"{_CREDENTIALS_HELP} ({detail})")]) from None
    if not (region.config.get("auth") or {}).get("auth_url"):
        raise AuditError([Problem(name or "OS_*", 0, 0, Code.NO_CREDENTIALS, _CREDENTIALS_HELP)])
    from wardcloud.core.cloud import guarded

    return SwiftStore(guarded(name or "OS_*", "object-store", "connect",
                              lambda: connection.Connection(config=region)), name or "OS_*")
