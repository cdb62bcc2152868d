"""What every command knows: where the tenants and the state live."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from wardcloud.core.errors import Problem
from wardcloud.tenants.problems import Code as TenantCode

if TYPE_CHECKING:  # loaded by the commands that use them: `wardctl --help` hashes nothing
    from wardcloud.audit.digest import DigestCache
    from wardcloud.core.verdicts import Verdicts

_MISSING_TENANTS = (TenantCode.NOT_FOUND, TenantCode.NO_TENANTS)
_TENANTS_HINT = ("; run from the repository root, or give the ward files' directory with --tenants DIR"
                 " or WARDCTL_TENANTS")


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
        from wardcloud.core.verdicts import Verdicts

        return Verdicts(self.state_dir / "cache" / "verdicts")

    @property
    def digests(self) -> DigestCache:
        """SHA-256 of big input files by their stat identity, for audit records (STATE/cache/digests)."""
        from wardcloud.audit.digest import DigestCache

        return DigestCache(self.state_dir / "cache" / "digests")

    def explain(self, problems: Iterable[Problem]) -> list[Problem]:
        """`problems`, saying how to point at the ward files where the tenants directory is missing or empty.

        The default `tenants/wards` is relative: run outside the repository, every command would otherwise
        answer only "no such file or directory".
        """
        where = str(self.tenants_dir)
        return [
            replace(p, message=p.message + _TENANTS_HINT) if p.code in _MISSING_TENANTS and p.file == where else p
            for p in problems
        ]
