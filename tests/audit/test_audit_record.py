"""The record encoding: what verification hashes is exactly what `seal` hashed, for any content."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.audit.logfile import log_lines, write_lines, write_records
from wardcloud.audit.log import append, verify
from wardcloud.audit.record import Entry, body_sha256, canonical, digest, sealed_line

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
    max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(actor=st.text(), argv=st.lists(st.text(), max_size=4),
       summary=st.dictionaries(st.text(), json_values, max_size=4), wards=st.lists(st.text(), max_size=3))
def test_a_stored_line_hashes_to_its_hash_whatever_it_contains(actor: str, argv: list[str],
                                                               summary: dict, wards: list[str]) -> None:
    entry = Entry(actor, "apply", tuple(argv), {"hash": {"hash": '"hash":"x'}}, "started", None,
                  {**summary, "hash": "f" * 64}, tuple(wards))
    record, line = sealed_line(entry, seq=7, time="2026-11-29T00:00:00.000000Z", prev="0" * 64)

    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line == record.line() and line[:-1] == canonical(json.loads(line))
    assert body_sha256(line[:-1]) == record.hash == digest(record.body())


def test_exact_numbers_are_stored_as_strings_never_floats(tmp_path: Path) -> None:
    from fractions import Fraction
    record = append(tmp_path / "log.jsonl", [Entry("a", "cost allocate", (), {}, "success", 0,
                                                   {"share": Fraction(1, 3), "ratio": 0.5})])[0]
    assert record.summary == {"share": "1/3", "ratio": "0.5"}
    assert verify(tmp_path / "log.jsonl").valid


def test_an_edit_that_keeps_the_json_meaning_is_still_an_edit(state: Path, wardctl) -> None:
    write_records(state, 3)
    lines = log_lines(state)
    lines[1] = lines[1].replace(b'"actor":"alice"', b'"actor": "alice"')
    write_lines(state, lines)

    result = wardctl("audit", "verify")

    assert result.exit_code == 1 and ":2: AUD002 record 2 was edited" in result.stderr
