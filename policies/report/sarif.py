"""SARIF 2.1.0 for code-scanning UIs: every rule with help text, results at the tenant-file line."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from wardcloud.audit.breakglass import BreakGlassApply
from wardcloud.policies.engine import PolicyReport, Violation
from wardcloud.policies.registry import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub ranks alerts by this number (critical >= 9.0, high >= 7.0, medium >= 4.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVEL = {"mandatory": "error", "advisory": "warning", "disabled": "none"}


def _tool_version() -> str:
    try:
        return version("wardcloud")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0"


def _camel(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def _uri(file: str) -> tuple[str, bool]:
    """A repository-relative URI when the file is under the working directory, else an absolute file URI."""
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix(), True
    try:
        return path.relative_to(Path.cwd()).as_posix(), True
    except ValueError:
        return path.as_uri(), False


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": _camel(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title}. Source: {rule.source}."},
        "help": {
            "text": rule.remediation,
            "markdown": f"**{rule.title}** ({rule.severity}, {rule.enforcement})\n\n{rule.remediation}\n\n"
            f"Source: {rule.source}",
        },
        "defaultConfiguration": {"level": LEVEL[rule.enforcement], "enabled": rule.enforcement != "disabled"},
        "properties": {
            "tags": ["security", rule.area.lower(), rule.kind],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


def _result(violation: Violation, index: dict[str, int]) -> dict[str, Any]:
    uri, relative = _uri(violation.file)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": max(violation.line, 1), "startColumn": max(violation.column, 1)},
        }
    }
    if violation.resource:
        location["logicalLocations"] = [{"name": violation.resource, "kind": "resource"}]
    identity = (
        f"{violation.policy}|{violation.ward}|{violation.resource}|{violation.path}|{violation.message}"
    )
    result: dict[str, Any] = {
        "ruleId": violation.policy,
        "ruleIndex": index[violation.policy],
        "level": LEVEL[violation.enforcement],
        "message": {"text": f"{violation.message}. Fix: {violation.remediation}"},
        "locations": [location],
        "partialFingerprints": {"wardcloudPolicy/v1": hashlib.sha256(identity.encode()).hexdigest()[:32]},
        "properties": {"ward": violation.ward, "severity": violation.severity},
    }
    if violation.waiver is not None and violation.waiver.status == "active":
        w = violation.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{w.justification} (approved by {w.approver}, "
                f"expires {w.expires.isoformat()})",
            }
        ]
    return result


BREAK_GLASS_RULE = "BREAK-GLASS"
BREAK_GLASS_HELP = (
    "A break-glass apply went through with one approval. A second signer, who neither applied nor approved "
    "it, reviews it with `wardctl audit ack SEQ --key KEY` (docs/governance.md, Break-glass)."
)


def _break_glass_rule() -> dict[str, Any]:
    """Not a policy of the catalogue: the governance control that a break-glass apply is reviewed."""
    title = "A break-glass apply is reviewed by a second signer"
    return {
        "id": BREAK_GLASS_RULE,
        "name": _camel(title),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title}. Source: docs/governance.md."},
        "help": {"text": BREAK_GLASS_HELP, "markdown": f"**{title}**\n\n{BREAK_GLASS_HELP}"},
        "defaultConfiguration": {"level": "error", "enabled": True},
        "properties": {"tags": ["security", "governance"], "precision": "high", "security-severity": "8.0"},
    }


def _break_glass_result(apply: BreakGlassApply, index: int) -> dict[str, Any]:
    """At the log line of the apply's first `started` record (a record's line number is its seq)."""
    record = apply.record
    uri, relative = _uri(apply.log)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    return {
        "ruleId": BREAK_GLASS_RULE,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": f"unreviewed break-glass apply, record {record.seq} ({record.hash}): "
                            f"{', '.join(apply.stacks)} applied by {', '.join(apply.appliers)}, because: "
                            f"{apply.reason}. Fix: `wardctl audit ack {record.seq} --key KEY` by a second signer"},
        "locations": [{"physicalLocation": {"artifactLocation": artifact,
                                            "region": {"startLine": record.seq, "startColumn": 1}}}],
        "partialFingerprints": {"wardcloudBreakGlass/v1": hashlib.sha256(record.hash.encode()).hexdigest()[:32]},
        "properties": {"seq": record.seq, "hash": record.hash, "plan": apply.plan, "stacks": list(apply.stacks),
                       "wards": list(apply.wards), "appliedBy": list(apply.appliers),
                       "approvedBy": list(apply.approvers), "reason": apply.reason},
    }


def render(report: PolicyReport) -> str:
    index = {rule.id: i for i, rule in enumerate(report.rules)}
    rules = [_rule(r) for r in report.rules]
    results = [_result(v, index) for v in report.violations]
    if report.unreviewed_break_glass:  # the extra rule appears only with its results: the catalogue's stay put
        rules.append(_break_glass_rule())
        results += [_break_glass_result(a, len(rules) - 1) for a in report.unreviewed_break_glass]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wardctl-policy",
                        "version": _tool_version(),
                        "informationUri": "https://github.com/wardcloud/wardcloud/blob/main/docs/policies.md",
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"
