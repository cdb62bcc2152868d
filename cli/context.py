"""What every command knows: where the tenants and the state live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wardcloud.audit.digest import DigestCache
from wardcloud.core.verdicts import Verdicts


@dataclass(frozen=True)
class Settings:
    """Global options of `wardctl`, passed to commands through click's context."""

    tenants_dir: Path
    state_dir: Path
    actor: str | None = None  # --actor / WARDCTL_ACTOR; None: the OS user (audit.recorder.resolve_actor)
    audit_log: Path | None = None  # --audit-log / WARDCTL_AUDIT_LOG; None: <state_dir>/audit.jsonl

    @property
    def verdicts(self) -> Verdicts:
        """Which tenant and rules files already passed validation (STATE/cache/verdicts; safe to delete)."""
        return Verdicts(self.state_dir / "cache" / "verdicts")

    @property
    def digests(self) -> DigestCache:
        """SHA-256 of big input files by their stat identity, for audit records (STATE/cache/digests)."""
        return DigestCache(self.state_dir / "cache" / "digests")
