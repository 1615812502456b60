"""SQL pieces the reports share, written once for both databases: time between two
moments in days, a moment's bucket among period boundaries (months in the installation's
time zone, computed in Python so both databases bucket alike), exact money sums and
percentages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.services import targets

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def days_between(earlier, later):
    """The days from `earlier` to `later` (fractional) as an SQL expression."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 86400
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def month_bounds(months: list[date]) -> list[datetime]:
    """The UTC moments at which each month of `months` (first days) begins, and the one
    after the last: len(months) + 1 boundaries."""
    after = targets.month_of(months[-1]).end
    return [targets.day_bounds(month, after)[0] for month in months] + [
        targets.day_bounds(after, after)[0]
    ]


def bucket(column, bounds: list) -> sa.Case:
    """The index of the interval [bounds[i], bounds[i+1]) holding `column` (NULL outside):
    a CASE both databases run the same way, and that keeps the column's index usable
    for the range the caller filters on."""
    whens = [(column < upper, index) for index, upper in enumerate(bounds[1:])]
    return sa.case(*whens, else_=None)


def money(value) -> Decimal:
    """A summed amount as an exact Decimal to the cent (0 for no rows)."""
    return Decimal(str(value or 0)).quantize(CENT)


def percent(part, whole) -> Decimal | None:
    """`part` of `whole` in percent, one decimal; None when `whole` is 0 or None."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(TENTH)


def one_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(TENTH)
