"""The JSON report: `{"violations": [...], "summary": {...}, "waiver_notes": [...]}`, stable keys."""

from __future__ import annotations

import json

from wardcloud.policies.engine import PolicyReport


def render(report: PolicyReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
