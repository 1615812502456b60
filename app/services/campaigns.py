"""Marketing campaigns: create, change and delete them with their plan (type, status, dates,
channels), audience and email (segment, template), money (budget, actual cost, expected
revenue, one currency) and the figures entered by hand (impressions). The campaign list is
app.services.campaign_lists.

What a campaign earned is computed in app.services.campaign_metrics; sending its email is
the send helper's (app.services.campaign_sends), which also checks that an EMAIL campaign
has a template. Money is Decimal with two decimals, never float.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignType,
    EmailTemplate,
    MarketingTopic,
    RecipientStatus,
    Segment,
    SendState,
)
from app.services import history
from app.services.products import check_amount
from app.services.record_checks import check_enum, check_owner, check_text
from app.services.sms import campaigns as sms_campaigns
from app.services.validation import RecordInvalid

history.register_record_type("campaigns", Campaign, "campaign")

TYPE_LABELS = {
    CampaignType.EMAIL: _l("Email"),
    CampaignType.SOCIAL: _l("Social"),
    CampaignType.EVENT: _l("Event"),
    CampaignType.WEBINAR: _l("Webinar"),
    CampaignType.CONTENT: _l("Content"),
    CampaignType.SMS: _l("SMS"),
}
STATUS_LABELS = {
    CampaignStatus.PLANNING: _l("Planning"),
    CampaignStatus.ACTIVE: _l("Active"),
    CampaignStatus.PAUSED: _l("Paused"),
    CampaignStatus.COMPLETED: _l("Completed"),
}
# Badge colours (the kinds of _macros/ui.html badge).
STATUS_KINDS = {
    "PLANNING": "neutral",
    "ACTIVE": "success",
    "PAUSED": "warning",
    "COMPLETED": "info",
}
TOPIC_LABELS = {
    MarketingTopic.NEWSLETTER: _l("Newsletter"),
    MarketingTopic.PRODUCT: _l("Product news"),
    MarketingTopic.EVENTS: _l("Events"),
    MarketingTopic.OFFERS: _l("Offers"),
}
# The channels a campaign may use, in the order forms show them. A social network is
# "SOCIAL:<network>", so links and inbound leads can be attributed per network.
SOCIAL_NETWORKS = ("linkedin", "facebook", "x", "instagram", "youtube")
CHANNELS = {
    "EMAIL": _l("Email"),
    "SMS": _l("SMS"),
    "SOCIAL:linkedin": _l("LinkedIn"),
    "SOCIAL:facebook": _l("Facebook"),
    "SOCIAL:x": _l("X (Twitter)"),
    "SOCIAL:instagram": _l("Instagram"),
    "SOCIAL:youtube": _l("YouTube"),
    "EVENT": _l("Event"),
    "WEBINAR": _l("Webinar"),
    "CONTENT": _l("Content"),
    "ADS": _l("Paid ads"),
    "OTHER": _l("Other"),
}
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 10_000
MAX_IMPRESSIONS = 2**31 - 1
MAX_SEND_RATE = 10_000
_FIELDS = {
    "name", "type", "status", "topic", "start_date", "end_date", "currency", "budget",
    "actual_cost", "expected_revenue", "channels", "impressions", "description",
    "segment_id", "template_id", "send_rate", "owner_id", "sms_body",
}  # fmt: skip
# Recipient rows that mean a message may have left: such a campaign keeps its results.
_SENT_STATES = (RecipientStatus.SENT, RecipientStatus.SENDING, RecipientStatus.UNKNOWN)


def channel_label(channel: str) -> str:
    return str(CHANNELS.get(channel, channel))


def has_email(campaign: Campaign) -> bool:
    """Whether the campaign sends email (its page then shows the send panel)."""
    return "EMAIL" in (campaign.channels or [])


def has_send(campaign: Campaign) -> bool:
    """Whether the campaign sends messages itself: email, or text messages (type SMS)."""
    return campaign.type is CampaignType.SMS or has_email(campaign)


def _channel_key(raw) -> str:
    text = str(raw or "").strip()
    kind, colon, network = text.partition(":")
    return f"{kind.upper()}:{network.lower()}" if colon else kind.upper()


def _check_channels(fields: dict, errors: dict) -> list[str]:
    raw = fields.get("channels") or []
    if isinstance(raw, str):
        raw = raw.split(",")
    given = {_channel_key(value) for value in raw if str(value).strip()}
    unknown = given - set(CHANNELS)
    if unknown:
        errors["channels"] = gettext(
            "Choose channels from the list: %(channels)s.", channels=", ".join(CHANNELS)
        )
    return [channel for channel in CHANNELS if channel in given]


def _check_date(fields: dict, name: str, errors: dict) -> date | None:
    raw = fields.get(name)
    if raw in (None, "") or isinstance(raw, date):
        return raw or None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[name] = gettext("Enter a date like 2026-12-31.")
        return None


def _check_whole(fields: dict, name: str, errors: dict, low: int, high: int, message: str):
    raw = fields.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        errors[name] = message
        return None
    return value


def _check_record(actor, model, entity: str, fields: dict, name: str, errors: dict, message):
    """The id of an existing `model` row `actor` may read (None when not given)."""
    raw = fields.get(name)
    if raw in (None, ""):
        return None
    try:
        record = db.session.get(model, int(raw))
    except (TypeError, ValueError):
        record = None
    if record is None or not permissions.can(actor, "read", entity, record):
        errors[name] = message
        return None
    return record.id


def _check_status(campaign: Campaign, fields: dict, errors: dict):
    status = check_enum(CampaignStatus, fields, "status", errors) or CampaignStatus.PLANNING
    was = campaign.status
    if was is CampaignStatus.COMPLETED and status not in (was, CampaignStatus.ACTIVE):
        errors["status"] = gettext(
            "A completed campaign can only be made active again, not planning or paused."
        )
    return status


def _apply(campaign: Campaign, actor, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `campaign` untouched)."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}

    def given(name: str) -> bool:
        return not partial or name in fields

    if given("name"):
        required = gettext("Name the campaign.")
        values["name"] = check_text(fields, "name", NAME_LENGTH, errors, required)
    if given("type"):
        values["type"] = check_enum(CampaignType, fields, "type", errors) or CampaignType.EMAIL
    if given("status"):
        values["status"] = _check_status(campaign, fields, errors)
    if given("topic"):
        topic = check_enum(MarketingTopic, fields, "topic", errors)
        values["topic"] = topic or MarketingTopic.NEWSLETTER
    for name in ("start_date", "end_date"):
        if given(name):
            values[name] = _check_date(fields, name, errors)
    start = values.get("start_date", campaign.start_date)
    end = values.get("end_date", campaign.end_date)
    if start and end and end < start and not {"start_date", "end_date"} & set(errors):
        errors["end_date"] = gettext("The end date cannot be before the start date.")
    if given("currency"):
        code = str(fields.get("currency") or current_app.config["DEFAULT_CURRENCY"]).strip()
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            errors["currency"] = gettext("Enter a three-letter currency code, like USD.")
        values["currency"] = code.upper()[:3]
    for name in ("budget", "actual_cost", "expected_revenue"):
        if given(name):
            amount = check_amount(fields, name, errors)
            values[name] = amount if amount is not None else Decimal("0.00")
    if "channels" in fields:
        values["channels"] = _check_channels(fields, errors)
    elif not partial:
        kind = values.get("type") or CampaignType.EMAIL
        values["channels"] = [kind.value] if kind.value in CHANNELS else []
    if given("impressions"):
        message = gettext("Enter a whole number, 0 or more.")
        values["impressions"] = (
            _check_whole(fields, "impressions", errors, 0, MAX_IMPRESSIONS, message) or 0
        )
    if given("send_rate"):
        message = gettext(
            "Enter messages per minute from 1 to %(max)d, or leave it empty for the "
            "installation's rate.",
            max=MAX_SEND_RATE,
        )
        values["send_rate"] = _check_whole(fields, "send_rate", errors, 1, MAX_SEND_RATE, message)
    if given("description"):
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    if given("sms_body"):
        values["sms_body"] = sms_campaigns.check_body(fields, errors)
    if given("segment_id"):
        values["segment_id"] = _check_record(
            actor, Segment, "segment", fields, "segment_id", errors,
            gettext("Choose a segment you may use."),
        )  # fmt: skip
    if given("template_id"):
        values["template_id"] = _check_record(
            actor, EmailTemplate, "email_template", fields, "template_id", errors,
            gettext("Choose an email template you may use."),
        )  # fmt: skip
    values["owner_id"] = check_owner(actor, "campaign", fields, errors, campaign.owner_id)
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        if getattr(campaign, name) != value:
            setattr(campaign, name, value)
    campaign.updated_by_id = actor.id


def create_campaign(actor, **fields) -> Campaign:
    """Plan a campaign (owned by `actor` unless another owner is given); RecordInvalid
    lists every bad field. Without `channels`, the type's own channel is used."""
    permissions.require(actor, "create", "campaign")
    campaign = Campaign(created_by_id=actor.id, custom={}, status=CampaignStatus.PLANNING)
    _apply(campaign, actor, fields, partial=False)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, actor, **fields) -> Campaign:
    """Change the given fields (the others stay). Any status may follow any other, except
    that a completed campaign may only become active again."""
    permissions.require(actor, "edit", "campaign", campaign)
    _apply(campaign, actor, fields, partial=True)
    db.session.flush()
    return campaign


def has_sent_email(campaign: Campaign) -> bool:
    """Whether any message of the campaign may have left (sent, or sending/unknown)."""
    query = sa.select(CampaignRecipient.id).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status.in_(_SENT_STATES)
    )
    return db.session.execute(query.limit(1)).first() is not None


def delete_campaign(campaign: Campaign, actor) -> None:
    """Delete a campaign that never sent email (its leads and deals keep existing, no longer
    attributed); refused with RecordInvalid once email went out, or while a send runs."""
    permissions.require(actor, "delete", "campaign", campaign)
    if campaign.send_state in (SendState.PREPARING, SendState.SENDING, SendState.PAUSED):
        raise RecordInvalid(
            {"campaign": gettext("This campaign's email is being sent: cancel the send first.")}
        )
    if has_sent_email(campaign):
        raise RecordInvalid(
            {
                "campaign": gettext(
                    "This campaign has sent email, so its results are kept: "
                    "mark it completed instead of deleting it."
                )
            }
        )
    db.session.delete(campaign)
    db.session.flush()
