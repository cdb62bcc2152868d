"""Builders for the hardening tests: the real CLI in-process, the bundled sample bill, bad files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import ROOT
from wardcloud.cli.main import cli

EXAMPLES = ROOT / "cost_allocation" / "examples"
BILL, RULES, USAGE = EXAMPLES / "bill-2023-07.csv", EXAMPLES / "rules.yaml", EXAMPLES / "usage-2023-07.csv"
WARDS = ROOT / "tenants" / "wards"
SAMPLE = ["--bill", str(BILL), "--rules", str(RULES), "--usage", str(USAGE), "--period", "2023-07"]


def wardctl(*args: str, env: dict[str, str] | None = None, tenants: Path = WARDS) -> Result:
    """`wardctl --tenants WARDS ARGS...` in-process; stdout and stderr apart."""
    return CliRunner().invoke(cli, ["--tenants", str(tenants), *args], env=env)


def bill_rows(path: Path = BILL) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV bill."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def edited_bill(path: Path, edit: dict[str, str], rows: Sequence[int] = (0,)) -> Path:
    """The sample bill with columns of the given rows (0-based) set to new values."""
    header, body = bill_rows()
    for index in rows:
        for column, value in edit.items():
            body[index][header.index(column)] = value
    return write_csv(path, header, body)


def reported_errors(result: Result) -> dict[str, object] | None:
    """The `{"errors": [...]}` document a `--format json` command prints on stdout instead of text lines."""
    try:
        document = json.loads(result.stdout)
    except ValueError:
        return None
    return document if isinstance(document, dict) and set(document) == {"errors"} else None


def assert_clean_failure(result: Result, code: str | None = None) -> None:
    """Exit 1, no traceback, no internal error, and (if given) the code on stderr (or in stdout's JSON errors)."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    text = result.stderr + result.stdout
    assert "internal error" not in text and "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if code is not None:
        errors = reported_errors(result)
        assert code in result.stderr or (errors is not None and code in json.dumps(errors)), text


def assert_no_output(result: Result) -> None:
    """Nothing but the problems on stdout: no statement, not part of one."""
    assert result.stdout == "" or reported_errors(result) is not None, result.stdout
