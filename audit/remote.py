"""`audit verify --remote`: compare the shipped Swift archive with the local chain and checkpoints.

Every record the log says was shipped to a container (up to the head in `<log>.shipped-<container>.json`,
or the highest record the archive holds) must be in exactly one `audit/<first>-<last>.jsonl` object, byte
for byte the record's line in the local log; every checkpoint's head must match the archived record at its
count. Reported, each as one AUD017 problem: a range of records missing (an object deleted), an object
whose lines differ from the local log (altered there, or here), a record the archive holds but the local
log lacks (the local log truncated), an object with an unexpected name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from wardcloud.audit.checkpoint import saved_checkpoints
from wardcloud.audit.errors import AuditError, Code, Problem
from wardcloud.audit.log import read_records, verify
from wardcloud.audit.ship import _shipped, marker_path

OBJECT_NAME = re.compile(r"^audit/(\d{12})-(\d{12})\.jsonl$")


class ArchiveReader(Protocol):
    """Read access to the archive container."""

    def list_objects(self, container: str) -> list[str]: ...

    def read_object(self, container: str, name: str) -> bytes: ...


@dataclass(frozen=True)
class RemoteReport:
    container: str
    objects: int
    archived: int  # records found in the archive
    expected: int  # records the archive should hold
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"container": self.container, "objects": self.objects, "archived": self.archived,
                "expected": self.expected, "valid": self.valid, "problems": [p.to_json() for p in self.problems]}


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    return spans


def verify_remote(log: Path, reader: ArchiveReader, container: str, ward: str | None = None) -> RemoteReport:
    """Every missing or altered object of `container` against the verified local log (AUD017 each)."""
    result = verify(log)
    if result.problem is not None:
        raise AuditError([result.problem])
    where = f"swift:{container}"
    local = {r.seq: r for r in read_records(log) if r.seq <= result.head_seq}
    problems: list[Problem] = []
    archived: dict[int, bytes] = {}
    names = reader.list_objects(container)
    for name in sorted(names):
        match = OBJECT_NAME.match(name)
        if match is None:
            if name.startswith("audit/"):
                problems.append(Problem(where, 0, 0, Code.REMOTE, f"{name}: not an archive object name"))
            continue
        first, last = int(match.group(1)), int(match.group(2))
        lines = reader.read_object(container, name).splitlines(keepends=True)
        altered = []
        for line in lines:
            try:
                seq = json.loads(line)["seq"]
            except (ValueError, KeyError, TypeError):
                altered.append(f"a line that is not a record ({line[:40]!r})")
                continue
            if not isinstance(seq, int) or not first <= seq <= last:
                altered.append(f"record {seq} outside the object's range {first}..{last}")
                continue
            archived[seq] = line
            if seq not in local:
                problems.append(Problem(where, seq, 0, Code.REMOTE,
                                        f"{name}: holds record {seq}, which the local log lacks (local log "
                                        "truncated?)"))
            elif local[seq].line() != line:
                altered.append(f"record {seq} differs from the local log")
        if ward is None and len(lines) != last - first + 1:
            altered.append(f"{len(lines)} lines for records {first}..{last}")
        if altered:
            problems.append(Problem(where, first, 0, Code.REMOTE, f"{name}: altered: {'; '.join(altered[:3])}"
                                    + (f" (and {len(altered) - 3} more)" if len(altered) > 3 else "")))
    shipped = _shipped(marker_path(log, container))
    upto: int = max([(shipped.seq or 0) if shipped else 0, *archived])
    expected = [seq for seq, record in local.items() if seq <= upto and (ward is None or ward in record.wards)]
    missing = [seq for seq in expected if seq not in archived]
    for first, last in _ranges(missing):
        span = f"record {first}" if first == last else f"records {first}..{last}"
        problems.append(Problem(where, first, 0, Code.REMOTE,
                                f"{span} missing from the archive (object deleted?)"))
    for _path, checkpoint in saved_checkpoints(log):
        stored = archived.get(checkpoint.size)
        if stored is not None and json.loads(stored).get("hash") != checkpoint.head:
            problems.append(Problem(where, checkpoint.size, 0, Code.REMOTE,
                                    f"archived record {checkpoint.size} is not checkpoint {checkpoint.size}'s head"))
    return RemoteReport(container, len(names), len(archived), len(expected), tuple(sorted(problems)))
