"""Read and validate FOCUS bills and usage files with DuckDB; aggregate rows without loading them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb

from cost_allocation.errors import Code, CostError, Problem
from cost_allocation.rules import Pool
from cost_allocation.shares import WARD_LIKE, Period, Ward

BILL_COLUMNS = (
    "BilledCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ServiceName",
    "ServiceCategory",
    "SubAccountId",
)
USAGE_COLUMNS = ("SubAccountId", "ConsumedQuantity", "ConsumedUnit")
_SHOWN_ROWS = 5  # rows named per kind of problem; the rest are counted


@dataclass(frozen=True)
class DirectCharge:
    """A ward's own rows for one service: exact cost and row count."""

    ward: str
    service: str
    category: str
    cost: Fraction
    rows: int


@dataclass(frozen=True)
class Bill:
    """A validated bill, aggregated: direct charges per ward and service, shared cost per pool."""

    file: str
    direct: tuple[DirectCharge, ...]
    pools: Mapping[str, Fraction]
    pool_rows: Mapping[str, int]
    total: Fraction
    rows: int


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def source_sql(path: Path) -> str:
    """The DuckDB table function reading `path`: Parquet by suffix, else CSV with every column as text."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return f"read_parquet({quote(str(path))})"
    # all_varchar: a non-numeric cost must reach our checks, not fail DuckDB's type sniffing
    return f"read_csv({quote(str(path))}, header=true, all_varchar=true, auto_detect=true)"


@contextmanager
def connect() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with UTC timestamps."""
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone='UTC'")
        with contextlib.suppress(duckdb.Error):  # older DuckDB: no such optimizer, nothing to disable
            # DuckDB 2's type pushdown turns TRY_CAST over a CSV column into a strict conversion inside
            # the reader, which fails on the very values TRY_CAST exists to catch (a cost of "12 yen")
            conn.execute("SET disabled_optimizers='type_pushdown'")
        yield conn
    finally:
        conn.close()


def columns(conn: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The file's column names; CostError when DuckDB cannot read it."""
    if not path.is_file():
        raise CostError([Problem(str(path), 0, 0, Code.UNREADABLE, "file not found")])
    try:
        return [row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM {source_sql(path)}").fetchall()]
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CostError(
            [Problem(str(path), 0, 0, Code.UNREADABLE, f"cannot read as FOCUS data: {first}")]
        ) from exc


def require(path: Path, present: Sequence[str], required: Sequence[str]) -> None:
    """CostError naming every missing column."""
    missing = [c for c in required if c not in present]
    if missing:
        raise CostError(
            [
                Problem(
                    str(path),
                    1 if path.suffix.lower() == ".csv" else 0,
                    0,
                    Code.MISSING_COLUMN,
                    f"missing column {name}",
                )
                for name in missing
            ]
        )


def locate(
    conn: duckdb.DuckDBPyConnection, path: Path, condition: str, code: str, message: str, shown: str
) -> list[Problem]:
    """Problems naming the first rows matching `condition` (1-based data rows; CSV lines count the header)."""
    conn.execute("SET threads=1")  # row_number() over the scan in file order
    query = (
        f"SELECT rn, {shown} FROM (SELECT row_number() OVER () AS rn, * FROM {_typed(path)}) "
        f"WHERE {condition} ORDER BY rn"
    )
    found = conn.execute(f"SELECT count(*) FROM ({query})").fetchone()
    rows = conn.execute(f"{query} LIMIT {_SHOWN_ROWS}").fetchall()
    csv = path.suffix.lower() != ".parquet" and path.suffix.lower() != ".pq"
    problems = [
        Problem(
            str(path),
            rn + 1 if csv else 0,
            1 if csv else 0,
            code,
            f"row {rn}: " + message.format(value=value),
        )
        for rn, value in rows
    ]
    more = (found[0] if found else 0) - len(rows)
    if more > 0:
        problems.append(Problem(str(path), 0, 0, code, f"{more} more rows: " + message.format(value="…")))
    return problems


_NUMERIC = ("DECIMAL", "DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "UBIGINT", "UINTEGER")


def _statistics_prove_valid(
    conn: duckdb.DuckDBPyConnection, path: Path, currency: str, period: Period
) -> bool:
    """True when a Parquet file's own statistics show every row valid: typed, no nulls, costs >= 0 (no NaN),
    one currency, every charge period inside the period. Anything unproven: False, and rows are checked."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return False
    types = dict(
        (name, kind)
        for name, kind, *_ in conn.execute(f"DESCRIBE SELECT * FROM {source_sql(path)}").fetchall()
    )
    if not str(types.get("BilledCost", "")).startswith(_NUMERIC) or not all(
        str(types.get(c, "")).startswith("TIMESTAMP") for c in ("ChargePeriodStart", "ChargePeriodEnd")
    ):
        return False
    start, end = quote(period.start.isoformat()), quote(period.end.isoformat())
    row = conn.execute(
        f"""
        WITH s AS (SELECT * FROM parquet_metadata({quote(str(path))}) WHERE path_in_schema IN
                   ('BilledCost', 'BillingCurrency', 'ChargePeriodStart', 'ChargePeriodEnd'))
        SELECT count(DISTINCT row_group_id) = (SELECT count(DISTINCT row_group_id)
                                               FROM parquet_metadata({quote(str(path))}))
               AND count(*) = 4 * count(DISTINCT row_group_id)
               AND bool_and(stats_null_count = 0)
               AND bool_and(coalesce(stats_nan_count, 0) = 0)
               AND bool_and(TRY_CAST(stats_min_value AS DECIMAL(38,9)) >= 0)
                   FILTER (path_in_schema = 'BilledCost')
               AND bool_and(stats_min_value = {quote(currency)} AND stats_max_value = {quote(currency)}
                            AND coalesce(min_is_exact, TRUE) AND coalesce(max_is_exact, TRUE))
                   FILTER (path_in_schema = 'BillingCurrency')
               AND bool_and(TRY_CAST(stats_min_value AS TIMESTAMPTZ) >= TIMESTAMPTZ {start})
                   FILTER (path_in_schema = 'ChargePeriodStart')
               AND bool_and(TRY_CAST(stats_max_value AS TIMESTAMPTZ) <= TIMESTAMPTZ {end})
                   FILTER (path_in_schema = 'ChargePeriodEnd')
        FROM s"""
    ).fetchone()
    return bool(row and row[0])


def _typed(path: Path) -> str:
    return (
        f"(SELECT *, TRY_CAST(BilledCost AS DECIMAL(38,9)) AS _cost, "
        f"TRY_CAST(ChargePeriodStart AS TIMESTAMPTZ) AS _start, "
        f"TRY_CAST(ChargePeriodEnd AS TIMESTAMPTZ) AS _end FROM {source_sql(path)})"
    )


def _fraction(value: Decimal | int | float | None) -> Fraction:
    return Fraction(value) if value is not None else Fraction(0)


def ward_index(wards: Sequence[Ward]) -> dict[str, str]:
    """SubAccountId → ward code, for every identifier of every ward."""
    return {identifier: ward.code for ward in wards for identifier in ward.identifiers}


@dataclass(frozen=True)
class BillScan:
    """A bill aggregated by account, service and match columns, with the row problems found on the way."""

    path: Path
    keys: tuple[str, ...]
    groups: tuple[tuple[Any, ...], ...]
    problems: tuple[Problem, ...]


def read_bill(
    path: Path,
    currency: str,
    period: Period,
    pools: Sequence[Pool],
    wards: Sequence[Ward],
    rules_file: str = "rules",
) -> Bill:
    """Validate and aggregate a FOCUS bill in one DuckDB scan; CostError names file and rows."""
    return classify_bill(scan_bill(path, currency, period, pools, rules_file), pools, wards)


def scan_bill(
    path: Path, currency: str, period: Period, pools: Sequence[Pool], rules_file: str = "rules"
) -> BillScan:
    """The one DuckDB scan: group sums and counts of bad values; needs no wards, so it can run meanwhile."""
    with connect() as conn:
        present = columns(conn, path)
        match_columns = list(dict.fromkeys(c for pool in pools for c, _ in pool.match))
        require(path, present, BILL_COLUMNS)
        unknown = [(pool, c) for pool in pools for c, _ in pool.match if c not in present]
        if unknown:
            raise CostError(
                [
                    Problem(
                        rules_file,
                        0,
                        0,
                        Code.UNKNOWN_MATCH_COLUMN,
                        f"pool {pool.id!r} matches on column {column!r}, which {path} lacks",
                        f"{pool.key}.match.{column}",
                    )
                    for pool, column in unknown
                ]
            )
        keys = list(
            dict.fromkeys(
                ["SubAccountId", "ServiceName", "ServiceCategory", "BillingCurrency", *match_columns]
            )
        )
        start, end = quote(period.start.isoformat()), quote(period.end.isoformat())
        select = ", ".join(f"CAST({ident(k)} AS VARCHAR)" for k in keys)
        if _statistics_prove_valid(conn, path, currency, period):
            # every row group's min/max/null statistics already prove cost, currency and period valid:
            # the scan only sums (the currency is the rules' in every row, so it is a constant key)
            select = select.replace('CAST("BillingCurrency" AS VARCHAR)', quote(currency))
            groups = conn.execute(
                f"SELECT {select}, sum(CAST(BilledCost AS DECIMAL(38,9))), count(*), 0, 0, 0, 0 "
                f"FROM {source_sql(path)} GROUP BY ALL"
            ).fetchall()
        else:
            groups = conn.execute(
                f"SELECT {select}, sum(_cost), count(*), "
                f"count(*) FILTER (WHERE _cost IS NULL), count(*) FILTER (WHERE _cost < 0), "
                f"count(*) FILTER (WHERE _start IS NULL OR _end IS NULL), "
                f"count(*) FILTER (WHERE _start < TIMESTAMPTZ {start} OR _end > TIMESTAMPTZ {end}) "
                f"FROM {_typed(path)} GROUP BY ALL"
            ).fetchall()
        if not groups:
            raise CostError([Problem(str(path), 0, 0, Code.EMPTY_BILL, "the bill has no rows")])
        width = len(keys)
        problems: list[Problem] = []
        if any(g[width + 2] for g in groups):
            problems += locate(
                conn,
                path,
                "_cost IS NULL",
                Code.BAD_COST,
                "BilledCost {value!r} is not a number",
                "BilledCost",
            )
        if any(g[width + 3] for g in groups):
            problems += locate(
                conn, path, "_cost < 0", Code.NEGATIVE_COST, "BilledCost {value} is negative", "BilledCost"
            )
        if any(g[width + 4] for g in groups):
            problems += locate(
                conn,
                path,
                "_start IS NULL OR _end IS NULL",
                Code.BAD_DATE,
                "charge period {value} is not an ISO 8601 timestamp pair",
                "concat(ChargePeriodStart, ' .. ', ChargePeriodEnd)",
            )
        if any(g[width + 5] for g in groups):
            problems += locate(
                conn,
                path,
                f"_start < TIMESTAMPTZ {start} OR _end > TIMESTAMPTZ {end}",
                Code.OUTSIDE_PERIOD,
                f"charge period {{value}} lies outside --period {period.label} "
                f"[{period.start}, {period.end})",
                "concat(ChargePeriodStart, ' .. ', ChargePeriodEnd)",
            )
        if any(g[3] != currency for g in groups):
            problems += locate(
                conn,
                path,
                f"BillingCurrency IS DISTINCT FROM {quote(currency)}",
                Code.CURRENCY,
                f"BillingCurrency {{value!r}} is not the rules' {currency}",
                "BillingCurrency",
            )
    return BillScan(path, tuple(keys), tuple(groups), tuple(problems))


def classify_bill(scan: BillScan, pools: Sequence[Pool], wards: Sequence[Ward]) -> Bill:
    """Direct charges per ward and service, shared cost per pool; unknown wards and unmatched rows: error."""
    path, keys, groups, problems = scan.path, list(scan.keys), scan.groups, list(scan.problems)
    width = len(keys)
    with connect() as conn:
        index = ward_index(wards)
        strangers = sorted(
            {g[0] for g in groups if g[0] is not None and g[0] not in index and WARD_LIKE.match(g[0])}
        )
        for account in strangers:
            problems += locate(
                conn,
                path,
                f"SubAccountId = {quote(account)}",
                Code.UNKNOWN_WARD,
                "SubAccountId {value!r} names no ward in the tenant files",
                "SubAccountId",
            )
        if problems:
            raise CostError(problems)

        direct: dict[tuple[str, str, str], list[Any]] = {}
        pool_cost: dict[str, Fraction] = {pool.id: Fraction(0) for pool in pools}
        pool_rows: dict[str, int] = {pool.id: 0 for pool in pools}
        unmatched = []
        for group in groups:
            cost, count = _fraction(group[width]), group[width + 1]
            account = group[0]
            if account in index:
                key = (index[account], group[1] or "", group[2] or "")
                slot = direct.setdefault(key, [Fraction(0), 0])
                slot[0] += cost
                slot[1] += count
                continue
            row = dict(zip(keys, group[:width], strict=True))
            pool = next((p for p in pools if p.selects(row)), None)
            if pool is None:
                unmatched.append(row)
                continue
            pool_cost[pool.id] += cost
            pool_rows[pool.id] += count
        if unmatched:
            condition = " OR ".join(
                "("
                + " AND ".join(
                    f"CAST({ident(k)} AS VARCHAR) IS NOT DISTINCT FROM "
                    f"{quote(v) if v is not None else 'NULL'}"
                    for k, v in row.items()
                )
                + ")"
                for row in unmatched
            )
            raise CostError(
                locate(
                    conn,
                    path,
                    condition,
                    Code.UNMATCHED_SHARED,
                    "shared row {value} is selected by no pool; add a pool whose match "
                    "selects it (no cost may vanish)",
                    "concat_ws(' / ', SubAccountId, ServiceName, ServiceCategory)",
                )
            )
    charges = tuple(
        DirectCharge(code, service, category, cost, rows)
        for (code, service, category), (cost, rows) in sorted(direct.items())
    )
    total = sum((c.cost for c in charges), Fraction(0)) + sum(pool_cost.values(), Fraction(0))
    return Bill(
        str(path),
        charges,
        pool_cost,
        pool_rows,
        total,
        sum(c.rows for c in charges) + sum(pool_rows.values()),
    )


def read_usage(path: Path, wards: Sequence[Ward]) -> dict[tuple[str, str], Fraction]:
    """Each ward's metered usage by ConsumedUnit; rows of non-ward accounts are ignored."""
    with connect() as conn:
        require(path, columns(conn, path), USAGE_COLUMNS)
        typed = (
            f"(SELECT *, TRY_CAST(ConsumedQuantity AS DECIMAL(38,9)) AS _quantity FROM {source_sql(path)})"
        )
        groups = conn.execute(
            f"SELECT CAST(SubAccountId AS VARCHAR), CAST(ConsumedUnit AS VARCHAR), sum(_quantity), "
            f"count(*) FILTER (WHERE ConsumedQuantity IS NOT NULL AND _quantity IS NULL), "
            f"count(*) FILTER (WHERE _quantity < 0) FROM {typed} GROUP BY ALL"
        ).fetchall()
        index = ward_index(wards)
        problems: list[Problem] = []

        def find(condition: str, code: str, message: str, shown: str) -> list[Problem]:
            conn.execute("SET threads=1")
            rows = conn.execute(
                f"SELECT rn, {shown} FROM (SELECT row_number() OVER () AS rn, * FROM {typed}) "
                f"WHERE {condition} ORDER BY rn LIMIT {_SHOWN_ROWS}"
            ).fetchall()
            csv = path.suffix.lower() not in (".parquet", ".pq")
            return [
                Problem(
                    str(path),
                    rn + 1 if csv else 0,
                    1 if csv else 0,
                    code,
                    f"row {rn}: " + message.format(value=value),
                )
                for rn, value in rows
            ]

        if any(g[3] for g in groups):
            problems += find(
                "ConsumedQuantity IS NOT NULL AND _quantity IS NULL",
                Code.BAD_QUANTITY,
                "ConsumedQuantity {value!r} is not a number",
                "ConsumedQuantity",
            )
        if any(g[4] for g in groups):
            problems += find(
                "_quantity < 0", Code.BAD_QUANTITY, "ConsumedQuantity {value} is negative", "ConsumedQuantity"
            )
        for account in sorted({g[0] for g in groups if g[0] and g[0] not in index and WARD_LIKE.match(g[0])}):
            problems += find(
                f"SubAccountId = {quote(account)}",
                Code.UNKNOWN_WARD,
                "SubAccountId {value!r} names no ward in the tenant files",
                "SubAccountId",
            )
        if problems:
            raise CostError(problems)
    usage: dict[tuple[str, str], Fraction] = {}
    for account, unit, quantity, *_ in groups:
        if account in index and unit is not None:
            key = (index[account], unit)
            usage[key] = usage.get(key, Fraction(0)) + _fraction(quantity)
    return usage


def period_of(day: date) -> Period:
    """The calendar month containing `day`."""
    return Period.month(day.strftime("%Y-%m"))


@dataclass(frozen=True)
class RowSplit:
    """How each row of one pool splits onto one ward in FOCUS output."""

    pool: str
    ward: str
    units: int  # AllocatedRatio × 10**12
    method_id: str
    details: str  # AllocatedMethodDetails JSON
    resource_id: str
    resource_name: str


def _match_sql(pool: Pool) -> str:
    if not pool.match:
        return "TRUE"
    return " AND ".join(
        f"CAST({ident(column)} AS VARCHAR) IN ({', '.join(quote(v) for v in values)})"
        for column, values in pool.match
    )


def write_focus_split(
    bill_path: Path,
    target: Path,
    pools: Sequence[Pool],
    wards: Sequence[Ward],
    splits: Sequence[RowSplit],
    ratio_units: int,
) -> None:
    """FOCUS 1.3 split-cost-allocation rows: direct rows tagged with their ward, shared rows one per ward.

    A shared row's parts are whole yen when its cost is (else units of 1e-9), floored from cost × ratio,
    with the leftover units going to the largest remainders (ties by ward code): they sum to the row.
    """
    index = ward_index(wards)
    present_cost_source = source_sql(bill_path)
    accounts = ", ".join(f"({quote(k)}, {quote(v)})" for k, v in index.items())
    pool_case = " ".join(f"WHEN {_match_sql(p)} THEN {quote(p.id)}" for p in pools)
    fmt = "FORMAT PARQUET" if target.suffix.lower() in (".parquet", ".pq") else "FORMAT CSV, HEADER"
    with connect() as conn:
        conn.execute("CREATE TEMP TABLE accounts(account VARCHAR, ward VARCHAR)")
        if index:
            conn.execute(f"INSERT INTO accounts VALUES {accounts}")
        conn.execute(
            "CREATE TEMP TABLE splits(pool VARCHAR, ward VARCHAR, units HUGEINT, method_id VARCHAR, "
            "details VARCHAR, resource_id VARCHAR, resource_name VARCHAR)"
        )
        if splits:
            conn.executemany(
                "INSERT INTO splits VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (s.pool, s.ward, s.units, s.method_id, s.details, s.resource_id, s.resource_name)
                    for s in splits
                ],
            )
        conn.execute(f"""
            CREATE TEMP VIEW rows AS
            SELECT row_number() OVER () AS _row, b.*, TRY_CAST(b.BilledCost AS DECIMAL(38,9)) AS _cost,
                   a.ward AS _ward,
                   CASE WHEN a.ward IS NOT NULL THEN NULL {pool_case} END AS _pool
            FROM {present_cost_source} AS b
            LEFT JOIN accounts AS a ON CAST(b.SubAccountId AS VARCHAR) = a.account""")
        conn.execute(f"""
            CREATE TEMP VIEW parts AS
            WITH scaled AS (
                SELECT r.*, s.ward AS _to, s.method_id, s.details, s.resource_id, s.resource_name,
                       CASE WHEN r._cost = trunc(r._cost) THEN 1 ELSE 1000000000 END AS _scale,
                       CAST(r._cost * (CASE WHEN r._cost = trunc(r._cost) THEN 1 ELSE 1000000000 END)
                            AS HUGEINT) * s.units AS _product
                FROM rows AS r JOIN splits AS s ON s.pool = r._pool),
            floored AS (
                SELECT *, _product // {ratio_units} AS _base, _product % {ratio_units} AS _rest,
                       CAST(_cost * _scale AS HUGEINT)
                           - sum(_product // {ratio_units}) OVER (PARTITION BY _row) AS _left,
                       row_number() OVER (PARTITION BY _row ORDER BY _product % {ratio_units} DESC, _to)
                           AS _rank
                FROM scaled)
            SELECT * EXCLUDE (_base, _rest, _left, _rank, _product),
                   CASE WHEN _scale = 1 THEN CAST(_base + (_rank <= _left)::INTEGER AS DECIMAL(38,9))
                        -- decimal × decimal stays exact; decimal ÷ integer would become a double
                        ELSE CAST(CAST(_base + (_rank <= _left)::INTEGER AS DECIMAL(38,0))
                                  * CAST(0.000000001 AS DECIMAL(10,9)) AS DECIMAL(38,9)) END AS _part
            FROM floored""")
        names = [r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM {present_cost_source}").fetchall()]
        own = [
            n
            for n in names
            if n
            not in (
                "AllocatedMethodId",
                "AllocatedMethodDetails",
                "AllocatedResourceId",
                "AllocatedResourceName",
                "x_WardCode",
            )
        ]
        base_cols = ", ".join(ident(n) if n != "BilledCost" else '{cost} AS "BilledCost"' for n in own)
        if "read_csv" in present_cost_source:  # CSV in, CSV-friendly text out: 1234 or 12.5, never 1234.000
            direct = base_cols.format(cost="BilledCost")
            split = base_cols.format(
                cost="CASE WHEN _scale = 1 THEN CAST(CAST(_part AS HUGEINT) AS VARCHAR) "
                "ELSE rtrim(rtrim(CAST(_part AS VARCHAR), '0'), '.') END"
            )
        else:
            direct = base_cols.format(cost="TRY_CAST(BilledCost AS DECIMAL(38,9))")
            split = base_cols.format(cost="_part")
        query = f"""
            SELECT {direct}, NULL AS AllocatedMethodId, NULL AS AllocatedMethodDetails,
                   NULL AS AllocatedResourceId, NULL AS AllocatedResourceName, _ward AS x_WardCode,
                   _row, '' AS _to
            FROM rows WHERE _pool IS NULL
            UNION ALL BY NAME
            SELECT {split}, method_id AS AllocatedMethodId, details AS AllocatedMethodDetails,
                   resource_id AS AllocatedResourceId, resource_name AS AllocatedResourceName,
                   _to AS x_WardCode, _row, _to
            FROM parts"""
        conn.execute(
            f"COPY (SELECT * EXCLUDE (_row, _to) FROM ({query}) ORDER BY _row, _to) "
            f"TO {quote(str(target))} ({fmt})"
        )
