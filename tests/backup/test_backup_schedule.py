"""Schedules: cron read in the ward's time zone (Asia/Tokyo by default), windows, systemd calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim
from hypothesis import given, settings
from hypothesis import strategies as st

from wardcloud.tenants.schedule import Schedule, ScheduleError

TOKYO = ZoneInfo("Asia/Tokyo")
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
crons = st.sampled_from(["0 2 * * *", "30 1 * * 1,3", "*/15 * * * *", "0 0 1 * *", "5 4 * * 0", "0 2 * 3 *"])
zones = st.sampled_from(["Asia/Tokyo", "UTC", "America/New_York", "Europe/London"])


def test_schedule_is_read_in_tokyo_time_unless_the_file_says_otherwise() -> None:
    # 17:30 UTC on 1 Dec is 02:30 JST on 2 Dec: the 02:00 JST run of 2 Dec has fired
    now = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert Schedule("0 2 * * *").last_fire(now) == datetime(2026, 12, 2, 2, 0, tzinfo=TOKYO)
    assert Schedule("0 2 * * *", "UTC").last_fire(now) == datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("UTC"))


def test_a_fire_time_opens_its_own_window() -> None:
    fire = datetime(2026, 12, 2, 2, 0, tzinfo=TOKYO)
    assert Schedule("0 2 * * *").window(fire) == (fire, fire + timedelta(days=1))
    assert Schedule("0 2 * * *").window(fire - timedelta(seconds=1))[1] == fire


@settings(max_examples=200, deadline=None)
@given(moments, crons, zones)
def test_window_holds_now_and_no_fire_time_falls_inside_it(now: datetime, cron: str, zone: str) -> None:
    schedule = Schedule(cron, zone)
    start, end = schedule.window(now)
    assert start <= now < end
    assert next(CronSim(cron, start.astimezone(ZoneInfo(zone)))) == end  # nothing fires between


@settings(max_examples=100, deadline=None)
@given(moments, crons, st.integers(min_value=0, max_value=48))
def test_due_since_is_never_after_the_last_fire(now: datetime, cron: str, hours: int) -> None:
    schedule = Schedule(cron)
    assert schedule.due_since(now, timedelta(hours=hours)) <= schedule.last_fire(now)


@pytest.mark.parametrize("cron,zone", [("0 2 * * 8", "Asia/Tokyo"), ("61 * * * *", "Asia/Tokyo"),
                                       ("0 2 * *", "Asia/Tokyo"), ("0 2 * * *", "Mars/Olympus")])
def test_unreadable_schedules_are_refused(cron: str, zone: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule(cron, zone)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        Schedule("0 2 * * *").last_fire(datetime(2026, 1, 1))


@pytest.mark.parametrize("cron,calendar", [
    ("0 2 * * *", "*-*-* 02:00:00 Asia/Tokyo"),
    ("30 1 * * 1,3", "Mon,Wed *-*-* 01:30:00 Asia/Tokyo"),
    ("0 0 1 * *", "*-*-01 00:00:00 Asia/Tokyo"),
    ("*/15 * * * *", None),  # steps have no exact OnCalendar form here: the timer falls back to a frequent tick
])
def test_systemd_calendar_of_a_schedule(cron: str, calendar: str | None) -> None:
    assert Schedule(cron).on_calendar() == calendar
