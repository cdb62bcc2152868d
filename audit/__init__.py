"""Tamper-evident audit log: append-only JSON Lines, each record hash-chained to the one before.

`wardcloud.audit.recorder.record(...)` is what commands call; `.log` appends, verifies, and repairs;
`.ship` copies new records to Swift. See docs/audit.md.
"""

# A checkout's root also holds this folder; importing it as `audit` would make a second copy of every module.
if __name__ != "wardcloud.audit":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.audit")
