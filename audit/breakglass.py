"""Break-glass applies and their reviews, as the audit log holds them.

`wardctl apply --break-glass --reason TEXT` goes through with one approval; the `started` record of each
stack it applies carries `summary.governance: {plan, approvals, break_glass: {reason, reviewed: false}}`.
The application stays *unreviewed* until a second signer acknowledges it with `wardctl audit ack SEQ`
(governance/breakglass.py writes that signed `audit ack` record naming the plan's digest: one ack reviews
every stack of the plan's break-glass records before it).

This module only reads, so `audit log`, `policy check` and `wardctl report` agree on what is unreviewed.
An ack counts only when its signature verifies and its signer neither applied nor approved the change
(and, given `signers`, is an allowed signer): whoever can write the log cannot clear a break-glass with a
record they made themselves.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wardcloud.audit.authenticate import Authenticator
from wardcloud.audit.log import read_records
from wardcloud.audit.record import Record

if TYPE_CHECKING:
    from wardcloud.audit.signers import Signers

ACK = "audit ack"
PLATFORM_STACK = "platform"
# Only lines holding one of these are parsed: a long log is scanned for them, not decoded record by record.
_MARKS = (b'"break_glass"', b'"command":"audit ack"')


def break_glass_of(record: Record) -> Mapping[str, Any] | None:
    """The break-glass note of an apply record, or None."""
    governance = record.summary.get("governance")
    note = governance.get("break_glass") if isinstance(governance, Mapping) else None
    return note if record.command == "apply" and isinstance(note, Mapping) else None


def _plan(record: Record) -> str | None:
    governance = record.summary.get("governance")
    plan = governance.get("plan") if isinstance(governance, Mapping) else None
    return plan if isinstance(plan, str) else None


def _approvers(record: Record) -> frozenset[str]:
    governance = record.summary.get("governance")
    approvals = governance.get("approvals") if isinstance(governance, Mapping) else None
    if not isinstance(approvals, list):
        return frozenset()
    return frozenset(str(a["fingerprint"]) for a in approvals if isinstance(a, Mapping) and "fingerprint" in a)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class BreakGlassApply:
    """One break-glass application of a saved plan: the `started` record of each stack it applied."""

    log: str
    plan: str  # the plan's digest, which the ack names
    records: tuple[Record, ...]  # oldest first; `audit ack` takes any of them, the first is the one shown
    ack: Record | None = None  # the review that counts; None while unreviewed

    @property
    def record(self) -> Record:
        return self.records[0]

    @property
    def reviewed(self) -> bool:
        return self.ack is not None

    @property
    def reason(self) -> str:
        return str((break_glass_of(self.record) or {}).get("reason") or "")

    @property
    def stacks(self) -> tuple[str, ...]:
        return _unique(str(r.summary.get("stack")) for r in self.records)

    @property
    def wards(self) -> tuple[str, ...]:
        return tuple(sorted({ward for r in self.records for ward in r.wards}))

    @property
    def appliers(self) -> tuple[str, ...]:
        """Who applied: the signing keys' fingerprints (a signed record's actor)."""
        return _unique(r.actor for r in self.records)

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(sorted({f for r in self.records for f in _approvers(r)}))

    def concerns(self, wards: Collection[str]) -> bool:
        """Whether a check of `wards` (every ward when empty) should name it: it changed one of them, or the
        platform stack every ward stands on."""
        return not wards or PLATFORM_STACK in self.stacks or bool(set(self.wards) & set(wards))

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.record.seq,
            "hash": self.record.hash,
            "time": self.record.time,
            "log": self.log,
            "plan": self.plan,
            "stacks": list(self.stacks),
            "wards": list(self.wards),
            "applied_by": list(self.appliers),
            "approved_by": list(self.approvers),
            "reason": self.reason,
            "records": [r.seq for r in self.records],
            "reviewed": self.reviewed,
            "ack": self.ack.seq if self.ack else None,
        }


@dataclass(frozen=True)
class Review:
    """Every break-glass apply record of a log, and the acks that count (per plan, oldest first)."""

    log: str
    records: tuple[Record, ...]
    acks: Mapping[str, tuple[Record, ...]]

    def ack_of(self, record: Record) -> Record | None:
        """The first counting ack of `record`'s plan written after it, or None."""
        return next((a for a in self.acks.get(_plan(record) or "", ()) if a.seq > record.seq), None)

    def unreviewed(self) -> tuple[Record, ...]:
        return tuple(r for r in self.records if self.ack_of(r) is None)

    def involved(self, plan: str) -> frozenset[str]:
        """Who applied or approved `plan`'s break-glass records: none of them may review it."""
        return frozenset(who for r in self.records if _plan(r) == plan for who in (r.actor, *_approvers(r)))

    def applies(self) -> tuple[BreakGlassApply, ...]:
        """The records grouped as applications: per plan, those one ack reviews (or none has yet)."""
        groups: dict[tuple[str, int], list[Record]] = {}
        for record in self.records:
            ack = self.ack_of(record)
            groups.setdefault((_plan(record) or "", ack.seq if ack else 0), []).append(record)
        return tuple(
            BreakGlassApply(self.log, plan, tuple(records), self.ack_of(records[0]))
            for (plan, _ack), records in groups.items()
        )

    def to_json(self) -> list[dict[str, Any]]:
        """Per record, as `audit log --format json` lists them."""
        return [
            {
                "seq": r.seq,
                "time": r.time,
                "actor": r.actor,
                "wards": list(r.wards),
                "reason": (break_glass_of(r) or {}).get("reason"),
                "reviewed": self.ack_of(r) is not None,
                "ack": ack.seq if (ack := self.ack_of(r)) else None,
            }
            for r in self.records
        ]


def review(records: Iterable[Record], log: str = "", signers: Signers | None = None) -> Review:
    """Every break-glass apply record (the `started` one of each stack stands for it) and the acks that
    count: signed and verifying (by an allowed signer, given `signers`), by someone who neither applied
    nor approved the plan's break-glass records before it."""
    found: list[Record] = []
    acks: dict[str, list[Record]] = {}
    involved: dict[str, set[str]] = {}  # plan → who applied or approved it so far
    auth = Authenticator(signers, set())
    for record in records:
        plan = _plan(record)
        if plan is not None and record.outcome == "started" and break_glass_of(record) is not None:
            found.append(record)
            involved.setdefault(plan, set()).update({record.actor, *_approvers(record)})
            continue
        acked = record.summary.get("plan")
        if (
            record.command == ACK
            and isinstance(acked, str)
            and acked in involved
            and record.actor not in involved[acked]
            and auth.check(record, log) is None
        ):
            acks.setdefault(acked, []).append(record)
    return Review(log, tuple(found), {plan: tuple(done) for plan, done in acks.items()})


def read_review(log: Path, signers: Signers | None = None) -> Review:
    """The review of the log at `log`; empty when there is no log (a fresh checkout has nothing to review).
    AuditError when the log cannot be read or a break-glass or ack record in it is damaged."""
    if not os.path.lexists(log):
        return Review(str(log), (), {})
    return review(read_records(log, _MARKS), str(log), signers)


def unreviewed_applies(
    log: Path, signers: Signers | None = None, wards: Collection[str] = ()
) -> tuple[BreakGlassApply, ...]:
    """The break-glass applications in `log` no counting ack reviews yet, those concerning `wards` (all when
    empty)."""
    return tuple(a for a in read_review(log, signers).applies() if not a.reviewed and a.concerns(wards))
