"""What every command knows: where the tenants and the state live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Global options of `wardctl`, passed to commands through click's context."""

    tenants_dir: Path
    state_dir: Path
