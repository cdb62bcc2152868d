"""What the backup service sees of one ward in Cinder: its volumes and the backups of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TAG = "wardcloud"  # metadata key on every backup the service makes; its value is the ward's code
GOOD = "available"
IN_PROGRESS = ("creating", "backing-up")
UNCLASSIFIED = "unclassified"  # a volume without `segment` metadata


@dataclass(frozen=True)
class Volume:
    """A ward volume; its segment is the `segment` metadata the platform sets when it makes one."""

    id: str
    name: str
    size_gb: int
    status: str
    segment: str = UNCLASSIFIED
    volume_type: str = ""


@dataclass(frozen=True)
class Backup:
    """A Cinder backup; `managed` when the backup service made it (metadata `wardcloud`)."""

    id: str
    name: str
    volume_id: str
    status: str
    size_gb: int
    created_at: datetime
    incremental: bool
    has_dependents: bool
    managed: bool
    segment: str = UNCLASSIFIED
    container: str = ""

    @property
    def good(self) -> bool:
        return self.status == GOOD


@dataclass(frozen=True)
class WardState:
    """A ward's project and what Cinder holds in it."""

    ward: str
    project_id: str
    volumes: tuple[Volume, ...]
    backups: tuple[Backup, ...]

    def backups_of(self, volume_id: str) -> list[Backup]:
        """The service's backups of one volume, oldest first."""
        return sorted((b for b in self.backups if b.managed and b.volume_id == volume_id),
                      key=lambda b: (b.created_at, b.id))


def container_for(ward: str, segment: str) -> str:
    """The Swift container a segment's backups go to: the ward stack's `<code6>-<segment>-backup`."""
    return f"{ward}-{segment}-backup"
