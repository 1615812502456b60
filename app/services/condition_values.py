"""The values of a condition ("email contains ...", "amount at least ...", "created in the
last N days") checked and put in their stored form, for the segment builder and the report
builder alike: each bad value raises BadValue with a message for the person who typed it.
Stored forms are JSON: trimmed text, numbers as decimal strings, ISO dates, lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext

MAX_TEXT = 200
MAX_DAYS = 36_500
MAX_CHOICES = 100
MAX_NUMBER = Decimal("1e15")
# Operators of a choice field that take several values.
MANY = ("in", "not_in")


class BadValue(ValueError):
    """A value's problem, to be prefixed with which condition it is in."""


def integer(value, low: int, high: int, message: str) -> int:
    if isinstance(value, bool):
        raise BadValue(message)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not low <= value <= high:
        raise BadValue(message)
    return value


def days(value, optional: bool = False) -> int | None:
    """A number of days from 1 to MAX_DAYS (None for nothing, when `optional`)."""
    if optional and value in (None, "", 0, "0"):
        return None
    message = gettext("Enter a number of days from 1 to %(max)d.", max=MAX_DAYS)
    return integer(value, 1, MAX_DAYS, message)


def text(value) -> str:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise BadValue(gettext("Enter a value to compare with."))
    value = " ".join(value.split())
    if len(value) > MAX_TEXT:
        raise BadValue(gettext("Use at most %(max)d characters.", max=MAX_TEXT))
    return value


def number(value, whole: bool = False) -> str:
    problem = gettext("Enter a number, for example 1250 or 99.90.")
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BadValue(problem)
    try:
        found = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadValue(problem) from None
    if not found.is_finite() or abs(found) >= MAX_NUMBER:
        raise BadValue(problem)
    if whole and found != found.to_integral_value():
        raise BadValue(gettext("Enter a whole number."))
    return format(found.normalize(), "f") if found else "0"


def day(value) -> str:
    """A date as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise BadValue(gettext("Enter a date such as 2025-03-31.")) from None


def choice(choices, op: str, value):
    """One of the keys of `choices` ((key, label) pairs), or a list of them for the
    operators that take several."""
    allowed = {key for key, _label in choices}
    if op in MANY:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or len(values) > MAX_CHOICES:
            raise BadValue(gettext("Choose one or more values."))
        if any(not isinstance(v, str) or v not in allowed for v in values):
            raise BadValue(gettext("Choose values from the list."))
        return list(dict.fromkeys(values))
    if not isinstance(value, str) or value not in allowed:
        raise BadValue(gettext("Choose a value from the list."))
    return value
