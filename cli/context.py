"""What every command knows: where the tenants and the state live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Global options of `wardctl`, passed to commands through click's context."""

    tenants_dir: Path
    state_dir: Path
    actor: str | None = None  # --actor / WARDCTL_ACTOR; None: the OS user (audit.recorder.resolve_actor)
    audit_log: Path | None = None  # --audit-log / WARDCTL_AUDIT_LOG; None: <state_dir>/audit.jsonl
