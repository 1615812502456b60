"""Single text messages and the message log: queue one (a ticket notice), hand a queued
one to the provider exactly once, send a test right away, apply the provider's delivery
reports (status callbacks), and page through the log.

A message is claimed QUEUED -> SENDING by a conditional UPDATE, committed before the
provider is asked, so a job run twice sends once; a row left SENDING (the provider's
answer never came) is never sent again."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.marketing import CampaignRecipient, RecipientStatus
from app.models.sms import SmsDirection, SmsMessage, SmsStatus
from app.services.sms import preferences, providers
from app.services.sms.providers import SmsError

_table = SmsMessage.__table__
LOG_PAGE = 50
# The provider's delivery states, as the log keeps them (others, like "sending", are
# steps on the way and change nothing).
PROVIDER_STATES = {
    "sent": SmsStatus.SENT,
    "delivered": SmsStatus.DELIVERED,
    "read": SmsStatus.DELIVERED,
    "undelivered": SmsStatus.FAILED,
    "failed": SmsStatus.FAILED,
    "canceled": SmsStatus.FAILED,
}
_FINAL = (SmsStatus.DELIVERED, SmsStatus.FAILED)


def queue(to: str, body: str, *, actor=None, **links) -> SmsMessage:
    """A message waiting to be sent (by app.jobs.sms.send_sms_message after commit)."""
    message = SmsMessage(
        direction=SmsDirection.OUT,
        to_number=to,
        from_number=providers.sender(),
        body=body,
        status=SmsStatus.QUEUED,
        provider=providers.provider_name(),
        created_by_id=getattr(actor, "id", None),
        **links,
    )
    db.session.add(message)
    db.session.flush()
    return message


def deliver(message_id: int) -> bool:
    """Hand the queued message to the provider, once (True when it was accepted). The
    outcome is committed: SENT with the provider's id, FAILED with its error, or left
    SENDING with a note when the answer never came."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(_table)
        .where(_table.c.id == message_id, _table.c.status == SmsStatus.QUEUED.value)
        .values(status=SmsStatus.SENDING.value, updated_at=now)
    ).rowcount
    db.session.commit()
    if not claimed:
        return False
    message = db.session.get(SmsMessage, message_id)
    if preferences.is_opted_out(message.to_number):
        _fail(message, SmsError("The number opted out of text messages before it was sent."))
        return False
    try:
        message.provider_id = providers.provider().send(
            message.to_number, message.body, message.from_number, providers.status_callback_url()
        )[:64]
    except SmsError as error:
        _fail(message, error)
        return False
    message.status, message.sent_at = SmsStatus.SENT, utcnow()
    db.session.commit()
    return True


def _fail(message: SmsMessage, error: SmsError) -> None:
    if not error.ambiguous:
        message.status = SmsStatus.FAILED
    message.error_code, message.error = error.code[:20], str(error)[:500]
    db.session.commit()


def send_now(to: str, body: str, *, actor, **links) -> SmsMessage:
    """Send one message right away (a test), logged; SmsError when it was refused."""
    message = queue(to, body, actor=actor, **links)
    message_id = message.id
    db.session.commit()
    if not deliver(message_id):
        message = db.session.get(SmsMessage, message_id)
        raise SmsError(message.error or "not sent", code=message.error_code)
    return db.session.get(SmsMessage, message_id)


def apply_status(provider_id: str, state: str, error_code: str = "", error: str = ""):
    """A delivery report: SENT -> DELIVERED or FAILED (a campaign recipient's row fails
    with it). Reports arrive out of order and more than once: a final state stays final.
    Returns the message, or None when the id is unknown."""
    message = db.session.scalar(
        sa.select(SmsMessage).where(SmsMessage.provider_id == provider_id).limit(1)
    )
    status = PROVIDER_STATES.get((state or "").strip().lower())
    if message is None or status is None or message.status in _FINAL:
        return message
    if status is SmsStatus.SENT:
        if message.status is SmsStatus.SENDING:
            message.status, message.sent_at = SmsStatus.SENT, message.sent_at or utcnow()
        db.session.flush()
        return message
    message.status = status
    if status is SmsStatus.DELIVERED:
        message.delivered_at = utcnow()
    else:
        message.error_code = (error_code or "")[:20]
        message.error = (error or f"The provider reports the message {state}.")[:500]
        _fail_recipient(message)
        if message.error_code in providers.UNSUBSCRIBED_CODES:
            preferences.opt_out(
                message.to_number, source="provider", detail=message.error,
                people=(message.contact_id, message.lead_id),
            )  # fmt: skip
    db.session.flush()
    return message


def _fail_recipient(message: SmsMessage) -> None:
    if message.campaign_recipient_id is None:
        return
    db.session.execute(
        sa.update(CampaignRecipient)
        .where(
            CampaignRecipient.id == message.campaign_recipient_id,
            CampaignRecipient.status == RecipientStatus.SENT,
        )
        .values(status=RecipientStatus.FAILED, error=message.error)
    )


@dataclasses.dataclass
class LogPage:
    messages: list[SmsMessage]
    next_before: int | None


def log_page(
    *, direction: SmsDirection | None = None, status: SmsStatus | None = None, before=None
) -> LogPage:
    """The message log, newest first, LOG_PAGE at a time (keyset on the id)."""
    query = sa.select(SmsMessage).order_by(SmsMessage.id.desc()).limit(LOG_PAGE + 1)
    if direction is not None:
        query = query.where(SmsMessage.direction == direction)
    if status is not None:
        query = query.where(SmsMessage.status == status)
    if before:
        query = query.where(SmsMessage.id < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > LOG_PAGE
    rows = rows[:LOG_PAGE]
    return LogPage(rows, rows[-1].id if more else None)
