"""The issued-statement ledger: every statement sent to the wards, by period and issue number.

`STATE/ledger/<YYYY-MM>/<NNN>.json` (numbered from 001). An issue records its inputs by SHA-256, each ward's
operating, buy-in and total yen, and the whole statement JSON. Files are created exclusively (never
replaced): re-issuing a period whose statement changed adds a **correction** (訂正) recording the
difference (差額) per ward against the issue it corrects; re-issuing the same statement adds nothing.
A period's standing figures are those of its latest issue.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wardcloud.core.files import file_sha256
from wardcloud.cost_allocation.errors import Code, CostError, Problem

_ISSUE_FILE = re.compile(r"^(\d{3,})\.json$")


@dataclass(frozen=True)
class WardTotals:
    """What one ward was charged in an issued statement."""

    operating: int
    buy_in: int
    total: int


@dataclass(frozen=True)
class Issue:
    """One issued statement (or correction) of one period."""

    period: str
    number: int
    issued_at: str
    actor: str
    inputs: Mapping[str, str]  # role → SHA-256 (tenant files as tenant:<name>)
    total: int
    wards: Mapping[str, WardTotals]
    statement: Mapping[str, Any]
    corrects: int | None = None
    difference: Mapping[str, int] | None = None  # 差額 per ward: this issue's total − the corrected issue's
    file: str = ""

    @property
    def kind(self) -> str:
        return "original" if self.corrects is None else "correction"

    def to_json(self) -> dict[str, Any]:
        """The record as stored (and as `--format json` shows it under `issue`)."""
        return {
            "period": self.period,
            "number": self.number,
            "kind": self.kind,
            "corrects": self.corrects,
            "issued_at": self.issued_at,
            "actor": self.actor,
            "inputs": dict(self.inputs),
            "total": self.total,
            "wards": {
                code: {"operating": w.operating, "buy_in": w.buy_in, "total": w.total} for code, w in self.wards.items()
            },
            "difference": dict(self.difference) if self.difference is not None else None,
            "statement": dict(self.statement),
        }


def input_digests(files: Sequence[tuple[str, Path | None]], tenants_dir: Path | None) -> dict[str, str]:
    """(role, path) pairs and every tenant file, each by SHA-256, in a stable order."""
    out = {role: file_sha256(path) for role, path in files if path is not None}
    if tenants_dir is not None and tenants_dir.is_dir():
        for path in sorted(tenants_dir.glob("*.y*ml")):
            out[f"tenant:{path.name}"] = file_sha256(path)
    return out


class Ledger:
    """The ledger under a state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "ledger"

    def issues(self, period: str) -> list[Issue]:
        """Every issue of `period`, oldest first."""
        folder = self.root / period
        if not folder.is_dir():
            return []
        numbered = sorted((int(m.group(1)), path) for path in folder.iterdir() if (m := _ISSUE_FILE.match(path.name)))
        return [_read(path) for _, path in numbered]

    def latest(self, period: str) -> Issue | None:
        """The standing issue of `period` (its latest correction), or None when never issued."""
        issues = self.issues(period)
        return issues[-1] if issues else None

    def prepare(
        self, statement: Mapping[str, Any], inputs: Mapping[str, str], actor: str, now: datetime
    ) -> Issue | None:
        """The issue `statement` would make: the first, a correction, or None when it repeats the latest."""
        period = str(statement["period"])
        wards = {
            str(w["code"]): WardTotals(int(w["operating"]), int(w["buy_in"]), int(w["total"]))
            for w in statement["wards"]
        }
        previous = self.latest(period)
        if previous is not None and previous.statement == statement and dict(previous.inputs) == dict(inputs):
            return None
        difference = None
        if previous is not None:
            codes = sorted(set(wards) | set(previous.wards))
            difference = {
                code: (wards[code].total if code in wards else 0)
                - (previous.wards[code].total if code in previous.wards else 0)
                for code in codes
            }
        return Issue(
            period=period,
            number=(previous.number + 1) if previous else 1,
            issued_at=now.isoformat(timespec="seconds"),
            actor=actor,
            inputs=dict(inputs),
            total=int(statement["total"]),
            wards=wards,
            statement=statement,
            corrects=previous.number if previous else None,
            difference=difference,
        )

    def record(self, issue: Issue) -> Path:
        """Write the issue exclusively (a concurrent issue of the same number fails, never overwrites)."""
        folder = self.root / issue.period
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{issue.number:03d}.json"
        data = json.dumps(issue.to_json(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".issue.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, target)  # atomic and never replacing: two issuers cannot both be no. N
            except FileExistsError as exc:
                raise CostError(
                    [Problem(str(target), 0, 0, Code.LEDGER, "issued concurrently by someone else; run it again")]
                ) from exc
        finally:
            Path(tmp).unlink(missing_ok=True)
        return target


def _read(path: Path) -> Issue:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Issue(
            period=raw["period"],
            number=int(raw["number"]),
            issued_at=raw["issued_at"],
            actor=raw["actor"],
            inputs=raw["inputs"],
            total=int(raw["total"]),
            wards={
                c: WardTotals(int(w["operating"]), int(w["buy_in"]), int(w["total"])) for c, w in raw["wards"].items()
            },
            statement=raw["statement"],
            corrects=raw.get("corrects"),
            difference=raw.get("difference"),
            file=str(path),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CostError([Problem(str(path), 0, 0, Code.LEDGER, f"not a ledger record: {exc}")]) from exc


def render_issue(issue: Issue, names: Mapping[str, str]) -> str:
    """The text a person sees after a statement is issued; a correction lists the 差額 per ward."""
    if issue.corrects is None:
        return f"Issued {issue.period} no. {issue.number} ({issue.file or 'ledger'}).\n"
    lines = [
        f"Issued {issue.period} no. {issue.number}: a correction (訂正) of no. {issue.corrects}.",
        "",
        f"{'code':<7} {'previous':>14} {'corrected':>14} {'差額':>12}  name",
    ]
    assert issue.difference is not None
    for code, delta in issue.difference.items():
        now = issue.wards[code].total if code in issue.wards else 0
        lines.append(f"{code:<7} {now - delta:>14,} {now:>14,} {delta:>+14,}  {names.get(code, '')}".rstrip())
    lines.append(f"{'TOTAL':<7} {'':>14} {'':>14} {sum(issue.difference.values()):>+14,}")
    return "\n".join(lines) + "\n"
