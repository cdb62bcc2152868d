"""Where the backup commands write their audit records: one record per action, written by the library."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wardcloud.audit.log import log_path, read_records
from wardcloud.audit.recorder import record

RUN, DRILL = "backup run", "backup restore-drill"


@dataclass(frozen=True)
class AuditTrail:
    """The log the backup commands append to, and who is acting."""

    state_dir: Path
    actor: str | None = None
    audit_log: Path | None = None
    argv: tuple[str, ...] = ()

    def write(self, command: str, outcome: str, summary: Mapping[str, Any], wards: Sequence[str]) -> None:
        """Append one record; a failure to write stops the command (the action is not unrecorded)."""
        record(self.state_dir, self.actor, command, self.argv, {}, outcome, 0 if outcome == "success" else 1,
               summary, wards=wards, audit_log=self.audit_log)

    def records(self, command: str) -> Iterator[tuple[datetime, str, Mapping[str, Any]]]:
        """(time, outcome, summary) of every record of `command`, oldest first; nothing when there is no log."""
        path = log_path(self.state_dir, self.audit_log)
        if not path.exists():
            return
        for rec in read_records(path):
            if rec.command == command:
                yield datetime.fromisoformat(rec.time.replace("Z", "+00:00")), rec.outcome, rec.summary
