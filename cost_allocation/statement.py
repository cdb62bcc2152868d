"""The allocation itself: a bill split among the wards into the statement (model.py) that explains every yen."""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from fractions import Fraction
from pathlib import Path

import duckdb

from wardcloud.core.cells import csv_writer
from wardcloud.core.verdicts import Verdicts
from wardcloud.cost_allocation.buyin import LeaveFlow, capital_history
from wardcloud.cost_allocation.database import close_database, start_database
from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.focus import (
    Bill,
    RowSplit,
    classify_bill,
    classify_usage,
    scan_bill,
    scan_usage,
)
from wardcloud.cost_allocation.model import (
    CapReallocation,
    DriverValue,
    PoolAllocation,
    Statement,
    StatementLine,
    WardStatement,
    number,
)
from wardcloud.cost_allocation.rounding import largest_remainder, split_exactly
from wardcloud.cost_allocation.rules import Agreement, Rules, load_rules, locate
from wardcloud.cost_allocation.shares import (
    Period,
    PoolShares,
    Ward,
    WardShare,
    check_drivers,
    participation,
    pool_shares,
)

RATIO_UNITS = 10**12  # AllocatedRatio resolution: 12 decimal places, rounded so a row's ratios sum to 1


def _locate_rules(problems: list[Problem], rules: Rules) -> list[Problem]:
    """Give rules-file problems their line and column."""
    return [
        locate(Path(rules.source_file), p.path, p.code, p.message)
        if p.file == rules.source_file and p.path and not p.line and rules.source_file
        else p
        for p in problems
    ]


def allocate(
    bill: Bill,
    rules: Rules,
    wards: Sequence[Ward],
    period: Period,
    usage: Mapping[tuple[str, str], Fraction] | None = None,
) -> Statement:
    """Split a validated bill among wards by the rules: exact shares, then largest-remainder yen."""
    try:
        return _allocate(bill, rules, wards, period, usage or {})
    except CostError as exc:
        raise CostError(_locate_rules(list(exc.problems), rules)) from exc


def _allocate(
    bill: Bill, rules: Rules, wards: Sequence[Ward], period: Period, usage: Mapping[tuple[str, str], Fraction]
) -> Statement:
    if not wards:
        raise CostError([Problem("tenants", 0, 0, Code.NO_WARDS, "no ward tenant files")])
    problems = check_drivers(rules.drivers, wards, rules.source_file, declared_drivers(rules))
    if problems:
        raise CostError(problems)
    wards = sorted(wards, key=lambda w: w.code)
    reference = None
    wards_at = None
    if rules.driver_as_of is not None:
        from wardcloud.cost_allocation.drivers import reference_date, resolve_drivers

        names = sorted({t.driver for t in rules.drivers if t.driver not in ("equal", "usage")})
        original = wards
        convention = rules.driver_as_of
        months: dict[date, list[Ward]] = {}

        def wards_at(day: date) -> list[Ward]:
            """Wards with the driver values of the month `day` falls in (a join's buy-in uses its own date's)."""
            month = Period.month(day.strftime("%Y-%m"))
            if month.start not in months:
                months[month.start] = resolve_drivers(
                    original, names, rules.driver_data, convention, month.start, month.end
                )
            return months[month.start]

        wards = wards_at(period.start)
        reference = reference_date(rules.driver_as_of, period.start)
    # Bill-level rounding: the bill's yen (fractions of a yen truncated, as public finance does) split over
    # direct buckets and pools by largest remainder, so every bucket is whole yen and they sum to the bill.
    buckets = {f"{c.ward}\x00{c.service}\x00{c.category}": c.cost for c in bill.direct}
    buckets.update({f"\x7fpool\x00{pool_id}": cost for pool_id, cost in bill.pools.items()})
    bill_total = math.floor(bill.total)
    whole = largest_remainder(bill_total, buckets)
    fractions = {w.code: participation(w, period) for w in wards}
    lines: dict[str, list[StatementLine]] = {w.code: [] for w in wards}
    direct: dict[str, int] = {w.code: 0 for w in wards}
    for charge in bill.direct:
        amount = whole[f"{charge.ward}\x00{charge.service}\x00{charge.category}"]
        direct[charge.ward] += amount
        lines[charge.ward].append(
            StatementLine.of("direct", amount, service=charge.service, category=charge.category, rows=charge.rows)
        )
    shared: dict[str, int] = {w.code: 0 for w in wards}
    pools = []
    for pool in rules.pools:
        total = whole[f"\x7fpool\x00{pool.id}"]
        rows = bill.pool_rows.get(pool.id, 0)
        if rows == 0:  # nothing on this bill for the pool: listed with zeros, nothing to explain
            pools.append(PoolAllocation(pool.id, 0, {w.code: 0 for w in wards}))
            continue
        where = f"pool {pool.id!r}"
        shares = pool_shares(pool.split, pool.cap, total, wards, fractions, usage, where, pool.key, rules.source_file)
        agreement = rules.agreement(period.label, pool.id)
        if agreement is not None and shares.cap_rounds:
            shares = agreed_shares(shares, agreement, rules.source_file)
            limits = None  # the agreed table replaces the cap's automatic outcome
        else:
            agreement = None
            limits = {w.code: shares.cap_share * total for w in wards} if shares.cap_share is not None else None
        try:
            allocations = split_exactly(total, {c: s.share for c, s in shares.shares.items()}, limits)
        except ValueError as exc:
            raise CostError(
                [
                    Problem(
                        rules.source_file,
                        0,
                        0,
                        Code.INFEASIBLE_CAP,
                        f"infeasible cap in {where}: {exc}",
                        f"{pool.key}.cap",
                    )
                ]
            ) from exc
        ratio_units = split_exactly(RATIO_UNITS, {c: s.share for c, s in shares.shares.items()})
        reallocation = None
        if shares.cap_rounds:
            uncapped = split_exactly(total, {c: s.before_cap for c, s in shares.shares.items()})
            moved = {c: allocations[c] - uncapped[c] for c in allocations if allocations[c] != uncapped[c]}
            if moved:  # 協議 (report line 2951): the cap moved yen between wards, on the agreement or awaiting it
                capped = tuple(sorted(c for c, s in shares.shares.items() if s.capped))
                reallocation = CapReallocation(capped, moved, agreement)
        pools.append(PoolAllocation(pool.id, total, allocations, reallocation, rows, shares, ratio_units))
        for ward in wards:
            ward_share = shares.shares[ward.code]
            amount = allocations[ward.code]
            shared[ward.code] += amount
            if not amount and not ward_share.share:
                continue  # a ward with no part in the pool gets no line
            exact = ward_share.share * total
            f = ward_share.participation
            lines[ward.code].append(
                StatementLine.of(
                    "shared",
                    amount,
                    pool.id,
                    pool_total=total,
                    rows=rows,
                    participation={"days": int(f * period.days), "of": period.days, "fraction": number(f)},
                    drivers=[
                        {
                            "driver": term.label,
                            "weight": number(term.weight),
                            "value": number(ts.raw),
                            "as_of": _as_of(ward, term.driver),
                            "transformed": number(ts.value),
                            "share": number(ts.share),
                        }
                        for term, ts in zip(pool.split, ward_share.terms, strict=True)
                    ],
                    share_before_cap=number(ward_share.before_cap),
                    cap_adjustment=number(ward_share.share - ward_share.before_cap),
                    capped=ward_share.capped,
                    share=number(ward_share.share),
                    exact=number(exact),
                    rounding=number(amount - exact),
                )
            )
    history = capital_history(rules, wards, period, wards_at)
    flows = history.buy_ins
    buy_in: dict[str, int] = {w.code: 0 for w in wards}
    for flow in flows:
        buy_in[flow.newcomer] += flow.payment
        lines[flow.newcomer].append(
            StatementLine.of(
                "buy_in",
                flow.payment,
                newcomer=flow.newcomer,
                joined=flow.joined.isoformat(),
                share=number(flow.share),
            )
        )
        for code, refund in flow.refunds.items():
            buy_in[code] -= refund
            lines[code].append(
                StatementLine.of(
                    "buy_in_refund",
                    -refund,
                    newcomer=flow.newcomer,
                    joined=flow.joined.isoformat(),
                    share=number(flow.refund_shares[code]),
                )
            )
    for leave in history.leaves:
        _leave_lines(leave, buy_in, lines)
    used = sorted({t.driver for t in rules.drivers if t.driver not in ("equal", "usage")})
    statements = tuple(
        WardStatement(
            w.code,
            w.name,
            direct[w.code],
            shared[w.code],
            buy_in[w.code],
            tuple(lines[w.code]),
            tuple(
                DriverValue(name, w.drivers[name], w.as_of.get(name), w.sources.get(name, ""))
                for name in used
                if name in w.drivers
            ),
        )
        for w in wards
    )
    return Statement(
        period,
        rules.currency,
        bill_total,
        tuple(pools),
        statements,
        rules.driver_as_of,
        reference,
        buy_ins=flows,
        leaves=history.leaves,
        rules_version=rules.version,
    )


def _leave_lines(leave: LeaveFlow, buy_in: dict[str, int], lines: dict[str, list[StatementLine]]) -> None:
    """A leaver's settlement as its own lines: refund and buy-out, commitment payment and credits."""
    left = leave.left.isoformat()
    if leave.refund:
        buy_in[leave.ward] -= leave.refund
        lines[leave.ward].append(
            StatementLine.of("leave_refund", -leave.refund, leaver=leave.ward, left=left, capital=leave.capital)
        )
        for code, yen in leave.buyout.items():
            if yen:
                buy_in[code] += yen
                lines[code].append(StatementLine.of("leave_buyout", yen, leaver=leave.ward, left=left))
    for commitment in leave.commitments:
        if not commitment.payment:
            continue
        buy_in[leave.ward] += commitment.payment
        lines[leave.ward].append(
            StatementLine.of(
                "leave_commitment",
                commitment.payment,
                leaver=leave.ward,
                left=left,
                commitment=commitment.id,
                remaining=commitment.remaining,
                share=number(commitment.share),
            )
        )
        for code, yen in commitment.credits.items():
            if yen:
                buy_in[code] -= yen
                lines[code].append(
                    StatementLine.of(
                        "leave_commitment_credit", -yen, leaver=leave.ward, left=left, commitment=commitment.id
                    )
                )


def agreed_shares(shares: PoolShares, agreement: Agreement, rules_file: str) -> PoolShares:
    """The capped wards keep the cap; the excess goes to the agreed wards by the agreed weights.

    Excess = 1 − Σ cap (capped wards) − Σ uncapped shares of the rest; every agreed ward must take part.
    """
    members = {c for c, s in shares.shares.items() if s.participation}
    strangers = sorted(set(agreement.excess_to) - members)
    if strangers:
        raise CostError(
            [
                Problem(
                    rules_file,
                    0,
                    0,
                    Code.AGREEMENT,
                    f"agreement for {agreement.period} names ward(s) not taking part: {', '.join(strangers)}",
                    f"{agreement.key}.excess_to",
                )
            ]
        )
    assert shares.cap_share is not None
    capped = {c for c, s in shares.shares.items() if s.capped}
    kept = sum((shares.cap_share if c in capped else s.before_cap for c, s in shares.shares.items()), Fraction(0))
    excess = 1 - kept
    weight = sum(agreement.excess_to.values(), Fraction(0))
    out = {}
    for code, s in shares.shares.items():
        base = shares.cap_share if code in capped else s.before_cap
        share = base + excess * agreement.excess_to.get(code, Fraction(0)) / weight
        out[code] = WardShare(s.code, s.participation, s.terms, s.before_cap, share, code in capped)
    return PoolShares(out, shares.cap_rounds, shares.cap_share)


def declared_drivers(rules: Rules) -> tuple[str, ...]:
    """Drivers the rules' drivers file gives values for."""
    return tuple(rules.driver_data.series) if rules.driver_data is not None else ()


def _as_of(ward: Ward, driver: str) -> str | None:
    day = ward.as_of.get(driver)
    return day.isoformat() if day is not None else None


def allocate_files(
    bill_path: Path, rules_path: Path, wards: Sequence[Ward], period: Period, usage_path: Path | None = None
) -> Statement:
    """Read rules, bill and usage (or the bill's own usage rows when a usage driver needs them), allocate."""
    rules, bill, usage, _ = read_inputs(bill_path, rules_path, wards, period, usage_path)
    return allocate(bill, rules, wards, period, usage)


def read_inputs(
    bill_path: Path,
    rules_path: Path,
    wards: Sequence[Ward] | Callable[[], Sequence[Ward]],
    period: Period,
    usage_path: Path | None = None,
    verdicts: Verdicts | None = None,
    database: Future[duckdb.DuckDBPyConnection] | None = None,
    allow_duplicates: bool = False,
) -> tuple[Rules, Bill, Mapping[tuple[str, str], Fraction], Sequence[Ward]]:
    """The rules, the validated bill, the usage and the wards an allocation needs.

    Rows equal in every column are refused (COST045) unless `allow_duplicates` (focus.scan_bill).

    `database` is one `start_database()` began earlier (default: started here); it is closed when the
    inputs are read. `wards` may be a loader: it then runs while DuckDB scans the bill and the usage.
    """
    database = database or start_database()
    try:
        with ThreadPoolExecutor(max_workers=2) as background:  # leaving it waits for every scan
            return _read_inputs(
                background, database, bill_path, rules_path, wards, period, usage_path, verdicts, allow_duplicates
            )
    finally:
        close_database(database)


def _read_inputs(
    background: ThreadPoolExecutor,
    database: Future[duckdb.DuckDBPyConnection],
    bill_path: Path,
    rules_path: Path,
    wards: Sequence[Ward] | Callable[[], Sequence[Ward]],
    period: Period,
    usage_path: Path | None,
    verdicts: Verdicts | None,
    allow_duplicates: bool = False,
) -> tuple[Rules, Bill, Mapping[tuple[str, str], Fraction], Sequence[Ward]]:
    rules = load_rules(rules_path, verdicts)
    usage_source = usage_path
    if usage_source is None and any(term.driver == "usage" for term in rules.drivers):
        usage_source = bill_path  # the bill's own ward rows carry ConsumedQuantity
    # the scans need no wards: they run while this thread reads the tenant files
    scanning = background.submit(
        lambda: scan_bill(
            bill_path, rules.currency, period, rules.pools, rules.source_file, database.result(), allow_duplicates
        )
    )
    metering = (
        background.submit(lambda source: scan_usage(source, database.result()), usage_source) if usage_source else None
    )
    loaded = tuple(wards() if callable(wards) else wards)
    problems = _locate_rules(check_drivers(rules.drivers, loaded, rules.source_file, declared_drivers(rules)), rules)
    if problems:
        raise CostError(problems)
    try:
        bill = classify_bill(scanning.result(), rules.pools, loaded)
    except CostError as exc:
        raise CostError(_locate_rules(list(exc.problems), rules)) from exc
    usage: Mapping[tuple[str, str], Fraction] = classify_usage(metering.result(), loaded) if metering else {}
    return rules, bill, usage, loaded


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - _width(text), 0)
    return gap + text if right else text + gap


def render_text(statement: Statement) -> str:
    """A table sorted by ward code, a total row equal to the bill, then pools and buy-in flows."""
    header = ["code", "name", "direct", "shared", "operating", "buy_in", "total"]
    rows = [
        [w.code, w.name, f"{w.direct:,}", f"{w.shared:,}", f"{w.operating:,}", f"{w.buy_in:,}", f"{w.total:,}"]
        for w in statement.wards
    ]
    sums = [sum(getattr(w, k) for w in statement.wards) for k in ("direct", "shared", "operating", "buy_in")]
    rows.append(["TOTAL", "", *(f"{s:,}" for s in sums), f"{statement.total:,}"])
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = [
        f"Cost allocation {statement.period.label} ({statement.currency}, rules version {statement.rules_version})",
        "",
    ]
    for index, row in enumerate([header, *rows]):
        if index == len(rows):
            out.append("  ".join("-" * w for w in widths))
        out.append("  ".join(_pad(cell, widths[i], right=i >= 2) for i, cell in enumerate(row)).rstrip())
    out.append("")
    for pool in statement.pools:
        capped = sum(1 for s in pool.shares.shares.values() if s.capped)
        cap = (
            f", cap {number(pool.shares.cap_share)} hit by {capped} ward(s) in {pool.shares.cap_rounds} round(s)"
            if pool.shares.cap_share is not None
            else ""
        )
        out.append(f"pool {pool.id}: {pool.total:,} from {pool.rows:,} rows{cap}")
        moved = pool.reallocation
        if moved is not None:
            gained = sorted(c for c, v in moved.moved.items() if v > 0)
            shed = sum(-v for v in moved.moved.values() if v < 0)
            out.append(
                f"  cap re-allocation moved {shed:,} yen from {', '.join(moved.capped)} to "
                f"{len(gained)} ward(s): {', '.join(gained)}"
            )
            if moved.agreement is not None:
                out.append(
                    f"  by agreement (協議) of {moved.agreement.agreed_by} on {moved.agreement.agreed_on}"
                    + (f": {moved.agreement.note}" if moved.agreement.note else "")
                )
            else:
                out.append("  協議 required: no agreed table for this period in the rules (report line 2951)")
    if statement.driver_reference is not None:
        out.append("")
        out.append(f"drivers as of {statement.driver_reference} ({statement.driver_as_of}):")
        for ward in statement.wards:
            values = "; ".join(f"{d.driver} {_amount(d.value)} as of {d.as_of or 'undated'}" for d in ward.drivers)
            out.append(f"  {ward.code} {values}".rstrip())
    for flow in statement.buy_ins:
        out.append(
            f"buy-in: {flow.newcomer} joined {flow.joined} pays {flow.payment:,}, refunded to "
            f"{sum(1 for v in flow.refunds.values() if v)} incumbents in proportion to what each paid"
        )
    for leave in statement.leaves:
        out.append(
            f"leaving: {leave.ward} left {leave.left} is refunded {leave.refund:,} of its capital "
            f"{leave.capital:,} by the remaining members"
        )
        for commitment in leave.commitments:
            out.append(
                f"  commitment {commitment.id}: {commitment.remaining:,} remaining, {leave.ward} pays "
                f"{commitment.payment:,}"
            )
    return "\n".join(out) + "\n"


def _amount(value: Fraction) -> str:
    return f"{int(value):,}" if value.denominator == 1 else f"{float(value):,.6g}"


def render_csv(statement: Statement) -> str:
    """One row per ward: code, name, direct, one column per pool, shared, buy_in, total."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name", "direct", *(f"pool:{p.id}" for p in statement.pools), "shared", "buy_in", "total"])
    for ward in statement.wards:
        writer.writerow(
            [
                ward.code,
                ward.name,
                ward.direct,
                *(p.allocations[ward.code] for p in statement.pools),
                ward.shared,
                ward.buy_in,
                ward.total,
            ]
        )
    return buffer.getvalue()


def row_splits(statement: Statement, rules: Rules, wards: Sequence[Ward]) -> list[RowSplit]:
    """How every pool's rows split onto wards in FOCUS output (AllocatedRatio per ward, summing to 1)."""
    by_code = {w.code: w for w in wards}
    splits = []
    for pool, allocation in zip(rules.pools, statement.pools, strict=True):
        for code, units in allocation.ratio_units.items():
            if not units:
                continue
            share = allocation.shares.shares[code]
            single = len(pool.split) == 1
            element = {
                "AllocatedRatio": float(Fraction(units, RATIO_UNITS)),
                "UsageUnit": pool.split[0].label
                if single
                else "+".join(f"{number(t.weight)}*{t.label}" for t in pool.split),
                "UsageQuantity": number(share.terms[0].weight) if single else None,
            }
            ward = by_code[code]
            splits.append(
                RowSplit(
                    pool.id,
                    code,
                    units,
                    f"{pool.id}@{statement.rules_version}",
                    json.dumps({"Elements": [element]}, ensure_ascii=False),
                    ward.accounts[0] if ward.accounts else code,
                    ward.name,
                )
            )
    return splits
