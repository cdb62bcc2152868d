"""When a ward's backups are due: its cron schedule read in its time zone (Asia/Tokyo unless it says).

Part of the tenant model: validation reads it, the backup service runs by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

DEFAULT_TIMEZONE = "Asia/Tokyo"


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be read."""


@dataclass(frozen=True)
class Schedule:
    """A 5-field cron expression in an IANA time zone."""

    cron: str
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        self.zone  # noqa: B018 - validate on construction
        try:
            CronSim(self.cron, datetime(2000, 1, 1, tzinfo=self.zone))
        except (CronSimError, ValueError) as exc:
            raise ScheduleError(f"'{self.cron}' is not a 5-field cron expression: {exc}") from exc

    @cached_property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ScheduleError(f"'{self.timezone}' is not an IANA time zone (e.g. Asia/Tokyo)") from exc

    def last_fire(self, now: datetime) -> datetime:
        """The latest time at or before `now` the schedule fires (aware, in the schedule's zone)."""
        local = _aware(now).astimezone(self.zone)
        # cronsim iterates from the start exclusive of nothing finer than a minute: step past `now` first
        start = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return next(CronSim(self.cron, start, reverse=True))

    def next_fire(self, now: datetime) -> datetime:
        """The first time strictly after `now` the schedule fires."""
        local = _aware(now).astimezone(self.zone)
        return next(CronSim(self.cron, local.replace(second=0, microsecond=0)))

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The run window holding `now`: [last fire, next fire). One backup per volume per window."""
        return self.last_fire(now), self.next_fire(now)

    def due_since(self, now: datetime, grace: timedelta) -> datetime:
        """The fire time a good backup must be at least as new as: the last fire `grace` ago.

        A run that fired a moment ago may still be working; after `grace` its backup must exist.
        """
        return self.last_fire(_aware(now) - grace)

    def on_calendar(self) -> str | None:
        """The systemd `OnCalendar=` form of this schedule, or None when cron has no exact equivalent."""
        fields = self.cron.split()
        minute, hour, day, month, weekday = fields
        if not all(_calendar_list(f) for f in (minute, hour, day, month)) or not _calendar_weekday(weekday):
            return None
        days = "" if weekday == "*" else _weekday_names(weekday) + " "
        if day != "*" and weekday != "*":  # cron ORs the two day fields, systemd ANDs them
            return None
        return (f"{days}*-{_calendar_part(month, 2)}-{_calendar_part(day, 2)} "
                f"{_calendar_part(hour, 2)}:{_calendar_part(minute, 2)}:00 {self.timezone}")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no zone; pass an aware one")
    return moment


def _calendar_list(field: str) -> bool:
    return field == "*" or all(part.isascii() and part.isdigit() for part in field.split(","))


def _calendar_part(field: str, width: int = 1) -> str:
    return "*" if field == "*" else ",".join(part.zfill(width) for part in field.split(","))


_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _calendar_weekday(field: str) -> bool:
    return field == "*" or all(p.isascii() and p.isdigit() and int(p) <= 7 for p in field.split(","))


def _weekday_names(field: str) -> str:
    return ",".join(_WEEKDAYS[int(p)] for p in field.split(","))
