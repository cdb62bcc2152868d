"""The backup service's hands on the cloud: read a ward's volumes and backups, take, wait, delete, restore.

Every call runs in a connection scoped to the ward's own project, so backups belong to the ward and
cinder-backup's Swift driver (per-user auth) writes them into the ward's own Swift account, into the
segment's `<code6>-<segment>-backup` container that the ward stack declares. The account running
`wardctl backup` needs a role on each ward project (docs/backup.md). Every failure is a CloudError line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wardcloud.backup.model import TAG, UNCLASSIFIED, Backup, Volume, WardState
from wardcloud.core.cloud import Cloud, guarded
from wardcloud.core.errors import WardcloudError
from wardcloud.live.inventory import DOMAIN_NAME

POLL = 2.0  # seconds between status reads while waiting on Cinder


@dataclass(frozen=True)
class WardCloud:
    """A connection scoped to one ward's project."""

    ward: str
    project_id: str
    cloud: Cloud

    def call(self, call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.cloud.call("block-storage", call, fn, *args, **kwargs)

    def proxy(self, attribute: str) -> Any:
        """The SDK's proxy (`block_storage`, `object_store`), opened under the same error translation as a call:
        a service missing from the catalog or disabled is a LIVE006 line, not an internal error."""
        service = attribute.replace("_", "-")
        return guarded(self.cloud.name, service, f"open {service}", lambda: getattr(self.cloud.connection, attribute))


def ward_projects(cloud: Cloud, domain_name: str = DOMAIN_NAME) -> dict[str, str]:
    """Ward code → project id, for the projects of the consortium domain tagged `ward:<code6>`."""
    identity = cloud.connection.identity
    domains = cloud.call("identity", "find domain", lambda: list(identity.domains(name=domain_name)))
    if not domains:
        return {}
    projects = cloud.call("identity", "list projects", identity.projects, domain_id=domains[0].id)
    found: dict[str, str] = {}
    for project in projects:
        for tag in project.tags or ():
            if tag.startswith("ward:"):
                found[tag.removeprefix("ward:")] = project.id
    return found


def scoped(cloud: Cloud, ward: str, project_id: str) -> WardCloud:
    """The same credentials, scoped to the ward's project (and its own Swift account)."""
    connection = cloud.call("identity", f"scope to project of ward {ward}",
                            cloud.connection.connect_as_project, {"id": project_id})
    _own_swift_account(connection, cloud.connection, project_id)
    return WardCloud(ward, project_id, Cloud(cloud.name, connection))


def _own_swift_account(connection: Any, parent: Any, project_id: str) -> None:
    """Point a scoped connection at its project's Swift account, not the parent's.

    Once a connection has used Swift, openstacksdk pins the endpoint it resolved, the account of the
    connection's own project included, into its config (`object_store_endpoint_override`), and
    connect_as_project copies that config: the ward's connection would read (and cinder-backup's checks
    compare) the admin project's account, and Swift answers 403. `wardctl drift` reads every account before
    the backup rules run, so it did exactly that.
    """
    pinned = connection.config.config.get("object_store_endpoint_override")
    if pinned and (own := f"AUTH_{parent.current_project_id}") in pinned:
        connection.config.config["object_store_endpoint_override"] = pinned.replace(own, f"AUTH_{project_id}")


def read_state(ward: WardCloud) -> WardState:
    """The ward's volumes and backups as Cinder holds them now."""
    storage = ward.proxy("block_storage")
    volumes = ward.call("list volumes", storage.volumes, details=True)
    backups = ward.call("list backups", storage.backups, details=True)
    return WardState(
        ward.ward,
        ward.project_id,
        tuple(_volume(v) for v in volumes),
        tuple(_backup(ward.ward, b) for b in backups),
    )


def _volume(raw: Any) -> Volume:
    metadata = raw.metadata or {}
    return Volume(raw.id, raw.name or raw.id, int(raw.size or 0), str(raw.status),
                  str(metadata.get("segment") or UNCLASSIFIED), str(raw.volume_type or ""))


def _backup(ward: str, raw: Any) -> Backup:
    metadata = raw.metadata or {}
    return Backup(
        raw.id, raw.name or raw.id, raw.volume_id, str(raw.status), int(raw.size or 0),
        parse_time(raw.created_at), bool(raw.is_incremental), bool(raw.has_dependent_backups),
        metadata.get(TAG) == ward, str(metadata.get("segment") or UNCLASSIFIED), raw.container or "",
    )


def parse_time(text: str | None) -> datetime:
    """Cinder's timestamps are UTC without a zone (`2026-12-02T03:04:05.000000`)."""
    if not text:
        return datetime.fromtimestamp(0, UTC)
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def create_backup(ward: WardCloud, volume: Volume, *, name: str, container: str, incremental: bool,
                  metadata: Mapping[str, str]) -> str:
    """Start one backup; its id. An in-use volume is backed up live (`force`), as Cinder allows."""
    storage = ward.proxy("block_storage")
    created = ward.call(
        f"create backup of volume {volume.id}", storage.create_backup, volume_id=volume.id, name=name,
        container=container, is_incremental=incremental, force=volume.status == "in-use",
        metadata=dict(metadata), description=f"wardcloud backup of {volume.name} ({volume.segment})",
    )
    return str(created.id)


def wait_backup(ward: WardCloud, backup_id: str, timeout: float,
                clock: Callable[[], float] = time.monotonic) -> tuple[str, str]:
    """Poll until the backup leaves its in-progress states or `timeout` passes: (status, fail reason)."""
    storage = ward.proxy("block_storage")
    deadline = clock() + timeout
    while True:
        current = ward.call(f"get backup {backup_id}", storage.get_backup, backup_id)
        status = str(current.status)
        if status not in ("creating", "backing-up", "restoring", "deleting") or clock() >= deadline:
            return status, str(current.fail_reason or "")
        time.sleep(POLL)


def has_dependents(ward: WardCloud, backup_id: str) -> bool:
    """Whether an incremental still chains to the backup (read fresh: earlier deletions change it)."""
    storage = ward.proxy("block_storage")
    return bool(ward.call(f"get backup {backup_id}", storage.get_backup, backup_id).has_dependent_backups)


def delete_backup(ward: WardCloud, backup_id: str) -> None:
    storage = ward.proxy("block_storage")
    ward.call(f"delete backup {backup_id}", storage.delete_backup, backup_id, ignore_missing=True)


def create_volume(ward: WardCloud, *, name: str, size_gb: int, volume_type: str = "",
                  metadata: Mapping[str, str] | None = None) -> str:
    storage = ward.proxy("block_storage")
    attrs: dict[str, Any] = {"name": name, "size": size_gb, "metadata": dict(metadata or {})}
    if volume_type:
        attrs["volume_type"] = volume_type
    return str(ward.call(f"create volume {name}", storage.create_volume, **attrs).id)


def wait_volume(ward: WardCloud, volume_id: str, timeout: float,
                clock: Callable[[], float] = time.monotonic) -> Volume:
    """Poll until the volume leaves its in-progress states or `timeout` passes."""
    storage = ward.proxy("block_storage")
    deadline = clock() + timeout
    while True:
        volume = _volume(ward.call(f"get volume {volume_id}", storage.get_volume, volume_id))
        if volume.status not in ("creating", "restoring-backup", "downloading") or clock() >= deadline:
            return volume
        time.sleep(POLL)


def restore_backup(ward: WardCloud, backup_id: str, volume_id: str) -> None:
    storage = ward.proxy("block_storage")
    ward.call(f"restore backup {backup_id}", storage.restore_backup, backup_id, volume=volume_id)


def delete_volume(ward: WardCloud, volume_id: str) -> None:
    storage = ward.proxy("block_storage")
    ward.call(f"delete volume {volume_id}", storage.delete_volume, volume_id, ignore_missing=True)


@dataclass(frozen=True)
class StoredObject:
    """One object of a backup container: what container sync must carry to the other site."""

    name: str
    hash: str
    last_modified: datetime


def container_sync_to(ward: WardCloud, container: str) -> str | None:
    """Where the container syncs to (`X-Container-Sync-To`), or None; None too when it does not exist."""
    store = ward.proxy("object_store")
    try:
        found = ward.cloud.call("object-store", f"head container {container}", store.get_container_metadata,
                                container)
    except WardcloudError as exc:
        if any("404" in p.message or "Not Found" in p.message for p in exc.problems):
            return None
        raise
    return str(found.sync_to) if found.sync_to else None


def container_objects(ward: WardCloud, container: str) -> dict[str, StoredObject] | None:
    """The container's objects by name, or None when the container does not exist at this site."""
    store = ward.proxy("object_store")
    try:
        listed = ward.cloud.call("object-store", f"list container {container}", store.objects, container)
    except WardcloudError as exc:
        if any("404" in p.message or "Not Found" in p.message for p in exc.problems):
            return None
        raise
    return {o.name: StoredObject(o.name, str(o._hash or o.etag or ""), parse_time(o._last_modified))
            for o in listed}
