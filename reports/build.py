"""Assemble a report from its parts: allocation, tenants, policy findings, last month, input hashes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from wardcloud.core.errors import Problem, single
from wardcloud.core.files import FileError, read_input
from wardcloud.core.jsontext import loads
from wardcloud.cost_allocation.errors import Code as CostCode
from wardcloud.reports.errors import Code
from wardcloud.reports.html import Report
from wardcloud.reports.model import (
    Allocation,
    InputFile,
    ReportError,
    WardInfo,
    allocation_from_json,
    check_wards_known,
    load_allocation,
)
from wardcloud.reports.status import policy_status, unreviewed_break_glass
from wardcloud.tenants.model import Tenant
from wardcloud.tenants.reference import reference_wards

PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def wards_from_tenants(tenants: Iterable[Tenant]) -> dict[str, WardInfo]:
    """Names and population from the tenant files, falling back to the bundled reference for the rest."""
    wards = {w.code6: WardInfo(w.code6, w.name, w.name_en, w.population) for w in reference_wards()}
    wards.update({t.code: WardInfo(t.code, t.name, t.name_en, t.population) for t in tenants})
    return wards


def check_period(period: str, allocation: Allocation) -> None:
    """ReportError unless `period` is YYYY-MM and the allocation is for it."""
    if not PERIOD.fullmatch(period):
        raise ReportError([single("--period", CostCode.BAD_PERIOD, f"period {period!r} is not YYYY-MM")])
    if not allocation.period.startswith(period):
        raise ReportError(
            [
                single(
                    allocation.source or "<allocation>",
                    Code.PERIOD_MISMATCH,
                    f"allocation is for period {allocation.period}, not {period}",
                    path="period",
                )
            ]
        )


def allocate_bill(
    bill: Path, rules: Path, tenants: Sequence[Tenant], period: str, usage: Path | None = None
) -> Allocation:
    """Allocate a FOCUS bill with the cost library (`wardctl cost allocate`) and read its JSON back."""
    from wardcloud.cost_allocation.shares import Period, Ward
    from wardcloud.cost_allocation.statement import allocate_files

    if not PERIOD.fullmatch(period):
        raise ReportError([single("--period", CostCode.BAD_PERIOD, f"period {period!r} is not YYYY-MM")])
    statement = allocate_files(
        bill, rules, [Ward.from_tenant(t) for t in tenants], Period.month(period), usage
    )
    return allocation_from_json(statement.to_json(), str(bill))


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
    try:
        document = loads(read_input(path).decode("utf-8"))  # a FIFO or a device is refused
    except FileError as exc:
        raise ReportError([single(str(path), Code.UNREADABLE, f"cannot read: {exc.problems[0].message}")]) from None
    except UnicodeDecodeError as exc:
        raise ReportError([single(str(path), Code.NOT_JSON, f"not JSON: not UTF-8 ({exc.reason})")]) from None
    except json.JSONDecodeError as exc:
        raise ReportError(
            [Problem(str(path), exc.lineno, exc.colno, Code.NOT_JSON, f"not JSON: {exc.msg}")]
        ) from exc
    if not isinstance(document, dict):
        raise ReportError([single(str(path), Code.BAD_POLICY_JSON, "policy JSON must be an object with 'violations'")])
    return document


def build_report(
    allocation: Allocation,
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
    if last_month is not None and last_month.period >= allocation.period:
        raise ReportError(
            [
                single(
                    str(previous),
                    Code.PREVIOUS_NOT_EARLIER,
                    f"previous allocation is for {last_month.period}, not a month before {allocation.period}",
                    path="period",
                )
            ]
        )
    status = (
        policy_status(policy, [w.code for w in allocation.wards], policy_source)
        if policy is not None
        else None
    )
    break_glass = unreviewed_break_glass(policy, policy_source) if policy is not None else ()
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Report(allocation, wards, stamp, tuple(inputs), status, last_month, break_glass)
