"""Tickets: opened by colleagues (a call, a chat, a social post), by email or on the portal;
answered with public replies and internal notes; moved through
OPEN -> IN_PROGRESS -> PENDING -> RESOLVED -> CLOSED, and reopened when the customer writes.

Other service modules react to what happens here without this module knowing them: they
`subscribe(listener)` and are called as `listener(event, ticket, **details)` inside the same
transaction, for the events "created", "assigned" (previous=), "status_changed" (previous=),
"replied" (comment=, a public reply by a colleague), "noted" (comment=, internal) and
"customer_replied" (comment=). The SLA clock, assignment rules and the email channel hang
off these.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.models.service import (
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from app.services import history, numbering, search
from app.services.record_checks import check_enum, check_text
from app.services.validation import RecordInvalid

history.register_record_type("tickets", Ticket, "ticket")

# Contexts keep these apart from the same English words elsewhere ("Open" tasks, "Medium"
# companies), which other languages say differently.
STATUS_LABELS = {
    TicketStatus.OPEN: lazy_pgettext("ticket status", "Open"),
    TicketStatus.IN_PROGRESS: lazy_pgettext("ticket status", "In progress"),
    TicketStatus.PENDING: lazy_pgettext("ticket status", "Pending (waiting on the customer)"),
    TicketStatus.RESOLVED: lazy_pgettext("ticket status", "Resolved"),
    TicketStatus.CLOSED: lazy_pgettext("ticket status", "Closed"),
}
PRIORITY_LABELS = {
    TicketPriority.LOW: lazy_pgettext("priority", "Low"),
    TicketPriority.MEDIUM: lazy_pgettext("priority", "Medium"),
    TicketPriority.HIGH: lazy_pgettext("priority", "High"),
    TicketPriority.URGENT: lazy_pgettext("priority", "Urgent"),
}
CHANNEL_LABELS = {
    TicketChannel.EMAIL: _l("Email"),
    TicketChannel.PHONE: _l("Phone"),
    TicketChannel.CHAT: _l("Chat"),
    TicketChannel.WEB: _l("Web (portal)"),
    TicketChannel.SOCIAL: _l("Social media"),
}
NUMBER_WIDTH = 6
SUBJECT_LENGTH = 300
TEXT_LENGTH = 50_000
_FIELDS = {
    "subject", "description", "customer_id", "contact_id", "priority", "channel",
    "category_id", "team_id", "owner_id",
}  # fmt: skip

Listener = Callable[..., None]
_LISTENERS: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Call `listener(event, ticket, **details)` on every ticket event (a decorator too)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def unsubscribe(listener: Listener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def emit(event: str, ticket: Ticket, **details) -> None:
    """Tell every listener `event` happened to `ticket` (modules that change a ticket on
    their own, like the assignment rules, announce it here too)."""
    for listener in list(_LISTENERS):
        listener(event, ticket, **details)


def next_number() -> str:
    """T-000123: one sequence for every ticket, never reused."""
    return f"T-{numbering.next_value('T'):0{NUMBER_WIDTH}d}"


def _link(model, raw, errors: dict, key: str, message: str):
    if raw in (None, ""):
        return None
    record = db.session.get(model, int(raw)) if str(raw).strip().isdigit() else None
    if record is None:
        errors[key] = message
    return record


def _check_assignee(raw, errors: dict) -> int | None:
    if raw in (None, ""):
        return None
    user = db.session.get(User, int(raw)) if str(raw).strip().isdigit() else None
    if user is None or not user.is_active or not permissions.can(user, "edit", "ticket"):
        errors["owner_id"] = gettext("Choose an active colleague who works on tickets.")
        return None
    return user.id


def _apply(ticket: Ticket, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (leaving `ticket` untouched)."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown ticket fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    if not partial or "subject" in fields:
        values["subject"] = check_text(
            fields, "subject", SUBJECT_LENGTH, errors, gettext("Say what the ticket is about.")
        )
    if not partial or "description" in fields:
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > TEXT_LENGTH:
            errors["description"] = gettext("Use at most %(max)d characters.", max=TEXT_LENGTH)
    contact = None
    if "contact_id" in fields:
        contact = _link(
            Contact, fields["contact_id"], errors, "contact_id", gettext("Choose a contact.")
        )
        values["contact_id"] = contact.id if contact else None
    if "customer_id" in fields:
        customer = _link(
            Customer, fields["customer_id"], errors, "customer_id", gettext("Choose a customer.")
        )
        values["customer_id"] = customer.id if customer else None
    elif contact is not None and contact.customer_id:
        values["customer_id"] = contact.customer_id
    customer_id = values.get("customer_id", ticket.customer_id)
    if contact is not None and contact.customer_id and customer_id != contact.customer_id:
        errors["contact_id"] = gettext("Choose a contact of this customer.")
    for name, enum_cls in (("priority", TicketPriority), ("channel", TicketChannel)):
        if name in fields:
            value = check_enum(enum_cls, fields, name, errors)
            if value is not None:
                values[name] = value
    if "category_id" in fields:
        category = _link(
            TicketCategory, fields["category_id"], errors, "category_id",
            gettext("Choose a category."),
        )  # fmt: skip
        values["category_id"] = category.id if category else None
        if category is not None and category.team_id and not fields.get("team_id"):
            values["team_id"] = category.team_id
    if fields.get("team_id") not in (None, ""):
        from app.models.identity import Team

        team = _link(Team, fields["team_id"], errors, "team_id", gettext("Choose a team."))
        values["team_id"] = team.id if team else None
    if "owner_id" in fields:
        values["owner_id"] = _check_assignee(fields["owner_id"], errors)
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        setattr(ticket, name, value)
    _index(ticket)


def _index(ticket: Ticket) -> None:
    customer_name = (
        db.session.scalar(sa.select(Customer.name).where(Customer.id == ticket.customer_id))
        if ticket.customer_id
        else ""
    )
    ticket.search_text = search.normalise(
        ticket.number or "", ticket.subject, customer_name, ticket.description[:2000]
    )


def create_ticket(actor, by_contact: Contact | None = None, **fields) -> Ticket:
    """Open a ticket: logged by `actor` (a colleague; checked), or, with actor None, sent
    by `by_contact` through the portal or by email. Emits "created"."""
    if actor is not None:
        permissions.require(actor, "create", "ticket")
        if fields.get("owner_id") not in (None, ""):
            permissions.require(actor, "edit", "ticket")
    elif by_contact is None:
        raise ValueError("a ticket is opened by a colleague or by a customer's contact")
    if by_contact is not None:
        fields = {"contact_id": by_contact.id} | fields
    ticket = Ticket(
        status=TicketStatus.OPEN,
        priority=TicketPriority.MEDIUM,
        channel=TicketChannel.WEB if actor is None else TicketChannel.PHONE,
        created_by_id=getattr(actor, "id", None),
    )
    _apply(ticket, fields, partial=False)
    if ticket.team_id is None and actor is not None:
        ticket.team_id = actor.team_id  # logged by a colleague: their team's queue
    ticket.number = next_number()
    _index(ticket)
    if by_contact is not None:
        ticket.last_customer_reply_at = utcnow()
    db.session.add(ticket)
    db.session.flush()
    emit("created", ticket)
    db.session.flush()
    return ticket


def update_ticket(ticket: Ticket, actor, **fields) -> Ticket:
    """Change a ticket's subject, description, customer, priority, category... (to assign
    it, use `assign`; to move it on, `set_status`)."""
    permissions.require(actor, "edit", "ticket", ticket)
    if "owner_id" in fields:
        raise TypeError("assign a ticket with tickets.assign")
    previous_priority = ticket.priority
    _apply(ticket, fields, partial=True)
    ticket.updated_by_id = actor.id
    db.session.flush()
    if ticket.priority is not previous_priority:
        emit("priority_changed", ticket, previous=previous_priority)
    return ticket


_HIGHER = {
    TicketPriority.LOW: TicketPriority.MEDIUM,
    TicketPriority.MEDIUM: TicketPriority.HIGH,
    TicketPriority.HIGH: TicketPriority.URGENT,
}


def escalate_priority(ticket: Ticket) -> bool:
    """Raise the priority one step (LOW -> MEDIUM -> HIGH -> URGENT), done by the system
    (the SLA breach sweep), so without a permission check; False when already URGENT."""
    previous = ticket.priority
    higher = _HIGHER.get(previous)
    if higher is None:
        return False
    ticket.priority = higher
    ticket.updated_by_id = None
    db.session.flush()
    emit("priority_changed", ticket, previous=previous)
    return True


def assign(ticket: Ticket, actor, user_id) -> Ticket:
    """Give a ticket to a colleague (None: back to the team's unassigned queue)."""
    permissions.require(actor, "edit", "ticket", ticket)
    errors: dict[str, str] = {}
    owner_id = _check_assignee(user_id, errors)
    if errors:
        raise RecordInvalid(errors)
    previous = ticket.owner_id
    if owner_id == previous:
        return ticket
    ticket.owner_id = owner_id
    ticket.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    emit("assigned", ticket, previous=previous)
    return ticket


def _move(ticket: Ticket, status: TicketStatus) -> None:
    previous = ticket.status
    if status is previous:
        return
    now = utcnow()
    ticket.status = status
    if status is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status is TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:  # open again
        ticket.resolved_at = None
        ticket.closed_at = None
    db.session.flush()
    emit("status_changed", ticket, previous=previous)


def set_status(ticket: Ticket, actor, status) -> Ticket:
    """Move a ticket to any status; a closed ticket reopens only as OPEN."""
    permissions.require(actor, "edit", "ticket", ticket)
    errors: dict[str, str] = {}
    wanted = check_enum(TicketStatus, {"status": status}, "status", errors)
    if wanted is None:
        raise RecordInvalid(errors or {"status": gettext("Choose a status.")})
    if ticket.merged_into_id is not None:
        raise RecordInvalid({"status": gettext("This ticket was merged into another one.")})
    if ticket.status is TicketStatus.CLOSED and wanted is not TicketStatus.OPEN:
        raise RecordInvalid({"status": gettext("A closed ticket can only be reopened.")})
    ticket.updated_by_id = actor.id
    _move(ticket, wanted)
    return ticket


def add_comment(
    ticket: Ticket,
    actor,
    body: str,
    internal: bool = False,
    by_contact: Contact | None = None,
    channel: TicketChannel | None = None,
    email_message_id: str = "",
) -> TicketComment:
    """A colleague's public reply or internal note (actor), or the customer's reply
    (by_contact, actor None). A customer's reply reopens a resolved or closed ticket and
    takes a pending one off hold; a colleague's first public reply is the first response."""
    if actor is not None:
        permissions.require(actor, "edit", "ticket", ticket)
    elif by_contact is None:
        raise ValueError("a comment is written by a colleague or by a customer's contact")
    text = str(body or "").strip()
    if not text:
        raise RecordInvalid({"body": gettext("Write a message.")})
    if len(text) > TEXT_LENGTH:
        raise RecordInvalid({"body": gettext("Use at most %(max)d characters.", max=TEXT_LENGTH)})
    now = utcnow()
    comment = TicketComment(
        ticket_id=ticket.id,
        author_user_id=getattr(actor, "id", None),
        author_contact_id=by_contact.id if actor is None else None,
        author_name=actor.name if actor is not None else by_contact.full_name,
        is_internal=bool(internal) and actor is not None,
        body=text,
        channel=channel,
        email_message_id=email_message_id[:255],
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    if actor is None:
        ticket.last_customer_reply_at = now
        if ticket.status in (TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED):
            _move(ticket, TicketStatus.OPEN)
        emit("customer_replied", ticket, comment=comment)
    elif comment.is_internal:
        emit("noted", ticket, comment=comment)
    else:
        ticket.last_agent_reply_at = now
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            ticket.first_responder_id = actor.id
        ticket.updated_by_id = actor.id
        db.session.flush()
        emit("replied", ticket, comment=comment)
    return comment


def comments_of(ticket: Ticket, include_internal: bool = True) -> list[TicketComment]:
    """The conversation, oldest first (a customer never gets the internal notes)."""
    query = sa.select(TicketComment).where(TicketComment.ticket_id == ticket.id)
    if not include_internal:
        query = query.where(TicketComment.is_internal.is_(False))
    return list(db.session.scalars(query.order_by(TicketComment.id)))
