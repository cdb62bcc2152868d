"""The text report: one block per violation, waivers and a summary line, for people."""

from __future__ import annotations

from wardcloud.audit.breakglass import BreakGlassApply
from wardcloud.policies.engine import PolicyReport, Violation


def _status(violation: Violation) -> str:
    if violation.waived:
        return "WAIVED"
    return "FAIL" if violation.enforcement == "mandatory" else "ADVISORY"


def render(report: PolicyReport) -> str:
    lines: list[str] = []
    for v in report.violations:
        where = f"{v.file}:{v.line}:{v.column}"
        subject = f"{v.ward or 'platform'}" + (f" {v.resource}" if v.resource else "")
        lines.append(f"{_status(v):8} {v.policy} [{v.severity}] {subject}: {v.message}")
        lines.append(f"         at {where}" + (f" ({v.path})" if v.path else ""))
        if v.waiver is not None:
            w = v.waiver
            if w.status == "active":
                lines.append(f"         waived by {w.approver} until {w.expires}: {w.justification}")
            elif w.status == "expired":
                lines.append(f"         waiver by {w.approver} EXPIRED on {w.expires}: no longer applies")
            elif w.status == "unsigned":
                lines.append(f"         waiver by {w.approver} does NOT count: {w.reason}")
            else:
                lines.append(f"         waiver by {w.approver} ignored: {v.policy} is not waivable")
        if not v.waived:
            lines.append(f"         fix: {v.remediation}")
    for note in report.waiver_notes:
        if note.status == "unsigned":
            lines.append(f"WAIVER   {note.policy} for ward {note.ward} does NOT count: {note.reason} "
                         f"({note.file}:{note.line})")
            continue
        what = "expired on" if note.status == "expired" else "is ignored (rule not waivable), expires"
        lines.append(
            f"WAIVER   {note.policy} for ward {note.ward} approved by {note.approver} {what} "
            f"{note.expires} ({note.file}:{note.line})"
        )
    for apply in report.unreviewed_break_glass:
        lines.extend(break_glass_lines(apply))
    s = report.summary()
    verdict = "passed" if s["passed"] else "FAILED"
    unreviewed = s["unreviewed_break_glass"]
    lines.append(
        f"{s['rules']} rules, {s['wards']} ward(s), {s['resources']} resources: "
        f"{s['mandatory']} mandatory, {s['advisory']} advisory, {s['waived']} waived, "
        f"{s['expired_waivers']} expired waiver(s)"
        + (f", {unreviewed} unreviewed break-glass apply(s)" if unreviewed else "")
        + f" — {verdict}"
    )
    return "\n".join(lines) + "\n"


def break_glass_lines(apply: BreakGlassApply) -> list[str]:
    """An unreviewed break-glass apply as the text report shows it: what, where in the log, how to clear."""
    record = apply.record
    return [
        f"BREAK-GLASS UNREVIEWED record {record.seq} ({record.hash[:16]}…) {record.time}: "
        f"{', '.join(apply.stacks)} applied by {', '.join(apply.appliers)}, approved by "
        f"{', '.join(apply.approvers) or 'no one'}, because: {apply.reason}",
        f"         at {apply.log}:{record.seq}",
        f"         fix: a second signer, who neither applied nor approved it, reviews it with "
        f"`wardctl audit ack {record.seq} --key KEY`",
    ]
