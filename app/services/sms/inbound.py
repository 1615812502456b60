"""Text messages people send us (the provider's inbound webhook). Each is logged as
RECEIVED, linked to the contact or lead with that number (and the contact's latest open
ticket). A message that is only a keyword acts on it, as carriers expect:

- STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: the number is opted out of every text
  (evidence and audit), and the campaign it answers counts an opt-out;
- START, UNSTOP, YES: opted in again (SMS consent given by the person themselves);
- HELP, INFO: what the messages are and how to stop them.

Keywords are matched case-insensitively on the whole trimmed message. The reply text goes
back as TwiML. The same provider message id twice is taken once (webhooks are retried)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models.base import utcnow
from app.models.marketing import CampaignRecipient
from app.models.service import Ticket, TicketStatus
from app.models.sms import SmsDirection, SmsMessage, SmsStatus
from app.services.sms import phones, preferences, providers

OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
KEYWORD_SOURCE = "sms_keyword"
# A STOP within this time of a campaign text counts as that campaign's opt-out.
ATTRIBUTION_WINDOW = timedelta(days=30)


@dataclasses.dataclass
class InboundResult:
    action: str  # opted_out, opted_in, help, received, duplicate
    reply: str = ""
    message_id: int | None = None


def keyword_of(body: str) -> str:
    """The keyword a message is, upper-cased ('' when it is not only a keyword)."""
    word = (body or "").strip().rstrip(".!").strip().upper()
    known = OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS
    return word if word in known else ""


def _company() -> str:
    return current_app.config.get("RAPPORT_COMPANY_NAME") or "Rapport"


def reply_for(keyword: str) -> str:
    """The answer a keyword gets ('' for an ordinary message: no answer)."""
    company = _company()
    if keyword in OPT_OUT_KEYWORDS:
        return _(
            "%(company)s: you will get no more text messages from us. Reply START to get "
            "them again.",
            company=company,
        )
    if keyword in OPT_IN_KEYWORDS:
        return _(
            "%(company)s: you will get our text messages again. Reply STOP to stop them.",
            company=company,
        )
    if keyword in HELP_KEYWORDS:
        return _(
            "%(company)s: reply STOP to stop our text messages, START to get them again. "
            "Questions: %(address)s",
            company=company,
            address=current_app.config.get("RAPPORT_SUPPORT_ADDRESS", ""),
        )
    return ""


def _open_ticket(contact_id: int | None) -> int | None:
    if contact_id is None:
        return None
    return db.session.scalar(
        sa.select(Ticket.id)
        .where(
            Ticket.contact_id == contact_id,
            Ticket.status.not_in([TicketStatus.RESOLVED, TicketStatus.CLOSED]),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def _count_campaign_opt_out(phone: str) -> None:
    """Mark the campaign text the STOP answers (the latest, if recent) as opted out."""
    recipient_id = db.session.scalar(
        sa.select(SmsMessage.campaign_recipient_id)
        .where(
            SmsMessage.to_number == phone,
            SmsMessage.direction == SmsDirection.OUT,
            SmsMessage.campaign_recipient_id.is_not(None),
            SmsMessage.created_at >= utcnow() - ATTRIBUTION_WINDOW,
        )
        .order_by(SmsMessage.id.desc())
        .limit(1)
    )
    if recipient_id is not None:
        db.session.execute(
            sa.update(CampaignRecipient)
            .where(
                CampaignRecipient.id == recipient_id, CampaignRecipient.unsubscribed_at.is_(None)
            )
            .values(unsubscribed_at=utcnow())
        )


def receive(
    *, from_number: str, to_number: str, body: str, provider_id: str = "", ip: str | None = None
) -> InboundResult:
    """Log one inbound message and act on its keyword (the caller commits)."""
    keyword = keyword_of(body)
    if provider_id:
        known = db.session.scalar(
            sa.select(SmsMessage.id).where(
                SmsMessage.provider_id == provider_id[:64],
                SmsMessage.direction == SmsDirection.IN,
            )
        )
        if known is not None:
            return InboundResult("duplicate", reply_for(keyword), known)
    phone = phones.normalise_or_none(from_number)
    contact_id, lead_id = preferences.people_with_number(phone) if phone else (None, None)
    message = SmsMessage(
        direction=SmsDirection.IN,
        to_number=(to_number or "")[:40],
        from_number=(phone or from_number or "")[:40],
        body=(body or "")[:1600],
        status=SmsStatus.RECEIVED,
        provider=providers.provider_name(),
        provider_id=(provider_id or "")[:64],
        contact_id=contact_id,
        lead_id=lead_id,
        ticket_id=_open_ticket(contact_id),
    )
    db.session.add(message)
    db.session.flush()
    if not keyword or phone is None:
        return InboundResult("received", "", message.id)
    people = (contact_id, lead_id)
    if keyword in OPT_OUT_KEYWORDS:
        preferences.opt_out(phone, source=KEYWORD_SOURCE, keyword=keyword, ip=ip, people=people)
        _count_campaign_opt_out(phone)
        action = "opted_out"
    elif keyword in OPT_IN_KEYWORDS:
        preferences.opt_in(phone, source=KEYWORD_SOURCE, keyword=keyword, ip=ip, people=people)
        action = "opted_in"
    else:
        action = "help"
    db.session.flush()
    return InboundResult(action, reply_for(keyword), message.id)
