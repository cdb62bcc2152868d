"""Assemble a report from its parts: allocation, tenants, policy findings, last month, input hashes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from wardcloud.core.errors import single
from wardcloud.cost_allocation.errors import Code as CostCode
from wardcloud.cost_allocation.model import Statement
from wardcloud.cost_allocation.shares import Period
from wardcloud.reports.errors import Code
from wardcloud.reports.html import Report
from wardcloud.reports.model import InputFile, ReportError, WardInfo, check_wards_known, load_allocation, read_json
from wardcloud.reports.status import policy_status, unreviewed_break_glass
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.reference import reference_wards


def wards_from_tenants(tenants: Iterable[Tenant]) -> dict[str, WardInfo]:
    """Names and population from the tenant files, falling back to the bundled reference for the rest."""
    wards = {w.code6: WardInfo(w.code6, w.name, w.name_en, w.population) for w in reference_wards()}
    wards.update({t.code: WardInfo(t.code, t.name, t.name_en, t.population) for t in tenants})
    return wards


def month(period: str) -> Period:
    """The billing month `period` names, as the cost library reads it; ReportError COST030 unless YYYY-MM."""
    try:
        return Period.month(period)
    except ValueError:
        raise ReportError([single("--period", CostCode.BAD_PERIOD, f"period {period!r} is not YYYY-MM")]) from None


def check_period(period: str, allocation: Statement) -> None:
    """ReportError unless `period` is YYYY-MM and the allocation is for it."""
    if allocation.period != month(period):
        raise ReportError(
            [
                single(
                    allocation.source or "<allocation>",
                    Code.PERIOD_MISMATCH,
                    f"allocation is for period {allocation.period.label}, not {period}",
                    path="period",
                )
            ]
        )


def allocate_bill(
    bill: Path, rules: Path, tenants: Sequence[Tenant], period: str, usage: Path | None = None
) -> Statement:
    """Allocate a FOCUS bill with the cost library, exactly as `wardctl cost allocate` does."""
    from wardcloud.cost_allocation.shares import Ward
    from wardcloud.cost_allocation.statement import allocate_files

    statement = allocate_files(bill, rules, [Ward.from_tenant(t) for t in tenants], month(period), usage)
    return replace(statement, source=str(bill))  # problems found later (an unknown ward) name the bill


def evaluate_policies(
    tenants: Sequence[Tenant], config: Path | None = None, today: date | None = None,
    audit_log: Path | None = None,
) -> dict[str, Any]:
    """The policy engine's verdict on every ward, as `wardctl policy check --format json` gives it: with
    `audit_log`, the break-glass applies in it no second signer reviewed yet too."""
    from wardcloud.policies.config import load_config
    from wardcloud.policies.engine import evaluate, render_graphs, with_break_glass

    report = evaluate(tenants, render_graphs(tenants), load_config(config), today or date.today())
    return (with_break_glass(report, audit_log) if audit_log is not None else report).to_json()


def load_policy_json(path: Path) -> dict[str, Any]:
    """Read a saved `wardctl policy check --format json` result."""
    document = read_json(path)
    if not isinstance(document, dict):
        raise ReportError([single(str(path), Code.BAD_POLICY_JSON, "policy JSON must be an object with 'violations'")])
    return document


def build_report(
    allocation: Statement,
    tenants: Sequence[Tenant],
    *,
    period: str,
    inputs: Sequence[InputFile] = (),
    policy: Mapping[str, Any] | None = None,
    policy_source: str = "<policy>",
    previous: Path | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """Check the parts fit together (period, known wards) and return the report to render."""
    check_period(period, allocation)
    wards = wards_from_tenants(tenants)
    check_wards_known(allocation, list(wards.values()))
    last_month = load_allocation(previous) if previous is not None else None
    if last_month is not None and last_month.period.start >= allocation.period.start:
        raise ReportError(
            [
                single(
                    str(previous),
                    Code.PREVIOUS_NOT_EARLIER,
                    f"previous allocation is for {last_month.period.label}, not a month before "
                    f"{allocation.period.label}",
                    path="period",
                )
            ]
        )
    status = policy_status(policy, [w.code for w in allocation.wards], policy_source) if policy is not None else None
    break_glass = unreviewed_break_glass(policy, policy_source) if policy is not None else ()
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Report(allocation, wards, stamp, tuple(inputs), status, last_month, break_glass)
