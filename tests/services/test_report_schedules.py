"""Scheduled report emails: when the next one goes (at an hour of the owner's day, across DST
changes and month ends), what a schedule may ask for (a report its owner may read, valid
filters, sensible times) with a clear message for each mistake, and that a schedule is its
owner's alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import permissions
from app.extensions import db
from app.models.analytics import ReportSchedule, ScheduleFrequency
from app.models.identity import Role
from app.services import report_schedules, targets
from app.services.report_schedules import next_run_at
from app.services.reports.filters import period_dates
from app.services.validation import RecordInvalid
from tests.factories import make_team, make_user

DAILY, WEEKLY, MONTHLY = (
    ScheduleFrequency.DAILY,
    ScheduleFrequency.WEEKLY,
    ScheduleFrequency.MONTHLY,
)
TAIPEI, NEW_YORK = ZoneInfo("Asia/Taipei"), ZoneInfo("America/New_York")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- next_run_at ----------------------------------------------------------------------------


def test_a_daily_report_goes_at_the_hour_of_the_owners_day():
    # 07:00 in Taipei (UTC+8) is 23:00 UTC the day before.
    assert next_run_at(DAILY, 0, 1, 7, TAIPEI, utc(2026, 3, 9, 22, 59)) == utc(2026, 3, 9, 23)
    assert next_run_at(DAILY, 0, 1, 7, TAIPEI, utc(2026, 3, 10, 0, 0)) == utc(2026, 3, 10, 23)


def test_the_next_run_is_strictly_after_the_one_just_due():
    assert next_run_at(DAILY, 0, 1, 7, TAIPEI, utc(2026, 3, 9, 23)) == utc(2026, 3, 10, 23)


def test_a_weekly_report_keeps_its_wall_clock_hour_across_the_spring_dst_change():
    # New York moves to summer time on Sunday 8 March 2026: Monday 09:00 is 14:00 UTC
    # before (EST, UTC-5) and 13:00 UTC after (EDT, UTC-4).
    monday = 0
    first = next_run_at(WEEKLY, monday, 1, 9, NEW_YORK, utc(2026, 2, 28))
    assert first == utc(2026, 3, 2, 14)
    assert next_run_at(WEEKLY, monday, 1, 9, NEW_YORK, first) == utc(2026, 3, 9, 13)


def test_an_hour_the_dst_change_skips_runs_an_hour_later():
    # 02:00 does not exist in New York on 8 March 2026: the run is at 03:00 EDT (07:00 UTC).
    after_saturday = next_run_at(DAILY, 0, 1, 2, NEW_YORK, utc(2026, 3, 7, 7))
    assert after_saturday == utc(2026, 3, 8, 7)
    assert after_saturday.astimezone(NEW_YORK).hour == 3
    assert next_run_at(DAILY, 0, 1, 2, NEW_YORK, after_saturday) == utc(2026, 3, 9, 6)


def test_an_hour_the_dst_change_repeats_runs_once_the_first_time():
    # 01:00 happens twice in New York on 1 November 2026: 05:00 UTC (EDT), 06:00 UTC (EST).
    first = next_run_at(DAILY, 0, 1, 1, NEW_YORK, utc(2026, 11, 1, 0))
    assert first == utc(2026, 11, 1, 5)
    # Not again at 06:00 UTC the same night: the next day at 01:00 EST.
    assert next_run_at(DAILY, 0, 1, 1, NEW_YORK, first) == utc(2026, 11, 2, 6)


def test_a_monthly_report_goes_on_its_day_across_month_ends():
    assert next_run_at(MONTHLY, 0, 1, 7, UTC, utc(2026, 1, 31, 12)) == utc(2026, 2, 1, 7)
    assert next_run_at(MONTHLY, 0, 28, 7, UTC, utc(2026, 2, 1, 7)) == utc(2026, 2, 28, 7)
    assert next_run_at(MONTHLY, 0, 28, 7, UTC, utc(2026, 2, 28, 7)) == utc(2026, 3, 28, 7)
    assert next_run_at(MONTHLY, 0, 28, 7, UTC, utc(2026, 12, 28, 8)) == utc(2027, 1, 28, 7)


def test_the_first_of_the_month_in_taipei_is_the_last_day_of_the_month_in_utc():
    assert next_run_at(MONTHLY, 0, 1, 7, TAIPEI, utc(2026, 1, 15)) == utc(2026, 1, 31, 23)
    assert next_run_at(MONTHLY, 0, 1, 7, TAIPEI, utc(2026, 1, 31, 23)) == utc(2026, 2, 28, 23)


# -- Creating, changing, deleting -----------------------------------------------------------


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, team=make_team("North"), time_zone="Asia/Taipei")


def test_a_schedule_keeps_the_filters_as_the_report_reads_them(manager):
    # What the report page's filters send: the period and the dates it shows for it.
    first, after = period_dates("last_month", targets.today())
    shown = {"start": first.isoformat(), "end": (after - timedelta(days=1)).isoformat()}
    schedule = report_schedules.create_schedule(
        manager,
        "sales-funnel",
        "weekly",
        "7",
        weekday="2",
        filter_args={
            "period": "last_month",
            "dates_for": "last_month",
            **shown,
            "region": "tw",
            "team": str(manager.team_id),
            "owner": "",
        },
        now=utc(2026, 3, 9, 12),  # Monday evening in Taipei
    )
    db.session.commit()
    # "Last month" stays relative (each email counts the month before it), not these dates.
    assert schedule.filters == {"period": "last_month", "team": str(manager.team_id),
                                "region": "TW"}  # fmt: skip
    assert (schedule.frequency, schedule.weekday, schedule.hour) == (WEEKLY, 2, 7)
    # Wednesday 07:00 in Taipei.
    assert schedule.next_run_at == utc(2026, 3, 10, 23)
    assert schedule.is_active and schedule.last_sent_at is None


def test_custom_dates_are_kept_as_dates(manager):
    schedule = report_schedules.create_schedule(
        manager, "win-rate", "DAILY", 8,
        filter_args={"period": "custom", "start": "2026-01-01", "end": "2026-03-31",
                     "group": "source"},
    )  # fmt: skip
    assert schedule.filters == {"period": "custom", "start": "2026-01-01", "end": "2026-03-31",
                                "group": "source"}  # fmt: skip


def test_every_mistake_is_named_at_once(manager):
    with pytest.raises(RecordInvalid) as refused:
        report_schedules.create_schedule(
            manager,
            "sales-funnel",
            "HOURLY",
            "24",
            weekday="7",
            day_of_month="29",
            filter_args={"period": "forever", "team": "x"},
        )
    assert refused.value.errors == {
        "frequency": "Choose every day, every week or every month.",
        "weekday": "Choose a day of the week.",
        "day_of_month": "Choose a day of the month from 1 to 28.",
        "hour": "Choose an hour from 0 to 23.",
        "period": "Choose one of the periods offered.",
        "team": "Choose a team from the list.",
    }
    assert db.session.query(ReportSchedule).count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("hour", "-1"), ("hour", ""), ("hour", "7.5"), ("day_of_month", "0"), ("weekday", "x")],
)
def test_out_of_range_times_are_refused(manager, field, value):
    fields = {"frequency": "MONTHLY", "hour": "7", "weekday": "0", "day_of_month": "1"}
    with pytest.raises(RecordInvalid) as refused:
        report_schedules.create_schedule(manager, "sales-funnel", **(fields | {field: value}))
    assert list(refused.value.errors) == [field]


def test_only_a_report_of_the_catalogue_the_owner_may_read(manager):
    with pytest.raises(RecordInvalid) as unknown:
        report_schedules.create_schedule(manager, "no-such-report", "DAILY", 7)
    assert unknown.value.errors == {"report_key": "Choose a report from the list."}

    marketer = make_user(Role.MARKETING)
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.commit()
    with pytest.raises(RecordInvalid) as unreadable:
        report_schedules.create_schedule(marketer, "sales-funnel", "DAILY", 7)
    assert unreadable.value.errors == {"report_key": "Choose a report from the list."}


def test_a_user_has_at_most_so_many_schedules(manager, monkeypatch):
    monkeypatch.setattr(report_schedules, "MAX_PER_USER", 2)
    for _ in range(2):
        report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    with pytest.raises(RecordInvalid) as refused:
        report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    assert refused.value.errors == {
        "report_key": "You have 2 scheduled reports already; delete one to add another."
    }
    # Another user's count is their own.
    report_schedules.create_schedule(make_user(Role.MANAGER), "sales-funnel", "DAILY", 7)


def test_a_change_works_out_the_next_run_again(manager):
    schedule = report_schedules.create_schedule(
        manager, "sales-funnel", "DAILY", 7, now=utc(2026, 3, 9, 12)
    )
    report_schedules.update_schedule(
        schedule, manager, frequency="MONTHLY", day_of_month=15, hour=18, now=utc(2026, 3, 9, 12)
    )
    assert schedule.next_run_at == utc(2026, 3, 15, 10)  # 18:00 in Taipei
    report_schedules.update_schedule(schedule, manager, is_active=False)
    assert schedule.is_active is False
    with pytest.raises(RecordInvalid):
        report_schedules.update_schedule(schedule, manager, hour=99)


def test_a_schedule_is_its_owners_alone(manager):
    mine = report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    other = make_user(Role.MANAGER)
    theirs = report_schedules.create_schedule(other, "win-rate", "DAILY", 9)
    db.session.commit()

    assert report_schedules.schedules_of(manager) == [mine]
    assert report_schedules.schedule_of(manager, theirs.id) is None
    assert report_schedules.schedule_of(other, theirs.id) is theirs
    with pytest.raises(LookupError):
        report_schedules.update_schedule(theirs, manager, hour=8)
    with pytest.raises(LookupError):
        report_schedules.delete_schedule(theirs, manager)
    report_schedules.delete_schedule(mine, manager)
    db.session.commit()
    assert report_schedules.schedules_of(manager) == []
    assert report_schedules.schedules_of(other) == [theirs]


def test_a_schedule_says_when_it_goes(manager):
    daily = report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    weekly = report_schedules.create_schedule(manager, "sales-funnel", "WEEKLY", 18, weekday=4)
    monthly = report_schedules.create_schedule(
        manager, "sales-funnel", "MONTHLY", 0, day_of_month=28
    )
    assert report_schedules.describe(daily) == "Every day at 07:00"
    assert report_schedules.describe(weekly) == "Every Friday at 18:00"
    assert report_schedules.describe(monthly) == "On day 28 of every month at 00:00"


def test_due_schedules_of_active_owners_oldest_first(manager):
    now = utc(2026, 3, 9, 12)
    early = report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    late = report_schedules.create_schedule(manager, "win-rate", "DAILY", 7)
    future = report_schedules.create_schedule(manager, "win-rate", "DAILY", 7)
    paused = report_schedules.create_schedule(manager, "win-rate", "DAILY", 7)
    gone = make_user(Role.MANAGER)
    of_gone = report_schedules.create_schedule(gone, "win-rate", "DAILY", 7)
    early.next_run_at, late.next_run_at = utc(2026, 3, 9, 1), utc(2026, 3, 9, 2)
    future.next_run_at = utc(2026, 3, 9, 13)
    paused.next_run_at, paused.is_active = utc(2026, 3, 9, 1), False
    of_gone.next_run_at, gone.is_active = utc(2026, 3, 9, 1), False
    db.session.commit()

    assert report_schedules.due_ids(now, 10) == [early.id, late.id]
    assert report_schedules.due_ids(now, 1) == [early.id]
