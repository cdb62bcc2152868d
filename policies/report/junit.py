"""JUnit XML for CI: one testcase per rule × ward; a mandatory unwaived violation is a failure, and so is
an unreviewed break-glass apply (one testcase each, in a suite of its own)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from wardcloud.policies.engine import PolicyReport, Violation


def render(report: PolicyReport) -> str:
    found: dict[tuple[str, str], list[Violation]] = defaultdict(list)
    for v in report.violations:
        found[(v.policy, v.ward or "platform")].append(v)
    wards = list(report.wards)
    if any(v.ward is None for v in report.violations):
        wards.append("platform")
    root = ET.Element("testsuites", name="wardctl policy check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for rule in report.rules:
        suite = ET.SubElement(root, "testsuite", name=f"{rule.id} {rule.title}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for ward in wards:
            case = ET.SubElement(
                suite, "testcase", classname=f"policies.{rule.id}", name=f"{rule.id} ward {ward}"
            )
            counts["tests"] += 1
            violations = found.get((rule.id, ward), [])
            if rule.enforcement == "disabled":
                ET.SubElement(case, "skipped", message="rule disabled in policy config")
                counts["skipped"] += 1
                continue
            blocking = [v for v in violations if v.blocking]
            if blocking:
                counts["failures"] += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=f"{rule.severity}",
                    message=f"{len(blocking)} violation(s) of {rule.id}",
                )
                failure.text = "\n".join(
                    f"{v.file}:{v.line}: {v.message}. Fix: {v.remediation}" for v in blocking
                )
            others = [v for v in violations if not v.blocking]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(
                    f"{'waived' if v.waived else v.enforcement}: {v.message}"
                    + (
                        f" (approved by {v.waiver.approver}, expires {v.waiver.expires})"
                        if v.waived and v.waiver
                        else ""
                    )
                    for v in others
                )
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    if report.unreviewed_break_glass:  # a failing suite while any is unreviewed; absent otherwise
        suite = ET.SubElement(root, "testsuite", name="BREAK-GLASS break-glass applies reviewed")
        for apply in report.unreviewed_break_glass:
            record = apply.record
            case = ET.SubElement(suite, "testcase", classname="governance.BREAK-GLASS",
                                 name=f"BREAK-GLASS record {record.seq}")
            failure = ET.SubElement(case, "failure", type="unreviewed",
                                    message=f"unreviewed break-glass apply of {', '.join(apply.stacks)}")
            failure.text = (f"{apply.log}:{record.seq}: record {record.hash}, applied by "
                            f"{', '.join(apply.appliers)} at {record.time}, because: {apply.reason}. "
                            f"Fix: a second signer runs `wardctl audit ack {record.seq} --key KEY`")
        count = len(report.unreviewed_break_glass)
        for key, value in {"tests": count, "failures": count, "skipped": 0}.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
