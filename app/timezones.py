"""Users' time zones: the IANA names they may choose, and moments read or shown in them.

Times are stored in UTC everywhere; a user's zone only decides how a moment is shown, how a
naive time typed in a form is read, and where their days begin (My tasks).
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, time, timedelta, tzinfo

from babel import dates
from flask import current_app
from flask_babel import get_locale, gettext
from wtforms.fields.choices import SelectChoice

FALLBACK_ZONE = "UTC"
# Offered at the top of the list; the rest follow alphabetically.
COMMON_ZONES = (
    "UTC",
    "Asia/Taipei",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
)
# Names the zone database ships that are not places: the host's zone and a placeholder.
_NOT_PLACES = frozenset({"localtime", "Factory"})


@functools.cache
def available() -> tuple[str, ...]:
    """Every IANA zone name a user may choose, sorted."""
    return tuple(sorted(zoneinfo.available_timezones() - _NOT_PLACES))


def is_known(name: str | None) -> bool:
    """Whether `name` is a zone users may choose (typos and "localtime" are not)."""
    return bool(name) and name in _known()


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(available())


def choices() -> list[SelectChoice]:
    """Options for a time zone select: the common zones, then all the others."""
    common, others = gettext("Common time zones"), gettext("Other time zones")
    return [SelectChoice(name, name, optgroup=common) for name in COMMON_ZONES] + [
        SelectChoice(name, name, optgroup=others)
        for name in available()
        if name not in COMMON_ZONES
    ]


def default_name() -> str:
    """The configured default zone (RAPPORT_DEFAULT_TIME_ZONE), UTC outside an app."""
    name = current_app.config.get("DEFAULT_TIME_ZONE") if current_app else None
    return name if is_known(name) else FALLBACK_ZONE


def zone_name(user) -> str:
    """`user`'s zone name, or the default for nobody or for a name no longer known."""
    name = getattr(user, "time_zone", None)
    return name if is_known(name) else default_name()


def user_zone(user) -> zoneinfo.ZoneInfo:
    """`user`'s time zone (the default when `user` is None)."""
    return zoneinfo.ZoneInfo(zone_name(user))


def local_time(user, moment: datetime) -> datetime:
    """An aware UTC `moment` as the wall-clock time in `user`'s zone."""
    return moment.astimezone(user_zone(user))


def format_local(moment: datetime | None, zone: tzinfo, fmt: str = "medium") -> str:
    """`moment` formatted in `zone` and the current locale (for jobs and emails, where no
    request decides the zone)."""
    if moment is None:
        return ""
    return dates.format_datetime(moment, fmt, tzinfo=zone, locale=get_locale())


def to_wall_clock(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """The naive local time a form shows for the stored UTC `moment`."""
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def from_wall_clock(value: datetime | None, zone: tzinfo) -> datetime | None:
    """A naive time typed in `zone`, as the aware UTC moment to store.

    In the hour a DST change repeats, the earlier of the two moments is meant; a time the
    change skips is read with the offset before it (so 02:30 becomes 03:30)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=zone).astimezone(UTC)


def start_of_next_day(now: datetime, zone: tzinfo) -> datetime:
    """The UTC moment the local day after `now` begins in `zone`."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return from_wall_clock(datetime.combine(tomorrow, time.min), zone)


def add_days(moment: datetime, days: int, zone: tzinfo) -> datetime:
    """`moment` plus `days` calendar days in `zone`: the same wall-clock time, even across
    a DST change (where plain 24-hour steps would move it by an hour)."""
    return from_wall_clock(to_wall_clock(moment, zone) + timedelta(days=days), zone)
