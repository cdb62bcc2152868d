"""The schedule, made to run: a systemd service + timer, and the equivalent cron lines, from the wards' files.

`backup run` is idempotent inside a schedule's window, so the timer may fire at every ward's schedule at
once: each firing backs up only the wards whose window has no backup yet. A schedule with no exact
`OnCalendar=` form (cron steps and ranges) makes the timer tick every 15 minutes instead.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from wardcloud.tenants.model import Tenant
from wardcloud.tenants.schedule import Schedule

FALLBACK_CALENDAR = "*:0/15"


@dataclass(frozen=True)
class Units:
    """The files an operator installs: the service, the timer, and the cron alternative."""

    service: str
    timer: str
    cron: str


def units(wards: Sequence[Tenant], wardctl: str, cloud: str, tenants_dir: str, state_dir: str) -> Units:
    """systemd units and cron lines that run `wardctl backup run` when the wards' schedules say."""
    schedules = sorted({Schedule(t.backup.schedule, t.backup.timezone) for t in wards},
                       key=lambda s: (s.timezone, s.cron))
    calendars = [s.on_calendar() for s in schedules]
    exact = [c for c in calendars if c is not None]
    if len(exact) < len(calendars):
        exact.append(FALLBACK_CALENDAR)
    command = shlex.join([wardctl, "--tenants", tenants_dir, "--state", state_dir, "backup", "run",
                          "--cloud", cloud])
    codes = ", ".join(t.code for t in sorted(wards, key=lambda t: t.code))
    service = (
        "[Unit]\n"
        "Description=wardcloud: back up the wards' volumes (wardctl backup run)\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        "[Service]\nType=oneshot\n"
        "# the wards' schedules decide what is due; a run inside a window changes nothing\n"
        f"ExecStart={command}\n"
    )
    timer = (
        "[Unit]\nDescription=wardcloud: when the wards' backups are due\n\n"
        "[Timer]\n"
        + "".join(f"OnCalendar={c}\n" for c in exact)
        + "Persistent=true\nRandomizedDelaySec=60\n\n[Install]\nWantedBy=timers.target\n"
    )
    cron = f"# wardcloud backups of {codes}\n" + "".join(
        f"CRON_TZ={s.timezone}\n{s.cron} {command}\n" for s in schedules
    )
    return Units(service, timer, cron)
