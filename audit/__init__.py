"""Tamper-evident audit log: append-only JSON Lines, each record hash-chained to the one before.

`audit.recorder.record(...)` is what commands call; `audit.log` appends, verifies, and repairs;
`audit.ship` copies new records to Swift. See docs/audit.md.
"""
