"""What a run does: one backup per volume per window, fulls and incrementals, expiry by retention."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from wardcloud.backup.model import Backup, Volume, WardState
from wardcloud.backup.plan import FULL_EVERY, expiries, keep_ids, plan_run
from wardcloud.tenants.schedule import Schedule

NIGHTLY = Schedule("0 2 * * *")  # 02:00 Asia/Tokyo = 17:00 UTC
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 12:00 JST; the window opened at 02:00 JST (17:00 UTC 1 Dec)
WINDOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def volume(n: int, segment: str = "mynumber", status: str = "available") -> Volume:
    return Volume(f"vol-{n:04d}-0000-0000", f"v{n}", 1, status, segment)


def backup(n: int, vol: Volume, created: datetime, status: str = "available", incremental: bool = False,
           dependents: bool = False, managed: bool = True) -> Backup:
    return Backup(f"bak-{n}", f"b{n}", vol.id, status, vol.size_gb, created, incremental, dependents, managed,
                  vol.segment)


def state(volumes: list[Volume], backups: list[Backup]) -> WardState:
    return WardState("131130", "project", tuple(volumes), tuple(backups))


def test_a_volume_without_backup_gets_a_full_one_into_its_segment_container() -> None:
    plan = plan_run(state([volume(1)], []), NIGHTLY, 35, NOW)
    (take,) = plan.take
    assert not take.incremental and take.container == "131130-mynumber-backup"
    assert take.window == WINDOW and plan.window[0] == WINDOW


def test_a_second_run_in_the_same_window_takes_nothing() -> None:
    v = volume(1)
    for status in ("available", "creating"):
        plan = plan_run(state([v], [backup(1, v, WINDOW + timedelta(minutes=5), status)]), NIGHTLY, 35, NOW)
        assert plan.take == () and "backed up in this window" in plan.skip[0].reason


def test_a_failed_backup_in_the_window_does_not_count_and_is_removed() -> None:
    v = volume(1)
    failed = backup(1, v, WINDOW + timedelta(minutes=5), "error")
    plan = plan_run(state([v], [failed]), NIGHTLY, 35, NOW)
    assert [t.volume for t in plan.take] == [v]
    assert [(e.backup, e.reason) for e in plan.expire] == [(failed, "failed")]


def test_incremental_while_a_recent_full_exists_full_again_after_a_week() -> None:
    v = volume(1)
    recent = plan_run(state([v], [backup(1, v, WINDOW - timedelta(days=1))]), NIGHTLY, 35, NOW)
    assert recent.take[0].incremental
    old = plan_run(state([v], [backup(1, v, NOW - FULL_EVERY)]), NIGHTLY, 35, NOW)
    assert not old.take[0].incremental


def test_volumes_that_cannot_be_backed_up_are_skipped_with_the_reason() -> None:
    plan = plan_run(state([volume(1, status="error")], []), NIGHTLY, 35, NOW)
    assert plan.take == () and plan.skip[0].reason == "volume is 'error'"


def test_backups_past_retention_expire_newest_first_but_a_volumes_last_good_one_stays() -> None:
    v, gone = volume(1), volume(2)
    old = [backup(i, v, NOW - timedelta(days=40 + i)) for i in range(3)]
    orphan = backup(9, gone, NOW - timedelta(days=50))  # its volume was deleted: nothing to keep it for
    newest = backup(10, v, NOW - timedelta(days=36))  # past retention, but the newest good one of v
    ward = state([v], [*old, orphan, newest])
    planned = [(e.backup.id, e.reason) for e in expiries(ward, 35, NOW)]
    assert planned == [("bak-0", "retention"), ("bak-1", "retention"), ("bak-2", "retention"),
                       ("bak-9", "retention")]
    assert keep_ids(ward) == {"bak-10"}


def test_backups_the_service_did_not_make_are_never_touched() -> None:
    v = volume(1)
    foreign = backup(1, v, NOW - timedelta(days=400), managed=False)
    assert expiries(state([v], [foreign]), 35, NOW) == []
    assert plan_run(state([v], [foreign]), NIGHTLY, 35, NOW).take  # and it does not count as ours


ages = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 24 * 90), st.sampled_from(["available", "error",
                                                                                         "creating"])),
                max_size=25)


@settings(max_examples=200, deadline=None)
@given(ages, st.integers(1, 60), st.integers(0, 24 * 30))
def test_plan_properties(backups: list[tuple[int, int, str]], retention: int, hours: int) -> None:
    now = NOW + timedelta(hours=hours)
    volumes = [volume(n) for n in range(3)]  # volume 3's backups are orphans
    made = [backup(i, volume(v), now - timedelta(hours=h), s) for i, (v, h, s) in enumerate(backups)]
    ward = state(volumes, made)
    plan = plan_run(ward, NIGHTLY, retention, now)
    expired = {e.backup.id for e in plan.expire}
    # never the last restore point of a live volume; never anything younger than retention unless failed
    assert not expired & keep_ids(ward)
    for e in plan.expire:
        assert e.backup.status == "error" or now - e.backup.created_at >= timedelta(days=retention)
    # every live volume is either backed up in this window already or planned now, never both, never twice
    taken = [t.volume.id for t in plan.take]
    assert len(taken) == len(set(taken))
    skipped = {s.volume.id for s in plan.skip}
    assert set(taken) | skipped == {v.id for v in volumes} and not set(taken) & skipped
    # idempotent: with the planned backups started, a second run in the window plans none
    started = [dataclasses.replace(backup(100 + i, t.volume, now), status="creating") for i, t in
               enumerate(plan.take)]
    again = plan_run(state(volumes, [*made, *started]), NIGHTLY, retention, now)
    assert again.take == ()
