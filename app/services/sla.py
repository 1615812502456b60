"""The SLA clock of a ticket: which calendar and policy time it, its first-response and
resolution due times, and the pauses that push them back.

A ticket listener keeps the clock:
- "created": the matching policy's targets are counted in business time from created_at;
- "priority_changed": the due times are counted again from created_at with the new
  priority's policy. Only created_at counts: time spent PENDING before the change no
  longer pushes them back (the new targets are a fresh promise). When no policy covers
  the new priority, the ticket keeps its policy and due times;
- "status_changed": the clock stops (sla_paused_at) when the ticket leaves OPEN /
  IN_PROGRESS for PENDING, RESOLVED or CLOSED, and when it comes back both due times (the
  first response only while unanswered) move later by the business time it was stopped;
- a first response or a resolution after its due time is recorded as a breach at once;
  open tickets that run past a due time are found by `check_breaches` (app.services.
  sla_breaches), which also warns and escalates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.service import (
    BusinessCalendar,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    Ticket,
    TicketStatus,
)
from app.services import business_time, tickets

RUNNING = frozenset({TicketStatus.OPEN, TicketStatus.IN_PROGRESS})
TARGET_LABELS = {
    SlaTarget.FIRST_RESPONSE: _l("First response"),
    SlaTarget.RESOLUTION: _l("Resolution"),
}
TIERS = ("", "A", "B", "C")


def _now() -> datetime:
    return utcnow()


def business_minutes_between(calendar, start: datetime, end: datetime) -> int:
    """Whole business minutes of `calendar` (None: 24x7) from `start` to `end`."""
    return business_time.business_minutes_between(start, end, calendar)


def add_business_minutes(calendar, start: datetime, minutes: int) -> datetime:
    """`start` plus `minutes` business minutes of `calendar` (None: 24x7), in UTC."""
    return business_time.add_business_minutes(start, minutes, calendar)


def calendar_for(ticket: Ticket) -> BusinessCalendar | None:
    """The calendar timing `ticket`: its team's, else the default one, else None (24x7)."""
    if ticket.team_id is not None:
        calendar = db.session.scalar(
            sa.select(BusinessCalendar).where(BusinessCalendar.team_id == ticket.team_id)
        )
        if calendar is not None:
            return calendar
    return db.session.scalar(
        sa.select(BusinessCalendar)
        .where(BusinessCalendar.is_default.is_(True))
        .order_by(BusinessCalendar.id)
        .limit(1)
    )


def customer_tier(ticket: Ticket) -> str:
    """The ABC class of the ticket's customer ("" when none)."""
    if ticket.customer_id is None:
        return ""
    tier = db.session.scalar(sa.select(Customer.abc_class).where(Customer.id == ticket.customer_id))
    return (tier or "").upper()


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The active policy for the ticket's priority and its customer's tier, else the
    active one for the priority and any customer (tier "")."""
    tier = customer_tier(ticket)
    candidates = db.session.scalars(
        sa.select(SlaPolicy).where(
            SlaPolicy.is_active.is_(True),
            SlaPolicy.priority == ticket.priority,
            SlaPolicy.customer_tier.in_({tier, ""}),
        )
    ).all()
    return next((p for p in candidates if p.customer_tier == tier), None) or next(
        (p for p in candidates if p.customer_tier == ""), None
    )


def start_clock(ticket: Ticket, keep_without_policy: bool = False) -> None:
    """Set the policy and both due times from created_at (a pause in progress stays).
    With no matching policy the ticket has no due times, unless `keep_without_policy`."""
    policy = policy_for(ticket)
    if policy is None and keep_without_policy:
        return
    ticket.sla_policy_id = policy.id if policy else None
    ticket.sla_warned_at = None
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    calendar = calendar_for(ticket)
    start = ticket.created_at or _now()
    ticket.first_response_due_at = add_business_minutes(
        calendar, start, policy.first_response_minutes
    )
    ticket.resolution_due_at = add_business_minutes(calendar, start, policy.resolution_minutes)


def _resume(ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_at is None:
        return
    calendar = calendar_for(ticket)
    stopped = business_time.business_time_between(ticket.sla_paused_at, now, calendar)
    ticket.sla_paused_at = None
    if stopped <= timedelta(0):
        return
    if ticket.resolution_due_at is not None:
        ticket.resolution_due_at = business_time.add_business_time(
            ticket.resolution_due_at, stopped, calendar
        )
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        ticket.first_response_due_at = business_time.add_business_time(
            ticket.first_response_due_at, stopped, calendar
        )
    ticket.sla_warned_at = None  # a new due time earns its own warning


def effective_due(ticket: Ticket, due: datetime | None, at: datetime) -> datetime | None:
    """`due` as it stands at `at`: pushed by a pause still running then."""
    if due is None or ticket.sla_paused_at is None or at <= ticket.sla_paused_at:
        return due
    calendar = calendar_for(ticket)
    stopped = business_time.business_time_between(ticket.sla_paused_at, at, calendar)
    return business_time.add_business_time(due, stopped, calendar)


def is_recorded(ticket: Ticket, target: SlaTarget) -> bool:
    exists = sa.select(SlaBreach.id).where(
        SlaBreach.ticket_id == ticket.id, SlaBreach.target == target
    )
    return db.session.scalar(exists) is not None


def record_breach(
    ticket: Ticket, target: SlaTarget, due_at: datetime, now: datetime | None = None
) -> SlaBreach | None:
    """Record that `ticket` missed `target`; None when it is recorded already (the unique
    constraint decides, so two runs at the same moment record it once)."""
    if is_recorded(ticket, target):
        return None
    breach = SlaBreach(
        ticket_id=ticket.id,
        target=target,
        policy_id=ticket.sla_policy_id,
        due_at=due_at,
        breached_at=now or _now(),
        assignee_id=ticket.owner_id,
        team_id=ticket.team_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(breach)
    except IntegrityError:
        return None
    return breach


def breaches_of(ticket: Ticket) -> dict[SlaTarget, SlaBreach]:
    rows = db.session.scalars(sa.select(SlaBreach).where(SlaBreach.ticket_id == ticket.id))
    return {row.target: row for row in rows}


def _late(ticket: Ticket, target: SlaTarget, due: datetime | None, done_at) -> None:
    if due is None or done_at is None:
        return
    due = effective_due(ticket, due, done_at)
    if done_at > due:
        record_breach(ticket, target, due)


@tickets.subscribe
def keep_clock(event: str, ticket: Ticket, **details) -> None:
    """The ticket listener: start, recount, pause and resume the SLA clock."""
    if event == "created":
        start_clock(ticket)
    elif event == "priority_changed":
        start_clock(ticket, keep_without_policy=True)
    elif event == "status_changed":
        now = _now()
        previous = details.get("previous")
        if ticket.status in RUNNING and previous not in RUNNING:
            _resume(ticket, now)
        elif ticket.status not in RUNNING and previous in RUNNING:
            ticket.sla_paused_at = now
        if ticket.status.is_done and ticket.status is not previous:
            _late(ticket, SlaTarget.RESOLUTION, ticket.resolution_due_at, ticket.resolved_at)
    elif event == "replied":
        comment = details.get("comment")
        if comment is not None and ticket.first_responded_at == comment.created_at:
            _late(
                ticket,
                SlaTarget.FIRST_RESPONSE,
                ticket.first_response_due_at,
                ticket.first_responded_at,
            )
            ticket.sla_warned_at = None  # the resolution target may be warned about now
    else:
        return
    db.session.flush()


def check_breaches(now: datetime | None = None) -> dict[str, int]:
    """Record, escalate and warn about due times of open tickets (the cron job's work)."""
    from app.services import sla_breaches

    return sla_breaches.check(now)
