"""Read and validate FOCUS bills and usage files with DuckDB; aggregate rows without loading them."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb

from wardcloud.core.files import Code as FileCode
from wardcloud.core.files import FileError, check_input
from wardcloud.cost_allocation.database import open_database
from wardcloud.cost_allocation.errors import Code, CostError, Problem
from wardcloud.cost_allocation.rules import Pool
from wardcloud.cost_allocation.shares import WARD_LIKE, Period, Ward

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
MAX_COST = "1000000000000000000"  # 10^18: no charge is near it, and 10^11 rows of it still sum exactly in DECIMAL(38,9)


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
def connect(database: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with UTC timestamps; with `database`, a new connection to that one.

    A new connection to an open database costs microseconds, a new database ~10 ms: one allocation scans
    its bill and its usage in two threads, each on its own connection to one database.
    """
    if database is not None:
        cursor = database.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        return
    conn = open_database()
    try:
        yield conn
    finally:
        conn.close()


def columns(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """The file's column names and DuckDB types; CostError when DuckDB cannot read it."""
    try:
        check_input(path)  # a FIFO, a device or a directory is refused before DuckDB would block on it
    except FileError as exc:
        problem = exc.problems[0]
        message = "file not found" if problem.code == FileCode.NOT_FOUND else problem.message
        raise CostError([Problem(str(path), 0, 0, Code.UNREADABLE, message)]) from None
    try:
        return {
            row[0]: str(row[1]) for row in conn.execute(f"DESCRIBE SELECT * FROM {source_sql(path)}").fetchall()
        }
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CostError(
            [Problem(str(path), 0, 0, Code.UNREADABLE, f"cannot read as FOCUS data: {first}")]
        ) from exc


def require(path: Path, present: Collection[str], required: Sequence[str]) -> None:
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
    path: Path, condition: str, code: str, message: str, shown: str, typed: str | None = None
) -> list[Problem]:
    """Problems naming the first rows matching `condition` (1-based data rows; CSV lines count the header).

    `typed` is the row source with its checked casts (default: the bill's). A database of its own, with one
    thread, so row_number() follows the file's order without slowing any other scan.
    """
    query = (
        f"SELECT rn, {shown} FROM (SELECT row_number() OVER () AS rn, * FROM {typed or _typed(path)}) "
        f"WHERE {condition} ORDER BY rn"
    )
    with connect() as conn:
        conn.execute("SET threads=1")
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


_EXACT = ("DECIMAL", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "UBIGINT", "UINTEGER")
_NUMERIC = (*_EXACT, "DOUBLE", "FLOAT")


def statistics_prove_valid(
    conn: duckdb.DuckDBPyConnection, path: Path, types: Mapping[str, str], currency: str, period: Period
) -> bool:
    """True when a Parquet file's own statistics show every row valid: typed, no nulls, costs >= 0 (no NaN),
    one currency, every charge period inside the period. Anything unproven: False, and rows are checked."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return False
    if not types.get("BilledCost", "").startswith(_NUMERIC) or not all(
        types.get(c, "").startswith("TIMESTAMP") for c in ("ChargePeriodStart", "ChargePeriodEnd")
    ):
        return False
    # one read of the footer's statistics (~3 ms), judged here: the same judgement in SQL took ~10 ms
    cursor = conn.execute(f"SELECT * FROM parquet_metadata({quote(str(path))})")
    names = [d[0] for d in cursor.description or ()]
    chunks = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    checked = ("BilledCost", "BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd")
    groups = {c["row_group_id"] for c in chunks}
    stats = [c for c in chunks if c["path_in_schema"] in checked]
    if not groups or len(stats) != len(checked) * len(groups):
        return False  # a row group without statistics for each checked column proves nothing

    opens = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    closes = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC)

    def holds(chunk: Mapping[str, Any]) -> bool:
        if chunk["stats_null_count"] != 0 or (chunk.get("stats_nan_count") or 0) != 0:
            return False
        low, high = chunk["stats_min_value"], chunk["stats_max_value"]
        column = chunk["path_in_schema"]
        if column == "BilledCost":
            cost, most = _decimal(low), _decimal(high)
            return cost is not None and cost >= 0 and most is not None and most < Decimal(MAX_COST)
        if column == "BillingCurrency":
            exact = chunk.get("min_is_exact") is not False and chunk.get("max_is_exact") is not False
            return low == currency and high == currency and exact
        first, last = _instant(low), _instant(high)
        if first is None or last is None:
            return False
        # every start and every end inside [opens, closes], starts before closing, ends after opening
        if column == "ChargePeriodStart":
            return first >= opens and last < closes
        return first > opens and last <= closes

    return all(holds(chunk) for chunk in stats)


def _decimal(text: str | None) -> Decimal | None:
    """A statistics value as a number; None when it is not one (or is NaN/infinite)."""
    try:
        value = Decimal(text) if text is not None else None
    except ArithmeticError:
        return None
    return value if value is not None and value.is_finite() else None


def _instant(text: str | None) -> datetime | None:
    """A statistics value as a UTC instant (a timestamp without zone is UTC, as the scan reads it)."""
    try:
        moment = datetime.fromisoformat(text) if text is not None else None
    except ValueError:
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _typed(path: Path) -> str:
    """The bill's rows with checked casts: `_cost` (NULL when not a number or, `_huge`, not below MAX_COST,
    so no sum can overflow), `_start`, `_end`."""
    return (
        f"(SELECT * EXCLUDE (_cost), CASE WHEN _cost < {MAX_COST} THEN _cost END AS _cost, "
        f"_cost >= {MAX_COST} AS _huge FROM "
        f"(SELECT *, TRY_CAST(BilledCost AS DECIMAL(38,9)) AS _cost, "
        f"TRY_CAST(ChargePeriodStart AS TIMESTAMPTZ) AS _start, "
        f"TRY_CAST(ChargePeriodEnd AS TIMESTAMPTZ) AS _end FROM {source_sql(path)}))"
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
    path: Path,
    currency: str,
    period: Period,
    pools: Sequence[Pool],
    rules_file: str = "rules",
    database: duckdb.DuckDBPyConnection | None = None,
    allow_duplicates: bool = False,
) -> BillScan:
    """The one DuckDB scan: group sums and counts of bad values; needs no wards, so it can run meanwhile.

    Every row must be well-formed and inside `period`: a cost that is a number, >= 0 and below 10^18; a
    charge period of two timestamps, start before end, within the period; the rules' currency. Rows equal
    in every column are an error (COST045) unless `allow_duplicates`: a bill fed twice is not charged twice.
    """
    with connect(database) as conn:
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
        # both ends inside [start, end): a row starting after the period is outside even if it "ends" inside
        outside = (f"_start < TIMESTAMPTZ {start} OR _start >= TIMESTAMPTZ {end} "
                   f"OR _end > TIMESTAMPTZ {end} OR _end <= TIMESTAMPTZ {start}")
        proven = statistics_prove_valid(conn, path, present, currency, period)

        def key(column: str) -> str:
            if proven and column == "BillingCurrency":
                return quote(currency)  # the statistics show it is the rules' currency in every row
            # a cast of a text column to text still costs DuckDB a pass over the strings
            return ident(column) if present[column] == "VARCHAR" else f"CAST({ident(column)} AS VARCHAR)"

        select = ", ".join(key(k) for k in keys)
        if proven:
            # every row group's min/max/null statistics already prove cost, currency and period valid:
            # the scan only sums; a DECIMAL or integer cost sums exactly as it is (into 128 bits)
            exact_type = present["BilledCost"].startswith(_EXACT)
            cost = "BilledCost" if exact_type else "CAST(BilledCost AS DECIMAL(38,9))"
            groups = conn.execute(
                f"SELECT {select}, sum({cost}), count(*), 0, 0, 0, 0, "
                "count(*) FILTER (WHERE ChargePeriodStart >= ChargePeriodEnd), 0 "
                f"FROM {source_sql(path)} AS b GROUP BY ALL"
            ).fetchall()
        else:
            groups = conn.execute(
                f"SELECT {select}, sum(_cost), count(*), "
                f"count(*) FILTER (WHERE _cost IS NULL AND _huge IS NOT TRUE), count(*) FILTER (WHERE _cost < 0), "
                f"count(*) FILTER (WHERE _start IS NULL OR _end IS NULL), "
                f"count(*) FILTER (WHERE {outside}), "
                f"count(*) FILTER (WHERE _start >= _end), count(*) FILTER (WHERE _huge) "
                f"FROM {_typed(path)} AS b GROUP BY ALL"
            ).fetchall()
        if not groups:
            raise CostError([Problem(str(path), 0, 0, Code.EMPTY_BILL, "the bill has no rows")])
        width = len(keys)
        problems: list[Problem] = []
        if any(g[width + 2] for g in groups):
            problems += locate(
                path,
                "_cost IS NULL",
                Code.BAD_COST,
                "BilledCost {value!r} is not a number",
                "BilledCost",
            )
        if any(g[width + 3] for g in groups):
            problems += locate(
                path, "_cost < 0", Code.NEGATIVE_COST, "BilledCost {value} is negative", "BilledCost"
            )
        if any(g[width + 4] for g in groups):
            problems += locate(
                path,
                "_start IS NULL OR _end IS NULL",
                Code.BAD_DATE,
                "charge period {value} is not an ISO 8601 timestamp pair",
                "concat(ChargePeriodStart, ' .. ', ChargePeriodEnd)",
            )
        if any(g[width + 5] for g in groups):
            problems += locate(
                path,
                outside,
                Code.OUTSIDE_PERIOD,
                f"charge period {{value}} lies outside --period {period.label} "
                f"[{period.start}, {period.end})",
                "concat(ChargePeriodStart, ' .. ', ChargePeriodEnd)",
            )
        if any(g[width + 6] for g in groups):
            problems += locate(
                path,
                "_start >= _end",
                Code.REVERSED_PERIOD,
                "charge period {value} does not start before it ends",
                "concat(ChargePeriodStart, ' .. ', ChargePeriodEnd)",
            )
        if any(g[width + 7] for g in groups):
            problems += locate(
                path,
                "_huge",
                Code.COST_TOO_LARGE,
                "BilledCost {value} is not below 10^18; no charge is that large",
                "BilledCost",
            )
        # rows equal in every column (a bill fed twice): screened by their hashes, named only if two share one
        if not allow_duplicates and may_repeat_rows(conn, path, sum(g[width + 1] for g in groups)):
            problems += duplicate_rows(conn, path)
        if any(g[3] != currency for g in groups):
            problems += locate(
                path,
                f"BillingCurrency IS DISTINCT FROM {quote(currency)}",
                Code.CURRENCY,
                f"BillingCurrency {{value!r}} is not the rules' {currency}",
                "BillingCurrency",
            )
    return BillScan(path, tuple(keys), tuple(groups), tuple(problems))


# from this many rows on, the screen for repeated rows sorts the hashes in numpy; below it DuckDB's distinct
# count costs less than loading numpy (~60 ms)
SORTED_SCREEN_ROWS = 1_000_000


def may_repeat_rows(conn: duckdb.DuckDBPyConnection, path: Path, rows: int) -> bool:
    """False when no two rows of the file share a 64-bit hash of the whole row, so none is equal to another
    in every column; True when two do (equal rows, or, less than once in 10^5 bills of 10 M rows, a
    collision, which `duplicate_rows` then finds to be no duplicate).

    DuckDB only hashes: its exact distinct count needs a hash table of every row (~3 s of CPU and 1.3 GB at
    10 M rows), while numpy sorts the 10 M hashes in ~0.1 s. A small bill is screened by DuckDB alone and
    does not load numpy.
    """
    rows_hashed = f"SELECT hash(b) AS h FROM {source_sql(path)} AS b"
    if rows < SORTED_SCREEN_ROWS:
        found = conn.execute(f"SELECT count(*) - count(DISTINCT h) FROM ({rows_hashed})").fetchone()
        return bool(found and found[0])
    numpy = _numpy()
    hashes = conn.execute(rows_hashed).fetchnumpy()["h"]
    hashes.sort()
    return bool(numpy.any(hashes[1:] == hashes[:-1]))


def _numpy() -> ModuleType:
    """numpy, loaded late (only a big bill needs it) and without the BLAS thread pool it would start.

    Its OpenBLAS starts a thread per core at import, which costs ~40 ms of CPU, half the import; sorting
    never uses it. The variable is read once, when OpenBLAS loads, and restored straight after.
    """
    if "numpy" in sys.modules:
        return sys.modules["numpy"]
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy
    finally:
        if before is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = before
    return numpy


def duplicate_rows(conn: duckdb.DuckDBPyConnection, path: Path) -> list[Problem]:
    """Problems naming rows equal in every column to an earlier row (CSV line numbers count the header)."""
    csv = path.suffix.lower() not in (".parquet", ".pq")
    found = conn.execute(
        f"SELECT list(rn ORDER BY rn) FROM (SELECT row_number() OVER () AS rn, b AS _row "
        f"FROM {source_sql(path)} AS b) GROUP BY _row HAVING count(*) > 1 ORDER BY min(rn)"
    ).fetchall()
    problems = []
    for (rows,) in found[:_SHOWN_ROWS]:
        first, *again = rows
        lines = ", ".join(f"row {rn}" for rn in again)
        problems.append(Problem(
            str(path), again[0] + 1 if csv else 0, 1 if csv else 0, Code.DUPLICATE_ROWS,
            f"{lines} equal{'s' if len(again) == 1 else ''} row {first} (line {first + 1 if csv else '-'}) in "
            "every column: a bill fed twice? (pass --allow-duplicate-rows if these are distinct charges)"))
    if len(found) > _SHOWN_ROWS:
        problems.append(Problem(str(path), 0, 0, Code.DUPLICATE_ROWS,
                                f"{len(found) - _SHOWN_ROWS} more sets of rows equal in every column"))
    return problems


def classify_bill(scan: BillScan, pools: Sequence[Pool], wards: Sequence[Ward]) -> Bill:
    """Direct charges per ward and service, shared cost per pool; unknown wards and unmatched rows: error."""
    path, keys, groups = scan.path, list(scan.keys), scan.groups
    width = len(keys)
    index = ward_index(wards)
    strangers = strangers_among((g[0] for g in groups), index)
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
        if account in strangers:
            continue
        row = dict(zip(keys, group[:width], strict=True))
        pool = next((p for p in pools if p.selects(row)), None)
        if pool is None:
            unmatched.append(row)
            continue
        pool_cost[pool.id] += cost
        pool_rows[pool.id] += count
    if scan.problems or strangers or unmatched:
        raise CostError(_row_problems(path, scan.problems, strangers, unmatched))
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


def strangers_among(accounts: Iterable[str | None], index: Mapping[str, str]) -> list[str]:
    """Accounts shaped like a ward's (`131016`, `131016-chiyoda`) that name no ward in the tenant files."""
    return sorted({a for a in accounts if a and a not in index and WARD_LIKE.match(a)})


def unknown_ward_rows(path: Path, account: str, typed: str | None = None) -> list[Problem]:
    """The rows whose SubAccountId is `account`, a ward-like account no tenant file declares."""
    return locate(
        path,
        f"SubAccountId = {quote(account)}",
        Code.UNKNOWN_WARD,
        "SubAccountId {value!r} names no ward in the tenant files",
        "SubAccountId",
        typed,
    )


def _row_problems(
    path: Path, found: Sequence[Problem], strangers: Sequence[str], unmatched: Sequence[Mapping[str, Any]]
) -> list[Problem]:
    """The scan's problems, then rows naming unknown wards; only if there are none, rows no pool selects.

    Only a bill with problems pays for a second pass to name their rows.
    """
    problems = list(found)
    for account in strangers:
        problems += unknown_ward_rows(path, account)
    if problems:
        return problems
    condition = " OR ".join(
        "("
        + " AND ".join(
            f"CAST({ident(k)} AS VARCHAR) IS NOT DISTINCT FROM {quote(v) if v is not None else 'NULL'}"
            for k, v in row.items()
        )
        + ")"
        for row in unmatched
    )
    return locate(
        path,
        condition,
        Code.UNMATCHED_SHARED,
        "shared row {value} is selected by no pool; add a pool whose match selects it (no cost may vanish)",
        "concat_ws(' / ', SubAccountId, ServiceName, ServiceCategory)",
    )


@dataclass(frozen=True)
class UsageScan:
    """A usage file aggregated by account and unit, with counts of bad quantities; needs no wards."""

    path: Path
    typed: str  # the row source with its checked cast, to name bad rows by
    groups: tuple[tuple[Any, ...], ...]


def scan_usage(path: Path, database: duckdb.DuckDBPyConnection | None = None) -> UsageScan:
    """The DuckDB scan of a usage file: quantity per account and unit, and counts of bad quantities."""
    typed = f"(SELECT *, TRY_CAST(ConsumedQuantity AS DECIMAL(38,9)) AS _quantity FROM {source_sql(path)})"
    with connect(database) as conn:
        require(path, columns(conn, path), USAGE_COLUMNS)
        groups = conn.execute(
            f"SELECT CAST(SubAccountId AS VARCHAR), CAST(ConsumedUnit AS VARCHAR), sum(_quantity), "
            f"count(*) FILTER (WHERE ConsumedQuantity IS NOT NULL AND _quantity IS NULL), "
            f"count(*) FILTER (WHERE _quantity < 0) FROM {typed} GROUP BY ALL"
        ).fetchall()
    return UsageScan(path, typed, tuple(groups))


def classify_usage(scan: UsageScan, wards: Sequence[Ward]) -> dict[tuple[str, str], Fraction]:
    """Each ward's metered usage by ConsumedUnit; rows of non-ward accounts are ignored; bad rows: error."""
    path, typed, groups = scan.path, scan.typed, scan.groups
    index = ward_index(wards)
    problems: list[Problem] = []
    if any(g[3] for g in groups):
        problems += locate(
            path,
            "ConsumedQuantity IS NOT NULL AND _quantity IS NULL",
            Code.BAD_QUANTITY,
            "ConsumedQuantity {value!r} is not a number",
            "ConsumedQuantity",
            typed,
        )
    if any(g[4] for g in groups):
        problems += locate(
            path, "_quantity < 0", Code.BAD_QUANTITY, "ConsumedQuantity {value} is negative", "ConsumedQuantity",
            typed,
        )
    for account in strangers_among((g[0] for g in groups), index):
        problems += unknown_ward_rows(path, account, typed)
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
        outer = "* EXCLUDE (_row, _to)"
        if "PARQUET" not in fmt:  # a CSV finance opens in Excel: text from the bill never becomes a formula
            described = conn.execute(f"DESCRIBE SELECT * EXCLUDE (_row, _to) FROM ({query})").fetchall()
            outer = ", ".join(_csv_text_sql(name) if kind == "VARCHAR" else ident(name)
                              for name, kind, *_ in described)
        conn.execute(
            f"COPY (SELECT {outer} FROM ({query}) ORDER BY _row, _to) "
            f"TO {quote(str(target))} ({fmt})"
        )


def _csv_text_sql(name: str) -> str:
    """SQL for column `name` as wardcloud.core.cells.csv_text writes it: formula-like text gets an apostrophe."""
    column = ident(name)
    triggers = quote("^[=+\\-@\t\r\n＝＋－＠]")
    number = quote("[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?")
    return (f"CASE WHEN regexp_matches({column}, {triggers}) AND NOT regexp_full_match({column}, {number}) "
            f"THEN {quote(chr(39))} || {column} ELSE {column} END AS {column}")
