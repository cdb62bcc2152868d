"""Break-glass applies: one approval and a reason go through, and stay *unreviewed* until a second
signer — not the one who approved, not the one who applied — acknowledges a record of the run with
`wardctl audit ack RECORD --key KEY`, which appends a signed `audit ack` record naming it and the plan's
digest (one ack reviews every stack of that plan's run)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wardcloud.audit.log import read_records
from wardcloud.audit.record import Record
from wardcloud.audit.signers import load as load_signers
from wardcloud.governance.apply import Recorder
from wardcloud.governance.errors import Code, GovernanceError, problem
from wardcloud.governance.plans import SIGNERS_FILE
from wardcloud.governance.rules import PLAN_NAMESPACE

ACK = "audit ack"


def break_glass_of(record: Record) -> dict[str, Any] | None:
    """The break-glass note of an apply record, or None."""
    governance = record.summary.get("governance")
    note = governance.get("break_glass") if isinstance(governance, dict) else None
    return note if record.command == "apply" and isinstance(note, dict) else None


@dataclass(frozen=True)
class Review:
    """Break-glass records and whether each was acknowledged (by which record)."""

    records: tuple[Record, ...]
    acked: dict[str, int]  # plan digest → the ack record's seq (one ack reviews the whole run)

    def ack_of(self, record: Record) -> int | None:
        return self.acked.get(str(record.summary["governance"].get("plan")))

    def unreviewed(self) -> tuple[Record, ...]:
        return tuple(r for r in self.records if self.ack_of(r) is None)

    def to_json(self) -> list[dict[str, Any]]:
        return [{"seq": r.seq, "time": r.time, "actor": r.actor, "wards": list(r.wards),
                 "reason": (break_glass_of(r) or {}).get("reason"), "reviewed": self.ack_of(r) is not None,
                 "ack": self.ack_of(r)} for r in self.records]


def review(records: Iterable[Record]) -> Review:
    """Every break-glass apply record (its `started` one stands for the run) and its acks."""
    found: list[Record] = []
    acked: dict[str, int] = {}
    for record in records:
        if record.command == ACK and isinstance(record.summary.get("plan"), str) and record.sig is not None:
            acked.setdefault(record.summary["plan"], record.seq)
        elif break_glass_of(record) is not None and record.outcome == "started":
            found.append(record)
    return Review(tuple(found), acked)


def ack(log: Path, seq: int, governance_dir: Path, recorder: Recorder) -> Record:
    """Acknowledge break-glass record `seq` with the recorder's key; GOV010 when it is not one, was
    acked already, or the key approved or applied it (a review is a second person)."""
    assert recorder.key is not None
    key = recorder.key
    records = {r.seq: r for r in read_records(log)}
    target = records.get(seq)

    def refuse(message: str) -> GovernanceError:
        return GovernanceError([problem(f"record {seq}", Code.ACK, message)])

    if target is None or break_glass_of(target) is None or target.outcome != "started":
        raise refuse("not a break-glass apply record (ack the `started` record `audit log` marks)")
    if review(records.values()).ack_of(target) is not None:
        raise refuse("already acknowledged")
    signers = load_signers(governance_dir / SIGNERS_FILE)
    signer = signers.by_fingerprint(key.fingerprint)
    if signer is None or not signer.may_sign(PLAN_NAMESPACE, datetime.now(UTC)):
        raise refuse(f"key {key.fingerprint} is not an allowed signer in {signers.path}")
    approvers = {a.get("fingerprint") for a in target.summary["governance"].get("approvals", [])}
    if key.fingerprint == target.actor or key.fingerprint in approvers:
        raise refuse("the reviewer must be a second person: this key approved or applied the change")
    return recorder.record(ACK, {}, "success", 0,
                           {"ack": seq, "plan": target.summary["governance"].get("plan"),
                            "reviewer": signer.name}, target.wards)
