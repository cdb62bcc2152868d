"""SHA-256 of the files an allocation was computed from, so a statement names exactly what it rests on."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from wardcloud.core.errors import single
from wardcloud.core.files import FileError, file_sha256
from wardcloud.reports.errors import Code
from wardcloud.reports.model import InputFile, ReportError
from wardcloud.tenants.model import Tenant


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    try:
        return file_sha256(path)  # a FIFO or a device is refused, not read forever
    except FileError as exc:
        message = f"cannot read input: {exc.problems[0].message}"
        raise ReportError([single(str(path), Code.UNREADABLE_INPUT, message)]) from None
    except OSError as exc:
        message = f"cannot read input: {exc.strerror or exc}"
        raise ReportError([single(str(path), Code.UNREADABLE_INPUT, message)]) from exc


def describe_inputs(
    files: Iterable[tuple[str, Path | None]], tenants: Iterable[Tenant] = ()
) -> tuple[InputFile, ...]:
    """(role, path) pairs plus the file of every tenant given (as loaded), each with its SHA-256."""
    result = [InputFile(role, str(path), sha256_file(path)) for role, path in files if path is not None]
    for source in sorted({tenant.source_file for tenant in tenants}):
        result.append(InputFile("tenant", source, sha256_file(Path(source))))
    return tuple(result)
