"""SHA-256 of the files an allocation was computed from, so a statement names exactly what it rests on."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from wardcloud.core.errors import single
from wardcloud.core.files import FileError, open_input
from wardcloud.reports.model import InputFile, ReportError


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with open_input(path) as handle:  # a FIFO or a device is refused, not read forever
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
    except FileError as exc:
        raise ReportError([single(str(path), "R040", f"cannot read input: {exc.problems[0].message}")]) from None
    except OSError as exc:
        raise ReportError([single(str(path), "R040", f"cannot read input: {exc.strerror or exc}")]) from exc
    return digest.hexdigest()


def describe_inputs(
    files: Iterable[tuple[str, Path | None]], tenants_dir: Path | None = None
) -> tuple[InputFile, ...]:
    """(role, path) pairs plus every tenant file under `tenants_dir`, each with its SHA-256."""
    result = [InputFile(role, str(path), sha256_file(path)) for role, path in files if path is not None]
    if tenants_dir is not None and tenants_dir.is_dir():
        for path in sorted(tenants_dir.glob("*.y*ml")):
            result.append(InputFile("tenant", str(path), sha256_file(path)))
    return tuple(result)
