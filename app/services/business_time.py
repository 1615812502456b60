"""Business time: adding working minutes to a moment, and counting the working minutes
between two moments, in a calendar's time zone, weekly hours and holidays.

Pure computation (no Flask, no database). A calendar is anything with `time_zone`,
`hours` and `holidays` (a BusinessCalendar row, a `Calendar`, a mapping, or None):
`hours` maps ISO weekdays ("1" Monday ... "7" Sunday) to lists of ["HH:MM", "HH:MM"]
intervals ("24:00" ends a day); `holidays` holds dates (or objects with a `day`) in the
calendar's zone. No hours at all means around the clock (24x7), holidays still excepted.
Moments are timezone-aware; results are in UTC. Intervals are turned into UTC moments day
by day, so a day on which the clocks change counts the minutes that really pass.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta

# How far ahead to look for working time before deciding a calendar has none.
MAX_DAYS = 3 * 366
_ALL_DAY = ((time(0, 0), None),)


@dataclasses.dataclass(frozen=True)
class Calendar:
    """A calendar as plain data."""

    time_zone: str = "UTC"
    hours: Mapping = dataclasses.field(default_factory=dict)
    holidays: frozenset = frozenset()


ALWAYS = Calendar()


def parse_clock(text: str) -> time | None:
    """ "HH:MM" as a time; "24:00" (the end of a day) as None. ValueError when malformed."""
    hours, _, minutes = str(text).strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(f"not a HH:MM time: {text!r}")
    if (int(hours), int(minutes)) == (24, 0):
        return None
    return time(int(hours), int(minutes))


@dataclasses.dataclass(frozen=True)
class _Plan:
    zone: zoneinfo.ZoneInfo
    weekly: dict[int, tuple[tuple[time, time | None], ...]]
    holidays: frozenset[date]
    around_the_clock: bool


def _plan(calendar) -> _Plan:
    if calendar is None:
        calendar = ALWAYS
    get = calendar.get if isinstance(calendar, Mapping) else _attribute(calendar)
    zone = zoneinfo.ZoneInfo(get("time_zone") or "UTC")
    raw_hours = get("hours") or {}
    weekly: dict[int, tuple] = {}
    for key, intervals in raw_hours.items():
        parsed = []
        for begin, end in intervals or ():
            start, stop = parse_clock(begin), parse_clock(end)
            if start is None or (stop is not None and stop <= start):
                raise ValueError(f"an interval must end after it starts: {begin}-{end}")
            parsed.append((start, stop))
        if parsed:
            weekly[int(key)] = tuple(sorted(parsed))
    holidays = frozenset(
        day if isinstance(day, date) else getattr(day, "day", None) or date.fromisoformat(day)
        for day in (get("holidays") or ())
    )
    if not weekly:
        weekly = {weekday: _ALL_DAY for weekday in range(1, 8)}
    return _Plan(zone, weekly, holidays, around_the_clock=not has_hours(raw_hours))


def has_hours(hours) -> bool:
    """Whether `hours` names any working interval at all (else the calendar is 24x7)."""
    return any(intervals for intervals in (hours or {}).values())


def _attribute(calendar):
    return lambda name: getattr(calendar, name, None)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs timezone-aware moments")
    return moment.astimezone(UTC)


def _intervals(
    plan: _Plan, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals (UTC) that end after `start`, in order (up to `end`'s day)."""
    day = start.astimezone(plan.zone).date()
    days = MAX_DAYS if end is None else (end.astimezone(plan.zone).date() - day).days + 1
    for _ in range(days):
        if day not in plan.holidays:
            for begin, finish in plan.weekly.get(day.isoweekday(), ()):
                opens = datetime.combine(day, begin, tzinfo=plan.zone).astimezone(UTC)
                if finish is None:
                    closes_local = datetime.combine(day + timedelta(days=1), time(0, 0))
                else:
                    closes_local = datetime.combine(day, finish)
                closes = closes_local.replace(tzinfo=plan.zone).astimezone(UTC)
                if closes > start and closes > opens:
                    yield max(opens, start), closes
        day += timedelta(days=1)
    if end is None:
        raise ValueError(f"no working time within {MAX_DAYS} days")


def add_business_time(start: datetime, duration: timedelta, calendar=None) -> datetime:
    """The moment when `duration` of working time has passed since `start` (UTC). Nothing
    to add returns `start` itself, even outside working hours."""
    start = _utc(start)
    if duration <= timedelta(0):
        return start
    plan = _plan(calendar)
    if plan.around_the_clock and not plan.holidays:
        return start + duration
    remaining = duration
    for opens, closes in _intervals(plan, start):
        if closes - opens >= remaining:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(start: datetime, end: datetime, calendar=None) -> timedelta:
    """The working time from `start` to `end` (nothing when `end` is not later)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return timedelta(0)
    plan = _plan(calendar)
    if plan.around_the_clock and not plan.holidays:
        return end - start
    total = timedelta(0)
    for opens, closes in _intervals(plan, start, end):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def add_business_minutes(start_utc: datetime, minutes: int, calendar=None) -> datetime:
    """`start_utc` plus `minutes` working minutes of `calendar` (None: 24x7), in UTC.
    E.g. Friday 16:00 + 180 with 09:00-17:00 Monday to Friday is Monday 11:00."""
    return add_business_time(start_utc, timedelta(minutes=minutes), calendar)


def business_minutes_between(start_utc: datetime, end_utc: datetime, calendar=None) -> int:
    """Whole working minutes of `calendar` (None: 24x7) from `start_utc` to `end_utc`."""
    return int(business_time_between(start_utc, end_utc, calendar).total_seconds() // 60)
