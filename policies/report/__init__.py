"""Report formats of a PolicyReport: text (people), JSON (machines), SARIF (code scanning), JUnit (CI)."""

from __future__ import annotations

from collections.abc import Callable

from wardcloud.policies.engine import PolicyReport
from wardcloud.policies.report import json as json_report
from wardcloud.policies.report import junit, sarif, text

FORMATS: dict[str, Callable[[PolicyReport], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
}


def render(report: PolicyReport, fmt: str) -> str:
    """The report in `fmt` (one of FORMATS)."""
    return FORMATS[fmt](report)
