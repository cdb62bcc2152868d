"""Reviewing a break-glass apply: a second signer — not the one who approved, not the one who applied —
acknowledges a record of the run with `wardctl audit ack RECORD --key KEY`, which appends a signed
`audit ack` record naming it and the plan's digest (one ack reviews every stack of that plan's run).

Reading what is still unreviewed is audit's (wardcloud.audit.breakglass), so `audit log`, `policy check`
and the report, which stand below governance, see exactly what this module refuses or accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from wardcloud.audit.breakglass import ACK, review
from wardcloud.audit.log import read_records
from wardcloud.audit.record import Record
from wardcloud.audit.recorder import AuditContext
from wardcloud.audit.signers import load as load_signers
from wardcloud.governance.errors import Code, GovernanceError, problem
from wardcloud.governance.plans import SIGNERS_FILE
from wardcloud.governance.rules import PLAN_NAMESPACE


def ack(log: Path, seq: int, governance_dir: Path, context: AuditContext) -> Record:
    """Acknowledge break-glass record `seq` with the context's key; GOV010 when it is not one, was
    acked already, or the key approved or applied it (a review is a second person)."""
    assert context.key is not None, "an ack is signed: give the AuditContext a key"
    key = context.key
    records = {r.seq: r for r in read_records(log)}
    target = records.get(seq)

    def refuse(message: str) -> GovernanceError:
        return GovernanceError([problem(f"record {seq}", Code.ACK, message)])

    breakglass = review(records.values(), str(log))
    if target is None or target not in breakglass.records:
        raise refuse("not a break-glass apply record (ack the `started` record `audit log` marks)")
    if breakglass.ack_of(target) is not None:
        raise refuse("already acknowledged")
    signers = load_signers(governance_dir / SIGNERS_FILE)
    signer = signers.by_fingerprint(key.fingerprint)
    if signer is None or not signer.may_sign(PLAN_NAMESPACE, datetime.now(UTC)):
        raise refuse(f"key {key.fingerprint} is not an allowed signer in {signers.path}")
    plan = str(target.summary["governance"].get("plan"))
    if key.fingerprint in breakglass.involved(plan):
        raise refuse("the reviewer must be a second person: this key approved or applied the change")
    return context.record(ACK, {}, "success", 0, {"ack": seq, "plan": plan, "reviewer": signer.name},
                          target.wards)
