"""Problems the backup service reports: one located line each."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import WardcloudError


class Code(StrEnum):
    """Stable problem codes of `wardctl backup`; documented in docs/errors.md and docs/backup.md."""

    UNKNOWN_WARD = "BKP001"  # --ward names no ward of the consortium
    NO_PROJECT = "BKP002"  # the ward has no project in the cloud (not applied yet)
    BACKUP_ERROR = "BKP004"  # a backup ended in `error` or did not finish in time: not counted as good
    NO_BACKUP = "BKP006"  # restore drill: the ward has no good backup to restore
    DRILL_FAILED = "BKP007"  # restore drill: the restored volume failed a check
    NO_VOLUME = "BKP008"  # restore drill: --volume names no volume of the ward
    CLOCK = "BKP009"  # --now is not an ISO 8601 time with a zone


class BackupError(WardcloudError):
    """A backup command could not do (all of) its work; each problem is one line."""
