"""Policy status per ward (pass / advisory / waived / violation) and the break-glass applies nobody reviewed
yet, from the policy engine's JSON (`wardctl policy check --format json`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from wardcloud.core.errors import Problem, single
from wardcloud.reports.errors import Code
from wardcloud.reports.model import ReportError

Status = Literal["pass", "advisory", "waived", "violation"]
STATUS_LABELS: dict[str, str] = {
    "pass": "適合 / pass",
    "advisory": "助言 / advisory",
    "waived": "免除 / waived",
    "violation": "違反 / violation",
}


@dataclass(frozen=True)
class Finding:
    """One policy finding against a ward, as the report shows it."""

    policy: str
    severity: str
    enforcement: str
    resource: str
    message: str
    remediation: str
    waived: bool


@dataclass(frozen=True)
class WardPolicyStatus:
    """A ward's worst outcome and the findings behind it."""

    code: str
    status: Status
    findings: tuple[Finding, ...]

    def count(self, status: Status) -> int:
        """How many findings fall under `status`."""
        return sum(1 for f in self.findings if _finding_status(f) == status)


def _finding_status(finding: Finding) -> Status:
    if finding.waived:
        return "waived"
    return "violation" if finding.enforcement == "mandatory" else "advisory"


_ORDER: dict[str, int] = {"pass": 0, "waived": 1, "advisory": 2, "violation": 3}


PLATFORM = "platform"  # the key of the platform stack's status: its findings name no ward


def policy_status(
    report: Mapping[str, Any], codes: Iterable[str], source: str = "<policy>"
) -> dict[str, WardPolicyStatus]:
    """Status for every ward in `codes`, and for the shared platform stack under PLATFORM (findings whose
    ward is null): violation beats advisory beats waived beats pass."""
    problems: list[Problem] = []
    raw_violations = report.get("violations") if isinstance(report, Mapping) else None
    if not isinstance(raw_violations, list):
        raise ReportError(
            [single(source, Code.BAD_POLICY_JSON, "policy JSON must have a 'violations' list", path="violations")]
        )
    by_ward: dict[str, list[Finding]] = {}
    for i, raw in enumerate(raw_violations):
        if not isinstance(raw, Mapping) or "ward" not in raw or "policy" not in raw:
            problems.append(
                single(
                    source,
                    Code.BAD_VIOLATION,
                    "violation must be an object with 'policy' and 'ward'",
                    path=f"violations[{i}]",
                )
            )
            continue
        if raw.get("enforcement") == "disabled":
            continue
        finding = Finding(
            policy=str(raw["policy"]),
            severity=str(raw.get("severity", "")),
            enforcement=str(raw.get("enforcement", "advisory")),
            resource=str(raw.get("resource") or ""),
            message=str(raw.get("message", "")),
            remediation=str(raw.get("remediation") or ""),
            waived=bool(raw.get("waived", False)),
        )
        by_ward.setdefault(PLATFORM if raw["ward"] is None else str(raw["ward"]), []).append(finding)
    if problems:
        raise ReportError(problems)
    result: dict[str, WardPolicyStatus] = {}
    for code in [*codes, PLATFORM]:
        findings = tuple(by_ward.get(code, ()))
        status: Status = max((_finding_status(f) for f in findings), key=_ORDER.__getitem__, default="pass")
        result[code] = WardPolicyStatus(code, status, findings)
    return result


@dataclass(frozen=True)
class UnreviewedBreakGlass:
    """A break-glass apply no second signer has reviewed yet (`wardctl audit ack SEQ` clears it)."""

    seq: int  # the audit record `audit ack` takes
    hash: str
    time: str
    stacks: tuple[str, ...]
    applied_by: tuple[str, ...]
    approved_by: tuple[str, ...]
    reason: str


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def unreviewed_break_glass(report: Mapping[str, Any], source: str = "<policy>") -> tuple[UnreviewedBreakGlass, ...]:
    """The policy result's `unreviewed_break_glass` list (absent in results saved before it existed: none)."""
    raw = report.get("unreviewed_break_glass", [])
    if not isinstance(raw, list):
        raise ReportError([single(source, Code.BAD_POLICY_JSON, "'unreviewed_break_glass' must be a list",
                                  path="unreviewed_break_glass")])
    problems: list[Problem] = []
    found: list[UnreviewedBreakGlass] = []
    for i, item in enumerate(raw):
        if not (isinstance(item, Mapping) and isinstance(item.get("seq"), int) and isinstance(item.get("hash"), str)):
            problems.append(single(source, Code.BAD_POLICY_JSON, "a break-glass entry must be an object with "
                                   "'seq' (a number) and 'hash'", path=f"unreviewed_break_glass[{i}]"))
            continue
        found.append(UnreviewedBreakGlass(item["seq"], item["hash"], str(item.get("time") or ""),
                                          _strings(item.get("stacks")), _strings(item.get("applied_by")),
                                          _strings(item.get("approved_by")), str(item.get("reason") or "")))
    if problems:
        raise ReportError(problems)
    return tuple(found)
