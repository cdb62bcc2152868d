"""Helpers that write and tamper with a test audit log."""

from __future__ import annotations

from pathlib import Path

from wardcloud.audit.recorder import record

REPO = Path(__file__).resolve().parents[2]
WARDS = REPO / "tenants" / "wards"
EXAMPLES = REPO / "cost_allocation" / "examples"
ALLOCATE = ["--tenants", str(WARDS), "cost", "allocate", "--bill", str(EXAMPLES / "bill-2023-07.csv"),
            "--rules", str(EXAMPLES / "rules.yaml"), "--usage", str(EXAMPLES / "usage-2023-07.csv"),
            "--period", "2023-07", "--format", "json"]


def write_records(state: Path, count: int, *, actor: str = "alice", ward: str = "131016") -> None:
    """Append `count` records the way commands do (audit.recorder.record)."""
    for n in range(count):
        record(state, actor, "cost allocate", ["wardctl", "cost", "allocate", "--period", "2026-10"],
               {}, "success", 0, {"n": n, "totals": {ward: 1000 + n}}, wards=[ward])


def log_lines(state: Path) -> list[bytes]:
    return (state / "audit.jsonl").read_bytes().splitlines(keepends=True)


def write_lines(state: Path, lines: list[bytes]) -> None:
    (state / "audit.jsonl").write_bytes(b"".join(lines))
