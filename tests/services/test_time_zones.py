"""Every user has a time zone: their days in My tasks, the times they type and see, their
calendar feed's zone; unknown zone names are refused."""

from datetime import UTC, datetime, timedelta

import pytest

from app import timezones
from app.extensions import db
from app.models.identity import Role, User
from app.services import accounts, activities, agenda, calendar_feed
from tests.factories import make_activity, make_user

# 23:30 UTC is 07:30 the next morning in Taipei (UTC+8, no DST).
NOW = datetime(2030, 6, 10, 23, 30, tzinfo=UTC)


def test_a_taipei_user_sees_an_item_due_after_utc_midnight_today_a_utc_user_tomorrow():
    taipei = make_user(Role.SALES, time_zone="Asia/Taipei")
    london = make_user(Role.SALES, time_zone="UTC")
    due = datetime(2030, 6, 11, 0, 30, tzinfo=UTC)  # 08:30 in Taipei
    mine = make_activity(taipei, subject="Breakfast call", due_at=due)
    theirs = make_activity(london, subject="Early call", due_at=due)

    assert agenda.agenda(taipei, now=NOW).today == [mine]
    utc_day = agenda.agenda(london, now=NOW)
    assert utc_day.today == [] and utc_day.upcoming == [theirs]


def test_a_taipei_days_today_ends_at_local_midnight():
    taipei = make_user(Role.SALES, time_zone="Asia/Taipei")
    tonight = make_activity(taipei, due_at=datetime(2030, 6, 11, 15, 59, tzinfo=UTC))
    tomorrow = make_activity(taipei, due_at=datetime(2030, 6, 11, 16, 0, tzinfo=UTC))
    day = agenda.agenda(taipei, now=NOW)
    assert day.today == [tonight] and day.upcoming == [tomorrow]


def test_wall_clock_times_convert_both_ways_exactly():
    zone = timezones.user_zone(User(time_zone="Asia/Taipei"))
    stored = timezones.from_wall_clock(datetime(2026, 3, 1, 9, 0), zone)
    assert stored == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert timezones.to_wall_clock(stored, zone) == datetime(2026, 3, 1, 9, 0)


def test_the_next_local_day_starts_at_midnight_even_across_a_dst_change():
    zone = timezones.user_zone(User(time_zone="America/New_York"))
    # 8 March 2026, the day clocks go forward: midnight on the 9th is 04:00 UTC (EDT).
    now = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert timezones.start_of_next_day(now, zone) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


def test_snoozing_a_day_keeps_the_local_time_across_a_dst_change():
    rep = make_user(Role.SALES, time_zone="Europe/London")
    # 09:00 GMT on Saturday 28 March 2026; clocks go forward that night.
    task = make_activity(rep, due_at=datetime(2026, 3, 28, 9, 0, tzinfo=UTC))
    now = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    target = activities.snooze_target(task, 1, now=now, zone=timezones.user_zone(rep))
    assert target == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert activities.snooze_target(task, 1, now=now) == task.due_at + timedelta(days=1)


def test_users_get_the_configured_default_zone(app, monkeypatch):
    admin = make_user(Role.ADMIN)
    monkeypatch.setitem(app.config, "DEFAULT_TIME_ZONE", "Asia/Taipei")
    made = accounts.create_user(
        actor=admin, email="new@example.com", name="New", role=Role.SALES, password=None
    )
    assert made.time_zone == "Asia/Taipei"
    assert accounts.ensure_admin("root@example.com", "Root", "a long password").time_zone == (
        "Asia/Taipei"
    )
    monkeypatch.setitem(app.config, "DEFAULT_TIME_ZONE", "Nowhere/Special")
    assert timezones.default_name() == "UTC"


def test_an_unknown_zone_is_refused_and_nothing_changes():
    rep = make_user(Role.SALES, name="Rita", time_zone="Asia/Taipei")
    with pytest.raises(accounts.AccountError) as refusal:
        accounts.update_user(rep, actor=rep, name="Renamed", time_zone="Mars/Olympus")
    assert refusal.value.field == "time_zone" and "Mars/Olympus" in str(refusal.value)
    db.session.rollback()
    assert (rep.name, rep.time_zone) == ("Rita", "Asia/Taipei")
    assert not timezones.is_known("localtime") and "Asia/Taipei" in timezones.available()


def test_a_zone_no_longer_known_falls_back_to_the_default():
    assert timezones.zone_name(User(time_zone="Atlantis/Capital")) == "UTC"
    assert timezones.zone_name(None) == "UTC"


def test_the_calendar_feed_names_the_users_zone_and_keeps_utc_times():
    rep = make_user(Role.SALES, time_zone="Asia/Taipei")
    make_activity(rep, subject="Review", due_at=datetime(2030, 3, 2, 1, 0, tzinfo=UTC))
    text = calendar_feed.render(rep, now=datetime(2030, 3, 1, tzinfo=UTC))
    assert "X-WR-TIMEZONE:Asia/Taipei\r\n" in text
    assert "DTSTART:20300302T010000Z\r\n" in text
