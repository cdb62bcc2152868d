"""Every bad input a user (or a full disk) can produce is one located line and exit 1, never an
"internal error" or a traceback; and each error code the docs list is produced here or elsewhere."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hardening.helpers import (
    BILL,
    RULES,
    SAMPLE,
    USAGE,
    WARDS,
    assert_clean_failure,
    bill_rows,
    edited_bill,
    wardctl,
    write_csv,
)

Case = Callable[[Path], list[str]]
PERIOD = ["--period", "2023-07"]


def _rules(tmp: Path, old: str, new: str) -> Path:
    text = RULES.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp / "rules.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _allocate(bill: Path = BILL, rules: Path = RULES, usage: Path | None = USAGE) -> list[str]:
    return [
        "cost",
        "allocate",
        "--bill",
        str(bill),
        "--rules",
        str(rules),
        *(["--usage", str(usage)] if usage else []),
        *PERIOD,
    ]


def _wards(tmp: Path, edit: Callable[[str], str] = lambda t: t, only: str | None = None) -> Path:
    target = tmp / "wards"
    shutil.copytree(WARDS, target)
    for path in target.glob("*.yaml"):
        if only is None or path.name == only:
            path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def _json(tmp: Path, name: str, value: object) -> Path:
    path = tmp / name
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def _allocation(tmp: Path) -> dict:
    result = wardctl("cost", "allocate", *SAMPLE, "--format", "json")
    assert result.exit_code == 0
    return json.loads(result.stdout)


def _report(tmp: Path, allocation: object, *extra: str) -> list[str]:
    return [
        "report",
        "--period",
        "2023-07",
        "--allocation",
        str(_json(tmp, "alloc.json", allocation)),
        "--out",
        str(tmp / "report.html"),
        *extra,
    ]


def _broken_allocation(edit: Callable[[dict], object]) -> Case:
    def case(tmp: Path) -> list[str]:
        return _report(tmp, edit(_allocation(tmp)))

    return case


def _set(data: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    node: object = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    node[int(last) if isinstance(node, list) else last] = value  # type: ignore[index]
    return data


SG = "  - name: mynumber-app\n"
_DEEP = "[" * 100_000 + "]" * 100_000

CASES: dict[str, tuple[str, Case]] = {
    # cost: bill
    "empty bill": ("COST003", lambda t: _allocate(write_csv(t / "b.csv", bill_rows()[0], []))),
    "negative cost": ("COST005", lambda t: _allocate(edited_bill(t / "b.csv", {"BilledCost": "-5"}))),
    "other currency": ("COST006", lambda t: _allocate(edited_bill(t / "b.csv", {"BillingCurrency": "USD"}))),
    "bad timestamp": ("COST008", lambda t: _allocate(edited_bill(t / "b.csv", {"ChargePeriodStart": "yesterday"}))),
    "unknown ward": ("COST009", lambda t: _allocate(edited_bill(t / "b.csv", {"SubAccountId": "131999"}))),
    "unmatched shared": (
        "COST010",
        lambda t: _allocate(
            edited_bill(t / "b.csv", {"SubAccountId": "other", "ServiceName": "zzz", "ServiceCategory": "Other"})
        ),
    ),
    "bad quantity": ("COST011", lambda t: _allocate(usage=_usage_quantity(t, "lots"))),
    "not a number": ("COST004", lambda t: _allocate(edited_bill(t / "b.csv", {"BilledCost": "12 yen"}))),
    "huge cost": ("COST044", lambda t: _allocate(edited_bill(t / "b.csv", {"BilledCost": "1" + "0" * 20}))),
    # cost: rules
    "unknown driver": (
        "COST021",
        lambda t: _allocate(rules=_rules(t, "{driver: population, weight: 0.9}", "{driver: nosuch, weight: 0.9}")),
    ),
    "weights": (
        "COST022",
        lambda t: _allocate(rules=_rules(t, "{driver: population, weight: 0.9}", "{driver: population, weight: 0.8}")),
    ),
    "infeasible cap": ("COST023", lambda t: _allocate(rules=_rules(t, "cap: {share: 0.09}", "cap: {share: 0.01}"))),
    "no driver value": (
        "COST041",
        lambda t: [
            "--tenants",
            str(
                _wards(
                    t, lambda x: re.sub(r"  drivers:\n    inkan_registrations: [0-9]+\n", "", x), "131016-chiyoda.yaml"
                )
            ),
            *_allocate(),
        ],
    ),
    "zero driver": (
        "COST025",
        lambda t: [
            "--tenants",
            str(_wards(t, lambda x: re.sub(r"inkan_registrations: [0-9]+", "inkan_registrations: 0", x))),
            *_allocate(),
        ],
    ),
    "match column": (
        "COST026",
        lambda t: _allocate(rules=_rules(t, "match: {ServiceName: [bousai]}", "match: {NoSuchColumn: [bousai]}")),
    ),
    "duplicate pool": ("COST027", lambda t: _allocate(rules=_rules(t, "- id: bousai", "- id: platform"))),
    "exponent": (
        "COST020",
        lambda t: _allocate(
            rules=_rules(t, "{driver: population, weight: 0.9}", "{driver: population, weight: 0.9, exponent: 100000}")
        ),
    ),
    "bad period": ("COST030", lambda t: [*_allocate()[:-1], "2023-13"]),
    "simulate both": (
        "COST032",
        lambda t: [
            "cost",
            "simulate",
            "--join",
            "131113",
            "--leave",
            "131016",
            "--date",
            "2023-07-10",
            "--bill",
            str(BILL),
            "--rules",
            str(RULES),
        ],
    ),
    "reversed period": (
        "COST043",
        lambda t: _allocate(
            edited_bill(
                t / "b.csv", {"ChargePeriodStart": "2023-07-09T00:00:00Z", "ChargePeriodEnd": "2023-07-08T00:00:00Z"}
            )
        ),
    ),
    "bill twice": ("COST045", lambda t: _allocate(write_csv(t / "b.csv", bill_rows()[0], bill_rows()[1] * 2))),
    "bill is a fifo": ("COST001", lambda t: _allocate(bill=_fifo(t))),
    # tenants
    "two documents": (
        "TEN007",
        lambda t: ["--tenants", str(_wards(t, lambda x: x + "---\na: 1\n", "131130-shibuya.yaml")), "validate"],
    ),
    "duplicate group": (
        "TEN043",
        lambda t: [
            "--tenants",
            str(_wards(t, lambda x: x.replace(SG, SG.replace("mynumber-app", "lgwan-app")), "131130-shibuya.yaml")),
            "validate",
        ],
    ),
    "no such tenant file": ("TEN051", lambda t: ["validate", str(t / "131999-nowhere.yaml")]),
    "empty tenants": ("TEN050", lambda t: ["--tenants", str(t), "validate"]),
    "tenant tag": (
        "TEN009",
        lambda t: [
            "--tenants",
            str(_wards(t, lambda x: x.replace("ward:\n", "ward: !!python/object:os.system\n"), "131130-shibuya.yaml")),
            "plan",
        ],
    ),
    # policies
    "no policy config": ("POL001", lambda t: ["policy", "check", "--config", str(t / "nope.yaml")]),
    "policy schema": ("POL002", lambda t: ["policy", "check", "--config", str(_json(t, "p.yaml", "enforcement: 5\n"))]),
    "policy unknown rule": (
        "POL003",
        lambda t: ["policy", "check", "--config", str(_json(t, "p.yaml", "enforcement:\n  NOPE-999: advisory\n"))],
    ),
    "policy unknown ward": ("TEN020", lambda t: ["policy", "check", "--ward", "131999"]),
    # infra
    "import missing": ("INFRA023", lambda t: ["state", "import", str(t / "nope.json"), "--stack", "ward-131130"]),
    "destroy unknown stack": ("TEN020", lambda t: ["destroy", "--ward", "１３１１３０", "--dry-run"]),
    # reports
    "allocation not object": ("R000", lambda t: _report(t, [])),
    "statement line not object": ("R002", _broken_allocation(lambda d: _set(d, "wards.0.lines", [5]))),
    "statement line no amount": ("R003", _broken_allocation(lambda d: _set(d, "wards.0.lines", [{}]))),
    "missing key": ("R004", _broken_allocation(lambda d: {k: v for k, v in d.items() if k != "pools"})),
    "pool not object": ("R005", _broken_allocation(lambda d: _set(d, "pools", [5]))),
    "pool sum": ("R006", _broken_allocation(lambda d: _set(d, "pools.0.total", d["pools"][0]["total"] + 1))),
    "ward not object": ("R007", _broken_allocation(lambda d: _set(d, "wards", [5]))),
    "ward sum": ("R008", _broken_allocation(lambda d: _set(d, "wards.0.direct", d["wards"][0]["direct"] + 1))),
    "ward twice": ("R010", _broken_allocation(lambda d: _set(d, "wards", [*d["wards"], d["wards"][0]]))),
    "not a list": ("R011", _broken_allocation(lambda d: _set(d, "wards", 5))),
    "driver value not object": ("R013", _broken_allocation(lambda d: _set(d, "wards.0.drivers", [5]))),
    "allocation unreadable": ("R020", lambda t: _report(t, {})[:4] + [str(_fifo(t))] + _report(t, {})[5:]),
    "allocation not json": ("R021", lambda t: _report(t, "{nope")),
    "policy json": ("R030", lambda t: _report(t, _allocation(t), "--policy", str(_json(t, "p.json", {"v": 1})))),
    "policy violation": (
        "R031",
        lambda t: _report(t, _allocation(t), "--policy", str(_json(t, "p.json", {"violations": [5]}))),
    ),
    "report period": (
        "COST030",
        lambda t: [
            "report",
            "--period",
            "２０２３-07",
            "--allocation",
            str(_json(t, "alloc.json", _allocation(t))),
            "--out",
            str(t / "r.html"),
        ],
    ),
    "report previous": (
        "R052",
        lambda t: _report(t, _allocation(t), "--previous", str(_json(t, "prev.json", _allocation(t)))),
    ),
    # JSON nested too deeply for Python's parser: a located line, not RecursionError
    "deep allocation json": ("R021", lambda t: _report(t, _DEEP)),
    "deep policy json": ("R021", lambda t: _report(t, _allocation(t), "--policy", str(_json(t, "p.json", _DEEP)))),
    "deep stack export": (
        "INFRA020",
        lambda t: ["state", "import", str(_json(t, "s.json", _DEEP)), "--stack", "ward-131130"],
    ),
    "deep audit record": (
        "AUD001",
        lambda t: ["--audit-log", str(_json(t, "a.jsonl", _DEEP + "\n")), "audit", "verify"],
    ),
    # files
    "out is a fifo": ("FILE001", lambda t: [*_allocate(), "--out", str(_fifo(t))]),
    "report out is a link": ("FILE002", lambda t: [*_report(t, _allocation(t))[:-1], str(_link(t))]),
    "plan out under a file": ("FILE003", lambda t: ["plan", "--out", str(_plain(t) / "plan.json")]),
    # audit
    "anchor": ("AUD008", lambda t: ["audit", "verify", "--anchor", "nope"]),
    "since": ("AUD012", lambda t: ["audit", "log", "--since", "yesterday-ish"]),
}


def _usage_quantity(tmp: Path, value: str) -> Path:
    header, rows = bill_rows(USAGE)
    rows[0][header.index("ConsumedQuantity")] = value
    return write_csv(tmp / "usage.csv", header, rows)


def _fifo(tmp: Path) -> Path:
    path = tmp / "fifo"
    if not path.exists():
        os.mkfifo(path)
    return path


def _link(tmp: Path) -> Path:
    (tmp / "target.html").write_text("keep")
    (tmp / "link.html").symlink_to(tmp / "target.html")
    return tmp / "link.html"


def _plain(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_a_located_line(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDCTL_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    if name in ("anchor", "since"):
        assert wardctl("cost", "allocate", *SAMPLE).exit_code == 0  # a log to verify
    code, build = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    result = wardctl(*build(work))
    assert_clean_failure(result, code)
    assert all(
        re.match(r"^\S.*: [A-Z]+[0-9]{3} |^[0-9]+ problem\(s\) in |^audit log NOT intact", line)
        for line in result.stderr.splitlines()
    ), result.stderr


@pytest.mark.parametrize(
    "errno_value,code",
    [(errno.EROFS, "FILE004"), (errno.ENOSPC, "FILE005"), (errno.EIO, "FILE006"), (errno.EACCES, "FILE004")],
)
@pytest.mark.parametrize("command", ["allocate", "plan", "report"])
def test_the_disk_refusing_an_output_is_a_file_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errno_value: int, code: str, command: str
) -> None:
    import wardcloud.core.files as files

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno_value, os.strerror(errno_value))

    monkeypatch.setattr(files.os, "replace", refuse)
    out = tmp_path / "out.file"
    args = {
        "allocate": ["cost", "allocate", *SAMPLE, "--out", str(out)],
        "plan": ["plan", "--out", str(out)],
        "report": [
            "report",
            "--period",
            "2023-07",
            "--bill",
            str(BILL),
            "--rules",
            str(RULES),
            "--usage",
            str(USAGE),
            "--out",
            str(out),
        ],
    }[command]
    result = wardctl("--state", str(tmp_path / "state"), *args)
    assert_clean_failure(result, code)
    assert not out.exists()


def test_an_input_that_cannot_be_hashed_for_the_report(tmp_path: Path) -> None:
    from wardcloud.reports.inputs import sha256_file
    from wardcloud.reports.model import ReportError

    with pytest.raises(ReportError) as caught:
        sha256_file(_fifo(tmp_path))
    assert caught.value.problems[0].code == "R040"


def test_the_library_reports_missing_and_oversized_inputs(tmp_path: Path) -> None:
    from wardcloud.core.files import FileError, read_input

    with pytest.raises(FileError) as missing:
        read_input(tmp_path / "nope")
    assert missing.value.problems[0].code == "FILE007"
    (tmp_path / "big").write_bytes(b"x" * 100)
    with pytest.raises(FileError) as big:
        read_input(tmp_path / "big", limit=10)
    assert big.value.problems[0].code == "FILE008"


def test_allocating_among_no_wards_is_refused(tmp_path: Path) -> None:
    from tests.cost_allocation.helpers import EQUAL_POOL, row, write_bill, write_rules
    from wardcloud.cost_allocation.errors import CostError
    from wardcloud.cost_allocation.shares import Period
    from wardcloud.cost_allocation.statement import allocate_files

    bill = write_bill(tmp_path / "bill.csv", [row(10)])
    rules = write_rules(tmp_path / "rules.yaml", EQUAL_POOL)
    with pytest.raises(CostError) as caught:
        allocate_files(bill, rules, [], Period.month("2024-04"))
    assert [p.code for p in caught.value.problems] == ["COST031"]


def test_a_problem_is_one_line_whatever_the_input_holds(tmp_path: Path) -> None:
    key = '"evil\\nkey\\e[31m"'  # YAML escapes: a newline and ESC inside the key
    wards = _wards(tmp_path, lambda x: x.replace("ward:\n", f"ward:\n  {key}: 1\n  {key}: 2\n"), "131130-shibuya.yaml")
    result = wardctl("--tenants", str(wards), "validate")
    assert_clean_failure(result, "TEN002")
    (line,) = [ln for ln in result.stderr.splitlines() if "TEN002" in ln]
    assert "evil\\nkey\\x1b[31m" in line and "\x1b" not in result.stderr
