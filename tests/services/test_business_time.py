"""Business time, checked against values worked out by hand (calendars of 2026: Friday
27 November, Monday 30 November; London's clocks change on 29 March and 25 October)."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.services.business_time import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
    business_time_between,
)

WEEKDAYS_9_TO_5 = {str(day): [["09:00", "17:00"]] for day in range(1, 6)}
WITH_LUNCH = {str(day): [["09:00", "12:00"], ["13:00", "18:00"]] for day in range(1, 6)}
LONDON = ZoneInfo("Europe/London")
TAIPEI = ZoneInfo("Asia/Taipei")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


OFFICE = Calendar("UTC", WEEKDAYS_9_TO_5)


def test_friday_afternoon_plus_three_hours_is_monday_eleven():
    assert add_business_minutes(utc(2026, 11, 27, 16), 180, OFFICE) == utc(2026, 11, 30, 11)
    assert business_minutes_between(utc(2026, 11, 27, 16), utc(2026, 11, 30, 11), OFFICE) == 180


def test_a_monday_holiday_moves_it_to_tuesday():
    calendar = Calendar("UTC", WEEKDAYS_9_TO_5, frozenset({date(2026, 11, 30)}))
    assert add_business_minutes(utc(2026, 11, 27, 16), 180, calendar) == utc(2026, 12, 1, 11)
    assert business_minutes_between(utc(2026, 11, 27, 16), utc(2026, 12, 1, 11), calendar) == 180
    # The whole holiday counts for nothing.
    assert business_minutes_between(utc(2026, 11, 30), utc(2026, 12, 1), calendar) == 0


def test_ending_exactly_at_closing_time_stays_on_that_day():
    assert add_business_minutes(utc(2026, 11, 27, 16), 60, OFFICE) == utc(2026, 11, 27, 17)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (utc(2026, 11, 28, 10), 30, utc(2026, 11, 30, 9, 30)),  # Saturday
        (utc(2026, 11, 30, 7), 60, utc(2026, 11, 30, 10)),  # before opening
        (utc(2026, 11, 30, 19), 60, utc(2026, 12, 1, 10)),  # after closing
        (utc(2026, 11, 30, 9), 8 * 60 * 5, utc(2026, 12, 4, 17)),  # a whole week
        (utc(2026, 11, 30, 9), 8 * 60 * 5 + 1, utc(2026, 12, 7, 9, 1)),
    ],
)
def test_starts_outside_working_hours(start, minutes, expected):
    assert add_business_minutes(start, minutes, OFFICE) == expected


def test_lunch_breaks_do_not_count():
    calendar = Calendar("UTC", WITH_LUNCH)
    assert add_business_minutes(utc(2026, 11, 30, 11, 30), 60, calendar) == utc(
        2026, 11, 30, 13, 30
    )
    assert add_business_minutes(utc(2026, 11, 30, 12, 30), 30, calendar) == utc(
        2026, 11, 30, 13, 30
    )
    assert business_minutes_between(utc(2026, 11, 30, 8), utc(2026, 12, 1, 8), calendar) == 8 * 60
    # Friday 17:00 + 2 h: one hour on Friday, one on Monday morning.
    assert add_business_minutes(utc(2026, 11, 27, 17), 120, calendar) == utc(2026, 11, 30, 10)


def test_three_intervals_a_day_in_any_order():
    calendar = Calendar("UTC", {"1": [["14:00", "15:00"], ["08:00", "09:00"], ["11:00", "12:00"]]})
    monday = utc(2026, 11, 30)
    assert add_business_minutes(monday, 150, calendar) == utc(2026, 11, 30, 14, 30)
    assert add_business_minutes(monday, 181, calendar) == utc(2026, 12, 7, 8, 1)
    assert business_minutes_between(monday, utc(2026, 12, 7), calendar) == 180


def test_no_hours_means_around_the_clock():
    start = utc(2026, 11, 28, 22, 15)
    for calendar in (None, Calendar(), Calendar("Asia/Taipei", {"1": []})):
        assert add_business_minutes(start, 600, calendar) == start + timedelta(minutes=600)
        assert business_minutes_between(start, start + timedelta(days=2), calendar) == 2880
    # ... except on holidays.
    holiday = Calendar("UTC", {}, frozenset({date(2026, 11, 30)}))
    assert add_business_minutes(utc(2026, 11, 29, 23), 120, holiday) == utc(2026, 12, 1, 1)


def test_clocks_going_back_in_london():
    calendar = Calendar("Europe/London", WEEKDAYS_9_TO_5)
    friday_four = datetime(2026, 10, 23, 16, tzinfo=LONDON)  # BST: 15:00 UTC
    due = add_business_minutes(friday_four, 180, calendar)
    assert due == utc(2026, 10, 26, 11)  # Monday 11:00 GMT
    assert due.astimezone(LONDON).hour == 11


def test_clocks_going_forward_in_london():
    calendar = Calendar("Europe/London", WEEKDAYS_9_TO_5)
    friday_four = datetime(2026, 3, 27, 16, tzinfo=LONDON)  # GMT: 16:00 UTC
    assert add_business_minutes(friday_four, 180, calendar) == utc(2026, 3, 30, 10)  # 11:00 BST


def test_a_day_with_the_clock_change_counts_the_time_that_really_passes():
    weekend = {"6": [["00:00", "24:00"]], "7": [["00:00", "24:00"]]}
    calendar = Calendar("Europe/London", weekend)
    saturday = datetime(2026, 10, 24, tzinfo=LONDON)
    monday = datetime(2026, 10, 26, tzinfo=LONDON)
    assert business_minutes_between(saturday, monday, calendar) == 49 * 60
    spring = (datetime(2026, 3, 28, tzinfo=LONDON), datetime(2026, 3, 30, tzinfo=LONDON))
    assert business_minutes_between(*spring, calendar) == 47 * 60


def test_taipei_hours_are_taipei_local():
    calendar = {
        "time_zone": "Asia/Taipei",
        "hours": {"5": [["09:00", "18:00"]], "1": [["09:00", "18:00"]]},
    }
    friday_five_pm = datetime(2026, 11, 27, 17, tzinfo=TAIPEI)  # 09:00 UTC
    due = add_business_minutes(friday_five_pm, 120, calendar)
    assert due == utc(2026, 11, 30, 2)  # Monday 10:00 in Taipei
    assert business_minutes_between(friday_five_pm, due, calendar) == 120


def test_a_calendar_row_with_holiday_rows():
    row = SimpleNamespace(
        time_zone="UTC",
        hours=WEEKDAYS_9_TO_5,
        holidays=[SimpleNamespace(day=date(2026, 11, 30)), SimpleNamespace(day=date(2026, 12, 1))],
    )
    assert add_business_minutes(utc(2026, 11, 27, 16), 180, row) == utc(2026, 12, 2, 11)


def test_adding_and_counting_agree():
    calendar = Calendar("Europe/London", WITH_LUNCH, frozenset({date(2026, 10, 26)}))
    start = utc(2026, 10, 22, 6, 17)
    for minutes in (0, 1, 59, 60, 61, 179, 180, 481, 1000, 2400, 9999):
        due = add_business_minutes(start, minutes, calendar)
        assert business_minutes_between(start, due, calendar) == minutes


def test_seconds_are_kept_by_the_duration_functions():
    start, end = utc(2026, 11, 27, 16, 59, 30), utc(2026, 11, 30, 9, 0, 45)
    assert business_time_between(start, end, OFFICE) == timedelta(seconds=75)
    assert business_minutes_between(start, end, OFFICE) == 1
    assert business_minutes_between(end, start, OFFICE) == 0


def test_naive_moments_and_bad_hours_are_refused():
    with pytest.raises(ValueError):
        add_business_minutes(datetime(2026, 11, 27, 16), 10, OFFICE)
    with pytest.raises(ValueError):
        add_business_minutes(utc(2026, 11, 27), 10, Calendar("UTC", {"1": [["17:00", "09:00"]]}))
