"""The email channel of the service desk.

Out: a colleague's public reply is emailed to the ticket's contact once the transaction
commits (a job on the "mail" queue), From RAPPORT_SUPPORT_ADDRESS with Reply-To the plus
address "support+T-000123@..." that carries the ticket; a ticket opened by email gets an
acknowledgement. Internal notes never leave.

In: `ingest(raw)` takes one received email: an answer (found by the plus address, by
"[T-000123]" in the subject or by In-Reply-To/References) becomes the customer's comment,
reopening the ticket; anything else opens a new ticket. Auto-replies, bounces, lists and
mail loops are recorded nowhere and never answered. The same Message-ID twice is taken once.
Unknown senders become contacts without a customer and without an owner (an administrator
or the team files them later).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import re
from email.utils import formataddr, parseaddr

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from app import permissions, queues
from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Team
from app.models.service import Ticket, TicketChannel, TicketComment
from app.services import bounces, search, tickets
from app.services.after_commit import call_after_commit
from app.services.ticket_mail_reading import MailUnreadable, ReceivedMail, read
from app.services.validation import RecordInvalid

__all__ = ["IngestResult", "MailUnreadable", "ingest", "plus_address", "support_address"]

log = logging.getLogger(__name__)
_SUBJECT_REFERENCE = re.compile(r"\[(T-\d{3,12})\]", re.IGNORECASE)
_MERGE_HOPS = 5


@dataclasses.dataclass
class IngestResult:
    action: str  # "created", "threaded", "ignored" or "duplicate"
    ticket_id: int | None = None
    reason: str = ""


def support_address() -> tuple[str, str]:
    """(display name, address) of the support mailbox."""
    name, address = parseaddr(current_app.config["RAPPORT_SUPPORT_ADDRESS"])
    return name, address.lower()


def plus_address(ticket: Ticket) -> str:
    """support+T-000123@domain: answers to it thread onto `ticket`."""
    name, address = support_address()
    local, _, domain = address.partition("@")
    return formataddr((name, f"{local}+{ticket.number}@{domain}"))


# -- out ---------------------------------------------------------------------------------


@tickets.subscribe
def _on_ticket_event(event: str, ticket: Ticket, **details) -> None:
    if event != "replied" or ticket.contact_id is None:
        return
    comment_id = details["comment"].id
    call_after_commit(lambda: _enqueue("send_ticket_reply", comment_id))


def _enqueue(job_name: str, record_id: int) -> None:
    from app.jobs import ticket_mail as jobs

    queues.enqueue_durably(
        getattr(jobs, job_name),
        record_id,
        actor=None,
        title=gettext("Email to the customer"),
        queue_name="mail",
    )


# -- in ----------------------------------------------------------------------------------


def ingest(raw: bytes) -> IngestResult:
    """Take in one received email (the caller commits). MailUnreadable when `raw` is not
    an email with a sender; an ignored auto-reply or loop is a normal result."""
    mail = read(raw)
    known = _known_message(mail.message_id)
    if known is not None:
        return IngestResult("duplicate", known, "message already taken in")
    reason = mail.machine_reason or _loop_reason(mail)
    if mail.machine_reason:  # a delivery report (DSN) marks the addresses that bounced
        bounces.ingest_raw(raw)
    if reason:
        log.info("ignored email %s from %s: %s", mail.message_id, mail.sender, reason)
        return IngestResult("ignored", None, reason)
    contact = _contact_for(mail)
    ticket = _ticket_answered(mail)
    reason = ""
    if ticket is not None and not _may_answer(ticket, contact):
        # A stranger writing to someone else's ticket gets a ticket of their own.
        ticket, reason = None, f"sender is not on {ticket.number}"
    if ticket is not None:
        comment = tickets.add_comment(
            ticket, None, _text(mail), by_contact=contact, channel=TicketChannel.EMAIL,
            email_message_id=mail.message_id,
        )  # fmt: skip
        _keep_attachments(mail, ticket, contact, comment)
        return IngestResult("threaded", ticket.id)
    ticket = tickets.create_ticket(
        None, by_contact=contact, subject=_subject(mail), description=_text(mail),
        channel=TicketChannel.EMAIL, team_id=_support_team_id(),
    )  # fmt: skip
    ticket.email_message_id = mail.message_id
    db.session.flush()
    _keep_attachments(mail, ticket, contact, None)
    ticket_id = ticket.id
    call_after_commit(lambda: _enqueue("send_ticket_acknowledgement", ticket_id))
    return IngestResult("created", ticket.id, reason)


def _known_message(message_id: str) -> int | None:
    ticket_id = db.session.scalar(
        sa.select(Ticket.id).where(Ticket.email_message_id == message_id).limit(1)
    )
    if ticket_id is None:
        ticket_id = db.session.scalar(
            sa.select(TicketComment.ticket_id)
            .where(TicketComment.email_message_id == message_id)
            .limit(1)
        )
    return ticket_id


def _loop_reason(mail: ReceivedMail) -> str:
    _, ours = support_address()
    local, _, domain = ours.partition("@")
    sender_local, _, sender_domain = mail.sender.partition("@")
    if sender_domain == domain and sender_local.split("+")[0] == local:
        return "loop"  # our own mail came back
    if mail.rapport_ticket and mail.sender == ours:
        return "loop"
    config = current_app.config
    key = "rapport:mail-senders:" + hashlib.sha256(mail.sender.encode()).hexdigest()[:32]
    redis = queues.connection()
    count = redis.incr(key)
    if count == 1:
        redis.expire(key, config["RAPPORT_MAIL_LOOP_WINDOW"])
    if count > config["RAPPORT_MAIL_LOOP_LIMIT"]:
        return "too many messages from this sender"
    return ""


def _ticket_answered(mail: ReceivedMail) -> Ticket | None:
    _, ours = support_address()
    local, _, domain = ours.partition("@")
    plus = re.compile(rf"^{re.escape(local)}\+(t-\d+)@{re.escape(domain)}$", re.IGNORECASE)
    numbers = [m.group(1).upper() for r in mail.recipients if (m := plus.match(r))]
    found = _SUBJECT_REFERENCE.search(mail.subject)
    if found:
        numbers.append(found.group(1).upper())
    ticket = None
    if numbers:
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == numbers[0]))
    if ticket is None and mail.answers:
        answers = mail.answers[-50:]
        ticket_id = db.session.scalar(
            sa.select(Ticket.id).where(Ticket.email_message_id.in_(answers)).limit(1)
        ) or db.session.scalar(
            sa.select(TicketComment.ticket_id)
            .where(TicketComment.email_message_id.in_(answers))
            .limit(1)
        )
        ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    for _ in range(_MERGE_HOPS):  # a merged ticket's answers belong to the one it joined
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = db.session.get(Ticket, ticket.merged_into_id)
    return ticket


def _may_answer(ticket: Ticket, contact: Contact) -> bool:
    """The ticket's contact, or a colleague of theirs at the same customer, may answer."""
    if ticket.contact_id == contact.id:
        return True
    return ticket.customer_id is not None and contact.customer_id == ticket.customer_id


def _contact_for(mail: ReceivedMail) -> Contact:
    exact = sa.select(Contact).where(Contact.email == mail.sender).order_by(Contact.id).limit(1)
    contact = db.session.scalar(exact) or db.session.scalar(
        sa.select(Contact)
        .where(sa.func.lower(Contact.email) == mail.sender)
        .order_by(Contact.id)
        .limit(1)
    )
    if contact is not None:
        return contact
    first, _, last = mail.sender_name.rpartition(" ")
    if not last:
        first, last = "", mail.sender.split("@")[0]
    contact = Contact(
        first_name=first[:100], last_name=last[:100], email=mail.sender[:254],
        custom={}, is_primary=False,
    )  # fmt: skip
    contact.search_text = search.normalise(contact.first_name, contact.last_name, contact.email)
    db.session.add(contact)
    db.session.flush()
    return contact


def _subject(mail: ReceivedMail) -> str:
    subject = _SUBJECT_REFERENCE.sub("", mail.subject).strip()
    return (subject or gettext("(no subject)"))[: tickets.SUBJECT_LENGTH]


def _text(mail: ReceivedMail) -> str:
    text = mail.text.strip() or gettext("(The email had no text.)")
    return text[: tickets.TEXT_LENGTH]


def _support_team_id() -> int | None:
    name = current_app.config.get("RAPPORT_SUPPORT_TEAM") or ""
    if not name:
        return None
    team_id = db.session.scalar(sa.select(Team.id).where(Team.name == name))
    if team_id is None:
        log.warning("RAPPORT_SUPPORT_TEAM %r is not a team: email tickets go to no team", name)
    return team_id


def _keep_attachments(mail: ReceivedMail, ticket: Ticket, contact, comment) -> None:
    if not mail.attachments:
        return
    from app.services.ticket_attachments import save_attachment

    for attachment in mail.attachments:
        try:
            with db.session.begin_nested():
                save_attachment(
                    ticket, attachment.filename, io.BytesIO(attachment.data), actor=None,
                    by_contact=contact, comment=comment,
                )  # fmt: skip
        except (RecordInvalid, permissions.PermissionDenied) as refused:
            log.warning(
                "attachment %r of %s refused: %s", attachment.filename, mail.message_id,
                getattr(refused, "errors", refused),
            )  # fmt: skip
