"""What a record says of a command's inputs: each file's path and SHA-256, a directory's listing hash.

Kept apart from the log code so a command can start hashing its inputs before it has loaded anything else.

A big file's digest may come from a `DigestCache`, the way git's index and Bazel's digest cache work: an
entry counts only while the file's device, inode, size, modification time and change time are all what
they were when it was hashed. Every write changes the change time, which the kernel sets and no user
command can; a file written within a second of being hashed is never cached, so a write in the same clock
tick cannot go unseen.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardcloud.core.files import file_sha256

CACHED_FROM_BYTES = 1 << 20  # below 1 MiB hashing is quicker than looking the digest up


@dataclass(frozen=True)
class DigestCache:
    """SHA-256 of big files, remembered under `directory` by their stat identity; None: never remembered."""

    directory: Path | None
    settle_seconds: float = 1.0  # a file written this recently is hashed but not remembered

    def file_sha256(self, path: Path) -> str:
        """The file's SHA-256: remembered if its identity is unchanged, else computed (and remembered)."""
        before = os.stat(path)
        if self.directory is None or before.st_size < CACHED_FROM_BYTES:
            return file_sha256(path)
        entry = self.directory / _identity(path, before)
        from wardcloud.core.files import FileError, read_input  # late: startup imports this module

        try:
            remembered = read_input(entry, limit=64).decode("ascii")  # a planted FIFO is refused, not waited on
        except (FileError, UnicodeDecodeError):
            remembered = ""
        if len(remembered) == 64 and all(c in "0123456789abcdef" for c in remembered):
            return remembered
        digest = file_sha256(path)
        settled = time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) > self.settle_seconds * 1e9
        if settled and _same_file(before, os.stat(path)):
            try:  # a cache that cannot be written only costs speed
                self.directory.mkdir(parents=True, exist_ok=True)
                entry.write_text(digest, encoding="ascii")
            except OSError:
                pass
        return digest


def _identity(path: Path, stat: os.stat_result) -> str:
    key = (f"{os.path.realpath(path)}\0{stat.st_dev}\0{stat.st_ino}\0{stat.st_size}\0"
           f"{stat.st_mtime_ns}\0{stat.st_ctime_ns}")
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns, a.st_ctime_ns) == (
        b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns, b.st_ctime_ns)


def input_digest(path: Path, cache: DigestCache | None = None) -> dict[str, Any]:
    """`{"path", "sha256"}` for a file; for a directory the hash of its sorted `relpath NUL sha256` lines
    and the file count; `sha256: null` if the input does not exist or cannot be read (a failed run still
    gets recorded; the command itself reports why it could not read it)."""
    try:
        return _input_digest(path, cache)
    except OSError as exc:
        return {"path": str(path), "sha256": None, "error": exc.strerror or type(exc).__name__}


def _input_digest(path: Path, cache: DigestCache | None) -> dict[str, Any]:
    if path.is_file():
        return {"path": str(path), "sha256": cache.file_sha256(path) if cache else file_sha256(path)}
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = "".join(f"{p.relative_to(path).as_posix()}\0{file_sha256(p)}\n" for p in files)
        listing_sha = hashlib.sha256(listing.encode()).hexdigest()
        return {"path": str(path), "sha256": listing_sha, "files": len(files)}
    return {"path": str(path), "sha256": None}


def digest_inputs(
    inputs: Mapping[str, Path | None], cache: DigestCache | None = None
) -> dict[str, dict[str, Any]]:
    """`input_digest` of every input given (None: the option was not used, so nothing is recorded)."""
    return {name: input_digest(Path(p), cache) for name, p in inputs.items() if p is not None}
