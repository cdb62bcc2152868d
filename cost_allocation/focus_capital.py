"""Buy-in and leaving flows as FOCUS rows of their own, appended after the bill's split rows.

They are never netted into a ward's operating rows: each flow line of a statement becomes one row with
`ChargeCategory` Purchase (a payment) or Credit (a refund, negative `BilledCost`), `ChargeFrequency`
One-Time, `ServiceName` buy-in or leaving, the ward in `SubAccountId`/`x_WardCode`, and the flow's kind in
`x_CapitalFlow`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from wardcloud.cost_allocation.focus import connect, ident, quote, source_sql
from wardcloud.cost_allocation.model import Statement
from wardcloud.cost_allocation.shares import Ward

FLOW_KINDS = (
    "buy_in",
    "buy_in_refund",
    "leave_refund",
    "leave_buyout",
    "leave_commitment",
    "leave_commitment_credit",
)


def capital_rows(statement: Statement, wards: Sequence[Ward]) -> list[dict[str, str]]:
    """One FOCUS row per buy-in or leaving line of the statement, in ward-code order."""
    by_code = {w.code: w for w in wards}
    start = statement.period.start.isoformat() + "T00:00:00Z"
    end = statement.period.end.isoformat() + "T00:00:00Z"
    rows = []
    for ward in statement.wards:
        for line in ward.lines:
            kind = line.kind
            if kind not in FLOW_KINDS:
                continue
            method = "buy_in" if kind.startswith("buy_in") else "leaving"
            other = line.field("newcomer") or line.field("leaver") or ""
            commitment = line.field("commitment")
            account = by_code[ward.code].accounts[0] if by_code[ward.code].accounts else ward.code
            rows.append(
                {
                    "BilledCost": str(line.amount),
                    "BillingCurrency": statement.currency,
                    "BillingPeriodStart": start,
                    "BillingPeriodEnd": end,
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": end,
                    "ChargeCategory": "Purchase" if line.amount >= 0 else "Credit",
                    "ChargeFrequency": "One-Time",
                    "ChargeDescription": f"{kind} ({other}{' ' + commitment if commitment is not None else ''})",
                    "ServiceName": "buy-in" if kind.startswith("buy_in") else "leaving",
                    "ServiceCategory": "Other",
                    "SubAccountId": account,
                    "AllocatedMethodId": f"{method}@{statement.rules_version}",
                    "AllocatedResourceId": account,
                    "AllocatedResourceName": ward.name,
                    "x_WardCode": ward.code,
                    "x_CapitalFlow": kind,
                }
            )
    return rows


def append_capital_rows(path: Path, rows: Sequence[dict[str, str]]) -> None:
    """Rewrite the FOCUS file at `path` with `rows` added (columns it lacks are added, others cast to its types)."""
    if not rows:
        return
    source = source_sql(path)
    fd, tmp = tempfile.mkstemp(prefix=".cost-capital.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    temporary = Path(tmp)
    try:
        temporary.unlink()
        with connect() as conn:
            types = dict((name, kind) for name, kind, *_ in conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall())
            names = list(dict.fromkeys([*types, *rows[0]]))
            conn.execute("CREATE TEMP TABLE extra(" + ", ".join(f"{ident(n)} VARCHAR" for n in names) + ")")
            conn.executemany(
                f"INSERT INTO extra VALUES ({', '.join('?' for _ in names)})",
                [[row.get(n) for n in names] for row in rows],
            )
            casts = ", ".join(
                f"CAST({ident(n)} AS {types[n]}) AS {ident(n)}" if n in types else ident(n) for n in names
            )
            parquet = path.suffix.lower() in (".parquet", ".pq")
            fmt = "FORMAT PARQUET" if parquet else "FORMAT CSV, HEADER"
            conn.execute(
                f"COPY (SELECT * FROM {source} UNION ALL BY NAME SELECT {casts} FROM extra) "
                f"TO {quote(str(temporary))} ({fmt})"
            )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
