"""Emails the service desk sends about a ticket: a colleague's public reply, and the
acknowledgement of a request that arrived by email. Called by the jobs in
app/jobs/ticket_mail.py after the transaction that wrote the reply committed."""

from __future__ import annotations

from email.utils import formataddr, make_msgid

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext

from app import queues
from app.extensions import db
from app.models.customers import Contact
from app.models.service import Ticket, TicketComment
from app.services import mail
from app.services.ticket_mail import plus_address, support_address
from app.services.ticket_mail_reading import REPLY_MARKER

_ACKNOWLEDGED = "rapport:ticket-acknowledged:"


def _locale() -> str:  # contacts have no language of their own yet: the site's
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _recipient(ticket: Ticket) -> Contact | None:
    contact = db.session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return contact if contact is not None and contact.email else None


def _message(ticket: Ticket, contact: Contact, subject: str, template: str, **context):
    name, address = support_address()
    with force_locale(_locale()):
        company = current_app.config.get("RAPPORT_COMPANY_NAME", "")
        context |= {"ticket": ticket, "marker": REPLY_MARKER, "company": company}
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        subject = f"[{ticket.number}] {subject or gettext('We received your request')}"
    message = mail.build_message(contact.email, subject, text, html)
    del message["From"], message["Message-ID"]
    message["From"] = formataddr((name, address))
    message["Reply-To"] = plus_address(ticket)
    message["Message-ID"] = make_msgid(domain=address.partition("@")[2] or "rapport.local")
    message["X-Rapport-Ticket"] = ticket.number
    answered = _last_customer_message_id(ticket)
    if answered:
        message["In-Reply-To"] = answered
        thread = dict.fromkeys(filter(None, [ticket.email_message_id, answered]))
        message["References"] = " ".join(thread)
    return message


def _last_customer_message_id(ticket: Ticket) -> str:
    latest = db.session.scalar(
        sa.select(TicketComment.email_message_id)
        .where(
            TicketComment.ticket_id == ticket.id,
            TicketComment.author_user_id.is_(None),
            TicketComment.email_message_id != "",
        )
        .order_by(TicketComment.id.desc())
        .limit(1)
    )
    return latest or ticket.email_message_id


def send_reply(comment: TicketComment) -> bool:
    """Email a colleague's public reply to the ticket's contact, once: the sent Message-ID
    is kept on the comment. False when there is nothing to send (a note, no address)."""
    if comment.is_internal or comment.author_user_id is None or comment.email_message_id:
        return False
    ticket = db.session.get(Ticket, comment.ticket_id)
    contact = _recipient(ticket) if ticket is not None else None
    if contact is None:
        return False
    message = _message(ticket, contact, ticket.subject, "ticket_reply", comment=comment)
    mail.send(message)
    comment.email_message_id = message["Message-ID"]
    db.session.flush()
    return True


def send_acknowledgement(ticket: Ticket) -> bool:
    """Tell the contact their emailed request arrived, with its number (once per ticket).
    Marked Auto-Submitted: auto-replied, so their own autoresponder stays quiet."""
    contact = _recipient(ticket)
    if contact is None:
        return False
    if not queues.connection().set(f"{_ACKNOWLEDGED}{ticket.id}", 1, nx=True, ex=7 * 86400):
        return False
    message = _message(ticket, contact, "", "ticket_acknowledgement")
    message["Auto-Submitted"] = "auto-replied"
    try:
        mail.send(message)
    except Exception:
        queues.connection().delete(f"{_ACKNOWLEDGED}{ticket.id}")
        raise
    return True
