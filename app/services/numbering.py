"""Human document numbers from yearly sequences: Q-2026-0001, SO-2026-0001.

Each series ("Q-2026") is one row in `number_sequences`, incremented by a single UPDATE that
holds the row lock until the transaction ends: two quotes saved at the same moment get two
numbers, and a rolled-back save gives its number back rather than leaving a gap.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.orders import NumberSequence

WIDTH = 4


def next_value(series: str) -> int:
    """The next number of `series` (1 for a new series)."""
    table = NumberSequence.__table__
    bump = (
        sa.update(table)
        .where(table.c.name == series)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    )
    value = db.session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(table).values(name=series, last_value=1))
        return 1
    except IntegrityError:
        # Another transaction started the series between our UPDATE and INSERT.
        return db.session.execute(bump).scalar_one()


def next_number(prefix: str, on: date | None = None) -> str:
    """The next document number of `prefix` in the year of `on` (today by default)."""
    year = (on or date.today()).year
    value = next_value(f"{prefix}-{year}")
    return f"{prefix}-{year}-{value:0{WIDTH}d}"
