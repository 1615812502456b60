"""The SLA sweep (run every few minutes by app.jobs.sla): record each missed due time of
an open ticket once, escalate it (email the assignee and the team's managers, raise the
priority one step when the policy says so), and warn the assignee once before a due time.

A breach is recorded under the unique constraint (ticket, target) inside a savepoint, so
however often and however concurrently the sweep runs, one run records it and only that
run escalates. Paused tickets (PENDING) are left alone: their clock is stopped.
"""

from __future__ import annotations

import contextlib
import smtplib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, gettext
from werkzeug.routing import BuildError

from app import timezones
from app.extensions import db
from app.models.identity import Role, User
from app.models.service import SlaBreach, SlaPolicy, SlaTarget, Ticket
from app.services import business_time, mail, sla, tickets

BATCH_SIZE = 500
# A warning is looked for only this far ahead in wall time (business time passes slower).
WARN_HORIZON = timedelta(days=31)
_DUE = {
    SlaTarget.FIRST_RESPONSE: Ticket.first_response_due_at,
    SlaTarget.RESOLUTION: Ticket.resolution_due_at,
}


def _running():
    return sa.select(Ticket).where(
        Ticket.status.in_(sla.RUNNING),
        Ticket.sla_paused_at.is_(None),
        Ticket.merged_into_id.is_(None),
    )


def _overdue(target: SlaTarget, now: datetime):
    due = _DUE[target]
    recorded = sa.select(SlaBreach.id).where(
        SlaBreach.ticket_id == Ticket.id, SlaBreach.target == target
    )
    query = _running().where(due.is_not(None), due <= now, ~recorded.exists())
    if target is SlaTarget.FIRST_RESPONSE:
        query = query.where(Ticket.first_responded_at.is_(None))
    return query.order_by(due, Ticket.id).limit(BATCH_SIZE)


def check(now: datetime | None = None) -> dict[str, int]:
    """One sweep; returns how many breaches were recorded and warnings queued. The
    emails go out at the end, over one connection; the caller commits."""
    now = now or sla._now()
    outbox = []
    counts = {"breaches": 0, "warnings": 0}
    raised: set[int] = set()
    for target in (SlaTarget.FIRST_RESPONSE, SlaTarget.RESOLUTION):
        for ticket in db.session.scalars(_overdue(target, now)).all():
            due = getattr(ticket, _DUE[target].key)
            if sla.record_breach(ticket, target, due, now) is None:
                continue  # another sweep got there first
            counts["breaches"] += 1
            policy = (
                db.session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
            )
            if policy is not None and policy.raise_priority_on_breach and ticket.id not in raised:
                raised.add(ticket.id)
                tickets.escalate_priority(ticket)
            outbox += [_breach_message(user, ticket, target, due) for user in _escalate_to(ticket)]
    for ticket, target, due in _to_warn(now):
        assignee = db.session.get(User, ticket.owner_id)
        ticket.sla_warned_at = now
        if assignee is not None and assignee.is_active:
            outbox.append(_warning_message(assignee, ticket, target, due))
            counts["warnings"] += 1
    db.session.flush()
    _send(outbox)
    return counts


def _escalate_to(ticket: Ticket) -> list[User]:
    """The active assignee and the active managers of the ticket's team."""
    people: dict[int, User] = {}
    if ticket.owner_id is not None:
        assignee = db.session.get(User, ticket.owner_id)
        if assignee is not None and assignee.is_active:
            people[assignee.id] = assignee
    if ticket.team_id is not None:
        managers = db.session.scalars(
            sa.select(User)
            .where(
                User.team_id == ticket.team_id,
                User.role == Role.MANAGER,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
        for manager in managers:
            people.setdefault(manager.id, manager)
    return list(people.values())


def _to_warn(now: datetime):
    """(ticket, target, due) for assigned, unwarned open tickets whose next due time is
    within their policy's warning time (in business minutes)."""
    horizon = now + WARN_HORIZON
    query = _running().where(
        Ticket.sla_warned_at.is_(None),
        Ticket.owner_id.is_not(None),
        Ticket.sla_policy_id.is_not(None),
        sa.or_(
            sa.and_(
                Ticket.first_responded_at.is_(None),
                Ticket.first_response_due_at > now,
                Ticket.first_response_due_at <= horizon,
            ),
            sa.and_(Ticket.resolution_due_at > now, Ticket.resolution_due_at <= horizon),
        ),
    )
    for ticket in db.session.scalars(query.order_by(Ticket.id).limit(BATCH_SIZE)).all():
        pending = [(SlaTarget.RESOLUTION, ticket.resolution_due_at)]
        if ticket.first_responded_at is None:
            pending.insert(0, (SlaTarget.FIRST_RESPONSE, ticket.first_response_due_at))
        upcoming = [(due, target) for target, due in pending if due is not None and due > now]
        if not upcoming:
            continue
        due, target = min(upcoming, key=lambda pair: pair[0])
        policy = db.session.get(SlaPolicy, ticket.sla_policy_id)
        calendar = sla.calendar_for(ticket)
        left = business_time.business_minutes_between(now, due, calendar)
        if policy is not None and left <= policy.warn_before_minutes:
            yield ticket, target, due


def _ticket_url(ticket: Ticket) -> str:
    try:
        return url_for("service.ticket_show", ticket_id=ticket.id, _external=True)
    except (BuildError, RuntimeError):
        return f"{current_app.config['BASE_URL'].rstrip('/')}/tickets/{ticket.id}"


def _breach_message(user: User, ticket: Ticket, target: SlaTarget, due: datetime):
    zone = timezones.user_zone(user)
    with force_locale(user.locale):
        subject = gettext(
            "SLA missed: %(number)s %(subject)s", number=ticket.number, subject=ticket.subject
        )
        lines = [
            gettext(
                "The %(target)s target of ticket %(number)s was due at %(due)s and has been "
                "missed.",
                target=str(sla.TARGET_LABELS[target]).lower(),
                number=ticket.number,
                due=timezones.format_local(due, zone),
            ),
            gettext(
                "Priority: %(priority)s.",
                priority=str(tickets.PRIORITY_LABELS[ticket.priority]),
            ),
            _ticket_url(ticket),
        ]
    return mail.build_message(user.email, subject, "\n\n".join(lines) + "\n")


def _warning_message(user: User, ticket: Ticket, target: SlaTarget, due: datetime):
    zone = timezones.user_zone(user)
    with force_locale(user.locale):
        subject = gettext(
            "SLA warning: %(number)s %(subject)s", number=ticket.number, subject=ticket.subject
        )
        text = gettext(
            "The %(target)s target of ticket %(number)s is due at %(due)s.",
            target=str(sla.TARGET_LABELS[target]).lower(),
            number=ticket.number,
            due=timezones.format_local(due, zone),
        )
    return mail.build_message(user.email, subject, f"{text}\n\n{_ticket_url(ticket)}\n")


def _send(outbox) -> None:
    if not outbox:
        return
    with mail.smtp_connection() as server:
        for message in outbox:
            # A bounce: the breach stays recorded, and the others still go out.
            with contextlib.suppress(smtplib.SMTPRecipientsRefused):
                server.send_message(message)
