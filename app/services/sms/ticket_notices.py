"""Ticket notifications by text message: when a colleague posts a public reply and ticks
"also text the customer", the ticket's contact gets "Your ticket T-000123 has a new reply:
<portal link>". Offered only when the contact has a readable mobile (else phone) number
that has not opted out; one text per reply at most. The text is queued with the reply
(in its transaction), sent by a job once it commits, shown under the reply, and on the
ticket's history."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app import audit, queues
from app.extensions import db
from app.models.customers import Contact
from app.models.service import Ticket, TicketComment
from app.models.sms import SmsMessage
from app.services.after_commit import call_after_commit
from app.services.sms import messages, phones, preferences


def offer(ticket: Ticket) -> str | None:
    """The number a reply notice would go to, or None when none may be sent."""
    contact = db.session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    number = phones.number_of(contact) if contact is not None else None
    if number is None or preferences.is_opted_out(number):
        return None
    return number


def offer_masked(ticket: Ticket) -> str | None:
    """offer(), partly hidden for the reply form (+155••••4567)."""
    number = offer(ticket)
    return phones.masked(number) if number else None


def notice_text(ticket: Ticket) -> str:
    """The text, in the site's language (contacts have none of their own yet)."""
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "portal.ticket_show", ticket_id=ticket.id
    )
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _(
            "Your ticket %(number)s has a new reply: %(link)s", number=ticket.number, link=link
        )


def queue_reply_notice(comment: TicketComment, actor) -> SmsMessage | None:
    """Queue the text about a colleague's public reply (sent after commit). None when it
    may not be sent (a note, a customer's message, no number, opted out) or was already."""
    if comment.is_internal or comment.author_user_id is None:
        return None
    already = db.session.scalar(
        sa.select(SmsMessage).where(SmsMessage.ticket_comment_id == comment.id).limit(1)
    )
    if already is not None:
        return None
    ticket = db.session.get(Ticket, comment.ticket_id)
    number = offer(ticket)
    if number is None:
        return None
    message = messages.queue(
        number,
        notice_text(ticket),
        actor=actor,
        ticket_id=ticket.id,
        ticket_comment_id=comment.id,
        contact_id=ticket.contact_id,
    )
    audit.record_changed(db.session, ticket, {"sms_notice": (None, phones.masked(number))})
    message_id = message.id
    call_after_commit(lambda: _enqueue(message_id))
    return message


def _enqueue(message_id: int) -> None:
    from app.jobs.sms import send_sms_message

    queues.enqueue(
        send_sms_message,
        message_id,
        actor=None,
        title=_("Text message to the customer"),
        queue_name="mail",
    )


def by_comment(ticket: Ticket) -> dict[int, list[SmsMessage]]:
    """The ticket's reply notices, by the reply they are about."""
    found: dict[int, list[SmsMessage]] = {}
    for message in db.session.scalars(
        sa.select(SmsMessage)
        .where(SmsMessage.ticket_id == ticket.id, SmsMessage.ticket_comment_id.is_not(None))
        .order_by(SmsMessage.id)
    ):
        found.setdefault(message.ticket_comment_id, []).append(message)
    return found
