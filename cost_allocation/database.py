"""The in-memory DuckDB an allocation reads its files with: opened and closed in threads, off the critical path.

DuckDB takes ~25 ms to start a database and ~10 ms to free a big scan's hash tables, neither holding the GIL:
`start_database` lets the start-up overlap loading code and files, `close_database` lets the clean-up overlap
the allocation and its output.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future

import duckdb


def open_database() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with UTC timestamps; the caller closes it."""
    conn = duckdb.connect()
    conn.execute("SET GLOBAL TimeZone='UTC'")  # GLOBAL: connections made from this one inherit it
    with contextlib.suppress(duckdb.Error):  # older DuckDB: no such optimizer, nothing to disable
        # DuckDB 2's type pushdown turns TRY_CAST over a CSV column into a strict conversion inside
        # the reader, which fails on the very values TRY_CAST exists to catch (a cost of "12 yen")
        conn.execute("SET GLOBAL disabled_optimizers='type_pushdown'")
    return conn


def start_database() -> Future[duckdb.DuckDBPyConnection]:
    """`open_database` in a thread of its own; the future gives the database (or the error) when it is open."""
    future: Future[duckdb.DuckDBPyConnection] = Future()

    def run() -> None:
        try:
            future.set_result(open_database())
        except BaseException as exc:  # handed to whoever waits for the database
            future.set_exception(exc)

    threading.Thread(target=run, name="duckdb-open").start()
    return future


def close_database(database: Future[duckdb.DuckDBPyConnection]) -> None:
    """Close a started database once it is open, in a thread (the interpreter waits for it before exiting)."""

    def run() -> None:
        if database.exception() is None:
            database.result().close()

    threading.Thread(target=run, name="duckdb-close").start()
