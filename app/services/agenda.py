"""My tasks: a user's open tasks and meetings grouped by when they are due, read in a
fixed number of queries (the items, then the names of their customers)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa

from app import permissions, timezones
from app.extensions import db
from app.models.activities import Activity, ActivityStatus
from app.models.base import utcnow
from app.models.customers import Customer
from app.services.activities import PLANNED_KINDS


def open_items(user, until: datetime | None = None, limit: int = 500) -> list[Activity]:
    """`user`'s own open tasks and meetings, soonest first, undated ones last."""
    query = (
        sa.select(Activity)
        .where(
            Activity.owner_id == user.id,
            Activity.status == ActivityStatus.OPEN,
            Activity.kind.in_(PLANNED_KINDS),
        )
        .order_by(Activity.due_at.is_(None), Activity.due_at, Activity.id)
        .limit(limit)
    )
    if until is not None:
        query = query.where(Activity.due_at < until)
    return list(db.session.scalars(query))


@dataclasses.dataclass(frozen=True)
class Agenda:
    """A user's open tasks and meetings by when they are due."""

    overdue: list[Activity]
    today: list[Activity]
    upcoming: list[Activity]

    @property
    def items(self) -> list[Activity]:
        return self.overdue + self.today + self.upcoming

    @property
    def empty(self) -> bool:
        return not self.items


def agenda(user, now: datetime | None = None) -> Agenda:
    """Group `user`'s open items into overdue, today and upcoming (undated ones last).

    "Today" is the user's local day: it ends at midnight in their time zone."""
    now = now or utcnow()
    start_of_tomorrow = timezones.start_of_next_day(now, timezones.user_zone(user))
    overdue, today, upcoming = [], [], []
    for item in open_items(user):
        if item.due_at is None or item.due_at >= start_of_tomorrow:
            upcoming.append(item)
        elif item.due_at < now:
            overdue.append(item)
        else:
            today.append(item)
    return Agenda(overdue, today, upcoming)


def customer_names(actor, items: list[Activity]) -> dict[int, str]:
    """Names of the customers `items` are linked to that `actor` may see, in one query."""
    ids = {item.customer_id for item in items if item.customer_id is not None}
    if not ids:
        return {}
    query = sa.select(Customer.id, Customer.name).where(
        Customer.id.in_(ids), permissions.visible(actor, "customer", Customer.owner_id)
    )
    return {customer_id: name for customer_id, name in db.session.execute(query)}
