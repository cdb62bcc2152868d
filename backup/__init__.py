"""Backups that run and restore: Cinder backups of each ward's volumes to Swift, expiry by retention,
an off-site copy by Swift container sync, compliance checks and restore drills. See docs/backup.md.

The flow: `schedule` (when a run is due) and `plan` (what a run must do, a pure function of a snapshot of
the cloud) → `cloud` (read the snapshot, carry the actions out with openstacksdk) → `run`, `verify`,
`drill` (the three commands, each leaving audit records).
"""

# A checkout's root also holds this folder; importing it as `backup` would make a second copy of every module.
if __name__ != "wardcloud.backup":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.backup")
