"""What churn risk is computed from: each customer's history read from the database in a
few queries (orders, tickets, survey answers, activities, email opens), and a snapshot of
it on a reference day that sees only what happened before that day.

Days are whole UTC days (date ordinals). A snapshot on day T reads records dated before T;
the label of a training snapshot reads the orders of days T to T+179.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.activities import Activity, ActivityStatus
from app.models.customers import Contact
from app.models.marketing import EventKind, MarketingEvent
from app.models.orders import Order, OrderStatus
from app.models.service import SurveyKind, SurveyResponse, Ticket, TicketPriority

HORIZON = 180  # churned: no order in the 180 days after the reference day
ACTIVE_DAYS = 365  # a customer is scored while it ordered in the last 365 days
TREND_DAYS = 180  # order trend: the last 6 months against the 6 before
ENGAGEMENT_DAYS = 90
SURVEY_DAYS = 365

# The model's features, in order. CSAT and NPS may be unknown (no answers): training
# fills them with the training mean, so an unknown score pushes the risk neither way.
FEATURES = (
    "days_since_last_order",
    "order_trend",
    "orders_12m",
    "open_tickets",
    "urgent_tickets",
    "csat",
    "nps",
    "activities_90d",
    "email_opens_90d",
)
OPTIONAL = ("csat", "nps")


def day_of(moment) -> int:
    """The day ordinal of a UTC datetime or a date."""
    return moment.toordinal()


@dataclasses.dataclass
class CustomerHistory:
    """One customer's dated records, each list sorted by day."""

    orders: list[int] = dataclasses.field(default_factory=list)
    # (opened day, closed day or None, urgent?, ticket id)
    tickets: list[tuple] = dataclasses.field(default_factory=list)
    csat: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    nps: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    activities: list[int] = dataclasses.field(default_factory=list)
    opens: list[int] = dataclasses.field(default_factory=list)

    def sort(self) -> None:
        for name in ("orders", "csat", "nps", "activities", "opens"):
            getattr(self, name).sort()
        self.tickets.sort(key=lambda ticket: (ticket[0], ticket[3]))

    def last_order_before(self, day: int) -> int | None:
        index = bisect.bisect_left(self.orders, day)
        return self.orders[index - 1] if index else None


def _count(days: list[int], start: int, end: int) -> int:
    """How many of the sorted `days` fall in [start, end)."""
    return bisect.bisect_left(days, end) - bisect.bisect_left(days, start)


def _mean_score(answers: list[tuple[int, int]], start: int, end: int) -> float | None:
    scores = [score for day, score in answers if start <= day < end]
    return sum(scores) / len(scores) if scores else None


def snapshot(history: CustomerHistory, day: int) -> dict | None:
    """The features of `history` as it stood on the morning of `day` (only what is dated
    before it), or None when the customer had no order in the 365 days before."""
    last = history.last_order_before(day)
    if last is None or day - last > ACTIVE_DAYS:
        return None
    recent = _count(history.orders, day - TREND_DAYS, day)
    previous = _count(history.orders, day - 2 * TREND_DAYS, day - TREND_DAYS)
    open_tickets = [
        ticket
        for ticket in history.tickets
        if ticket[0] < day and (ticket[1] is None or ticket[1] >= day)
    ]
    return {
        "days_since_last_order": day - last,
        "order_trend": recent - previous,
        "orders_recent": recent,
        "orders_previous": previous,
        "orders_12m": _count(history.orders, day - ACTIVE_DAYS, day),
        "open_tickets": len(open_tickets),
        "urgent_tickets": sum(1 for ticket in open_tickets if ticket[2]),
        "urgent_ticket_ids": [ticket[3] for ticket in open_tickets if ticket[2]],
        "csat": _mean_score(history.csat, day - SURVEY_DAYS, day),
        "nps": _mean_score(history.nps, day - SURVEY_DAYS, day),
        "activities_90d": _count(history.activities, day - ENGAGEMENT_DAYS, day),
        "email_opens_90d": _count(history.opens, day - ENGAGEMENT_DAYS, day),
    }


def churned(history: CustomerHistory, day: int) -> int:
    """1 when the customer placed no order in the HORIZON days from `day` on, else 0."""
    return 0 if _count(history.orders, day, day + HORIZON) else 1


def vector(features: dict, fill: dict) -> list[float]:
    """The model's input row: FEATURES in order, an unknown score filled from `fill`."""
    row = []
    for name in FEATURES:
        value = features[name]
        row.append(float(fill.get(name, 0.0) if value is None else value))
    return row


def load(before: datetime, since: datetime | None = None, customer_ids=None):
    """Every customer's history dated before `before` ({customer id: CustomerHistory}),
    reading only records from `since` on when given (tickets still open then included),
    and only the customers `customer_ids` when given."""
    histories: dict[int, CustomerHistory] = defaultdict(CustomerHistory)
    end_day = day_of(before)

    def only(column):
        return sa.true() if customer_ids is None else column.in_(list(customer_ids))

    after = (lambda column: column >= since) if since is not None else (lambda column: sa.true())
    orders = sa.select(Order.customer_id, Order.order_date).where(
        Order.status != OrderStatus.CANCELLED,
        Order.order_date < before.date(),
        sa.true() if since is None else Order.order_date >= since.date(),
        only(Order.customer_id),
    )
    for customer_id, ordered in db.session.execute(orders):
        histories[customer_id].orders.append(day_of(ordered))

    tickets = sa.select(
        Ticket.id,
        Ticket.customer_id,
        Ticket.priority,
        Ticket.created_at,
        Ticket.resolved_at,
        Ticket.closed_at,
    ).where(
        Ticket.customer_id.is_not(None),
        Ticket.created_at < before,
        # A ticket settled before `since` was no longer open on any day looked at.
        sa.or_(Ticket.resolved_at.is_(None), after(Ticket.resolved_at)),
        sa.or_(Ticket.closed_at.is_(None), after(Ticket.closed_at)),
        only(Ticket.customer_id),
    )
    for ticket_id, customer_id, priority, created, resolved, closed in db.session.execute(tickets):
        ends = [day_of(moment) for moment in (resolved, closed) if moment is not None]
        ended = min(ends) if ends and min(ends) < end_day else None
        urgent = priority is TicketPriority.URGENT
        histories[customer_id].tickets.append((day_of(created), ended, urgent, ticket_id))

    via_ticket, via_contact = aliased(Ticket), aliased(Contact)
    owner = sa.func.coalesce(via_ticket.customer_id, via_contact.customer_id)
    surveys = (
        sa.select(owner, SurveyResponse.kind, SurveyResponse.score, SurveyResponse.answered_at)
        .outerjoin(via_ticket, via_ticket.id == SurveyResponse.ticket_id)
        .outerjoin(via_contact, via_contact.id == SurveyResponse.contact_id)
        .where(
            SurveyResponse.answered_at < before,
            after(SurveyResponse.answered_at),
            SurveyResponse.score.is_not(None),
            owner.is_not(None),
            only(owner),
        )
    )
    for customer_id, kind, score, answered in db.session.execute(surveys):
        answers = (
            histories[customer_id].csat if kind is SurveyKind.CSAT else histories[customer_id].nps
        )
        answers.append((day_of(answered), score))

    activities = sa.select(Activity.customer_id, Activity.occurred_at).where(
        Activity.customer_id.is_not(None),
        Activity.status != ActivityStatus.CANCELLED,
        Activity.occurred_at < before,
        after(Activity.occurred_at),
        only(Activity.customer_id),
    )
    for customer_id, occurred in db.session.execute(activities):
        histories[customer_id].activities.append(day_of(occurred))

    opens = (
        sa.select(Contact.customer_id, MarketingEvent.occurred_at)
        .join(Contact, Contact.id == MarketingEvent.contact_id)
        .where(
            MarketingEvent.kind == EventKind.EMAIL_OPEN,
            MarketingEvent.occurred_at < before,
            after(MarketingEvent.occurred_at),
            Contact.customer_id.is_not(None),
            only(Contact.customer_id),
        )
    )
    for customer_id, occurred in db.session.execute(opens):
        histories[customer_id].opens.append(day_of(occurred))

    for history in histories.values():
        history.sort()
    return dict(histories)
