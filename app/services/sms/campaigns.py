"""SMS as a campaign channel: a campaign of type SMS sends its `sms_body` (merge fields
allowed) to the mobile numbers (else phone numbers) of its segment, through the same
outbox, batch jobs, throttle, pause/resume/cancel as email (app.services.campaign_outbox,
whose batches hand SMS rows to app.services.sms.campaign_delivery).

The audience is written once: one recipient row per distinct E.164 number (kept in the
row's address column), the rest SKIPPED with the reason: no_phone, invalid_phone,
opted_out, no_consent (only where marketing needs consent, as for email). Numbers are
normalised in Python (no SQL can read "(555) 123-4567"), streamed, inserted in chunks."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    RecipientStatus,
    Segment,
    SegmentEntity,
)
from app.models.sales import Lead
from app.models.sms import SmsMessage, SmsStatus
from app.services import merge_fields, segments
from app.services.sms import messages, phones, preferences
from app.services.sms.campaign_delivery import render, sample_values
from app.services.sms.providers import SmsError
from app.services.validation import RecordInvalid

BODY_LENGTH = 640
# Links to email pages mean nothing in a text message.
_EMAIL_ONLY_FIELDS = ("unsubscribe_url", "preferences_url")
_INSERT_CHUNK = 1000
_table = CampaignRecipient.__table__


def body_problems(text: str) -> list[str]:
    """What is wrong with an SMS text (none when it may be saved)."""
    if len(text) > BODY_LENGTH:
        return [_("Keep the text message under %(count)d characters.", count=BODY_LENGTH)]
    found = merge_fields.problems(text)
    for match in merge_fields.PLACEHOLDER.finditer(text):
        parsed = merge_fields.parse(match.group(0))
        if parsed and parsed[0] in _EMAIL_ONLY_FIELDS:
            found.append(
                _("“%(name)s” is for email only: a text message has no such link.",
                  name=parsed[0])
            )  # fmt: skip
            break
    return found


def check_body(fields: dict, errors: dict) -> str:
    """The campaign's SMS text from `fields`, its problems put in `errors`."""
    text = str(fields.get("sms_body") or "").strip()
    problems = body_problems(text)
    if problems:
        errors["sms_body"] = " ".join(problems)
    return text


def send_problems(campaign: Campaign) -> list[str]:
    """Why the SMS campaign cannot be sent as it is (empty when it can)."""
    found = []
    if campaign.segment_id is None:
        found.append(_("Choose the segment to send to."))
    if not (campaign.sms_body or "").strip():
        found.append(_("Write the text message to send."))
    return found


@dataclasses.dataclass
class _Audience:
    """The audience judged: recipient rows to write, and the counts the preview shows."""

    rows: list[dict] = dataclasses.field(default_factory=list)
    members: int = 0
    numbers: int = 0
    duplicates: int = 0


def _members(segment: Segment):
    """(contact_id, lead_id, mobile, phone) of every member, streamed."""
    audience = segments.audience_query(segment).subquery()
    if segment.entity is SegmentEntity.CONTACT:
        person, key = Contact, audience.c.contact_id
    else:
        person, key = Lead, audience.c.lead_id
    query = (
        sa.select(
            sa.cast(audience.c.contact_id, sa.Integer),
            sa.cast(audience.c.lead_id, sa.Integer),
            person.mobile,
            person.phone,
        )
        .join(person, person.id == key)
        .order_by(person.id)
    )
    return db.session.execute(query.execution_options(yield_per=2000))


def judge(segment: Segment) -> _Audience:
    """One row per distinct number (QUEUED, or SKIPPED with why), one per member without
    a usable number (SKIPPED, a placeholder key that is not a number)."""
    found = _Audience()
    seen: set[str] = set()
    country = phones.default_country_code()
    for contact_id, lead_id, mobile, phone in _members(segment):
        found.members += 1
        raw = (mobile or "").strip() or (phone or "").strip()
        number = phones.normalise_or_none(raw, country) if raw else None
        row = {"contact_id": contact_id, "lead_id": lead_id}
        if number is None:
            placeholder = f"#contact-{contact_id}" if contact_id else f"#lead-{lead_id}"
            reason = "invalid_phone" if raw else "no_phone"
            found.rows.append(row | {"email": placeholder, "skip_reason": reason})
            continue
        if number in seen:
            found.duplicates += 1
            continue
        seen.add(number)
        found.rows.append(row | {"email": number, "skip_reason": ""})
    found.numbers = len(seen)
    blocked = preferences.suppressed(sorted(seen))
    for row in found.rows:
        row["skip_reason"] = row["skip_reason"] or blocked.get(row["email"], "")
        skipped = bool(row["skip_reason"])
        row["status"] = (RecipientStatus.SKIPPED if skipped else RecipientStatus.QUEUED).value
    return found


def preview(campaign: Campaign) -> dict:
    """The audience before sending: members, distinct numbers, and how many may be texted."""
    segment = db.session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    if segment is None:
        return {"members": 0, "addresses": 0, "sendable": 0}
    audience = judge(segment)
    sendable = sum(1 for row in audience.rows if not row["skip_reason"])
    return {"members": audience.members, "addresses": audience.numbers, "sendable": sendable}


def write_recipients(campaign: Campaign, segment: Segment) -> int:
    """Materialise the SMS audience; returns how many members repeated a number."""
    audience = judge(segment)
    for start in range(0, len(audience.rows), _INSERT_CHUNK):
        chunk = audience.rows[start : start + _INSERT_CHUNK]
        db.session.execute(sa.insert(_table), [row | {"campaign_id": campaign.id} for row in chunk])
    return audience.duplicates


def test_send(campaign: Campaign, actor, to: str | None) -> str:
    """Text the campaign's message, as `actor` would get it, to the number `to` right
    away (logged, not counted in the campaign). Returns the number."""
    if not (campaign.sms_body or "").strip():
        raise RecordInvalid({"send": _("Write the text message to send.")})
    try:
        number = phones.normalise(to)
    except phones.PhoneInvalid as invalid:
        raise RecordInvalid({"send": str(invalid)}) from None
    body = render(campaign.sms_body, sample_values(actor), campaign.name)
    try:
        messages.send_now(number, body, actor=actor)
    except SmsError as error:
        raise RecordInvalid({"send": _("The test was not sent: %(error)s", error=error)}) from None
    return number


@dataclasses.dataclass
class SmsFigures:
    """An SMS campaign's results. Each recipient row is in exactly one of: waiting,
    accepted (sent; delivered is part of it), failed, skipped, unknown, cancelled."""

    recipients: int = 0
    waiting: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    cancelled: int = 0
    opted_out: int = 0


def figures(campaign: Campaign) -> SmsFigures:
    """The campaign's SMS figures (two grouped queries)."""
    result = SmsFigures()
    by_status = {status: 0 for status in RecipientStatus}
    for status, count, opted_out in db.session.execute(
        sa.select(
            CampaignRecipient.status,
            sa.func.count(),
            sa.func.count(CampaignRecipient.unsubscribed_at),
        )
        .where(CampaignRecipient.campaign_id == campaign.id)
        .group_by(CampaignRecipient.status)
    ):
        by_status[status] += count
        result.opted_out += opted_out
    result.recipients = sum(by_status.values())
    result.waiting = sum(
        by_status[s]
        for s in (RecipientStatus.QUEUED, RecipientStatus.CLAIMED, RecipientStatus.SENDING)
    )
    result.sent = by_status[RecipientStatus.SENT]
    result.failed = by_status[RecipientStatus.FAILED]
    result.skipped = by_status[RecipientStatus.SKIPPED]
    result.unknown = by_status[RecipientStatus.UNKNOWN]
    result.cancelled = by_status[RecipientStatus.CANCELLED]
    result.delivered = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SmsMessage)
        .where(
            SmsMessage.campaign_id == campaign.id,
            SmsMessage.campaign_recipient_id.is_not(None),
            SmsMessage.status == SmsStatus.DELIVERED,
        )
    )
    return result
