"""Remember which exact inputs passed validation, so commands do not re-validate files that did not change.

A verdict is keyed by the SHA-256 of everything the outcome depends on: the kind of check, the source of
the code that checks (so editing a validator or a schema invalidates every verdict), and each input's name
and bytes. Only passes are stored, as empty marker files: the values a command uses are always parsed
from the files themselves, never from the cache, so a planted marker can at most skip a check on bytes
that `wardctl validate` (which never reads verdicts) still rejects. Deleting the directory is always safe.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def source_digest(paths: Iterable[Path]) -> bytes:
    """SHA-256 of files' names and bytes, in the order given: a fingerprint of the checking code."""
    sha = hashlib.sha256()
    for path in paths:
        _feed(sha, path.name.encode())
        _feed(sha, path.read_bytes())
    return sha.digest()


def _feed(sha: hashlib._Hash, part: bytes) -> None:
    sha.update(len(part).to_bytes(8, "big"))  # length-prefixed: ("ab", "c") and ("a", "bc") differ
    sha.update(part)


@dataclass(frozen=True)
class Verdicts:
    """Pass markers under `directory`; with `directory=None` nothing is remembered."""

    directory: Path | None

    def key(self, kind: str, checker: bytes, inputs: Sequence[tuple[str, bytes]]) -> str:
        """The verdict key of `inputs` (name, bytes) checked by code with fingerprint `checker`."""
        sha = hashlib.sha256()
        _feed(sha, kind.encode())
        _feed(sha, checker)
        for name, data in inputs:
            _feed(sha, name.encode())
            _feed(sha, data)
        return sha.hexdigest()

    def _marker(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / key[:2] / key

    def passed(self, key: str) -> bool:
        """True when exactly these inputs passed before."""
        marker = self._marker(key)
        return marker is not None and marker.is_file()

    def remember_pass(self, key: str) -> None:
        """Record a pass; a cache that cannot be written (read-only disk) only costs speed, so it is ignored."""
        marker = self._marker(key)
        if marker is None:
            return
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o644))
        except OSError:
            pass
