"""Each address's marketing state: consent (with its evidence, ConsentRecord), a global
unsubscribe, bounces, the topics opted out of and the language wanted; and the one rule,
in Python and as SQL, that says whether a marketing email may go to an address.

Bounces: a hard bounce marks the address at once. Soft bounces only count, but
SOFT_BOUNCE_LIMIT soft bounces (3) are treated as a hard bounce, since a mailbox that is
"full" or "temporarily unavailable" for three campaigns in a row is as good as gone."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from app import audit
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.marketing import (
    CampaignRecipient,
    ConsentChannel,
    ConsentRecord,
    EmailPreference,
    EventKind,
    MarketingEvent,
    MarketingTopic,
)
from app.models.sales import Lead
from app.services import marketing_signals
from app.services.validation import RecordInvalid

SOFT_BOUNCE_LIMIT = 3
LOCALES = ("en", "zh_Hant")
SKIP_REASONS = ("bounced", "unsubscribed", "no_consent", "topic")


def normalise(email: str | None) -> str:
    return (email or "").strip().lower()


def require_consent() -> bool:
    return bool(current_app.config.get("RAPPORT_MARKETING_REQUIRE_CONSENT", True))


def preference(email: str) -> EmailPreference | None:
    address = normalise(email)
    if not address:
        return None
    return db.session.get(EmailPreference, address)


def _preference_row(email: str) -> EmailPreference:
    """The address's row, created (and added to the session) when it has none yet."""
    address = normalise(email)
    row = db.session.get(EmailPreference, address)
    if row is None:
        row = EmailPreference(
            email=address, consent=False, consent_source="", bounce_count=0, bounce_reason=""
        )
        row.topics_opted_out = []
        row.locale = ""
        db.session.add(row)
    return row


def skip_reason(pref: EmailPreference | None, topic: MarketingTopic | None) -> str:
    """'' when a marketing email on `topic` may go to the address, else why not:
    bounced, unsubscribed, no_consent (only when consent is required) or topic."""
    if pref is not None and pref.bounced_at is not None:
        return "bounced"
    if pref is not None and pref.unsubscribed_at is not None:
        return "unsubscribed"
    if require_consent() and (pref is None or not pref.consent):
        return "no_consent"
    if pref is not None and topic is not None and topic.value in (pref.topics_opted_out or []):
        return "topic"
    return ""


def skip_reason_sql(email_column, topic: MarketingTopic | None):
    """skip_reason() as one SQL CASE over `email_column` (already lower-cased), using a
    correlated lookup of the address's EmailPreference row; '' when sendable."""
    pref = aliased(EmailPreference)

    def lookup(column):
        return sa.select(column).where(pref.email == email_column).scalar_subquery()

    whens = [
        (lookup(pref.bounced_at).is_not(None), sa.literal("bounced")),
        (lookup(pref.unsubscribed_at).is_not(None), sa.literal("unsubscribed")),
    ]
    if require_consent():
        consented = sa.exists().where(pref.email == email_column, pref.consent.is_(True))
        whens.append((~consented, sa.literal("no_consent")))
    if topic is not None:
        opted_out = sa.exists().where(
            pref.email == email_column,
            sa.cast(pref.topics_opted_out, sa.Text).like(f'%"{topic.value}"%'),
        )
        whens.append((opted_out, sa.literal("topic")))
    return sa.case(*whens, else_=sa.literal(""))


def _people(address: str) -> tuple[int | None, int | None]:
    """The contact and lead (lowest id) with this address, when there are any."""
    contact_id = db.session.scalar(
        sa.select(sa.func.min(Contact.id)).where(sa.func.lower(Contact.email) == address)
    )
    lead_id = db.session.scalar(
        sa.select(sa.func.min(Lead.id)).where(sa.func.lower(Lead.email) == address)
    )
    return contact_id, lead_id


def consent_record(
    address: str,
    *,
    granted: bool,
    source: str,
    actor=None,
    ip: str | None = None,
    detail: str = "",
    contact_id: int | None = None,
    lead_id: int | None = None,
    channel: ConsentChannel = ConsentChannel.EMAIL,
) -> ConsentRecord:
    """One piece of consent evidence (added to the session) for an email address, or for a
    phone number on the SMS channel (kept in the same column); an email address without
    people given is matched to its contact and lead."""
    if channel is ConsentChannel.EMAIL and contact_id is None and lead_id is None:
        contact_id, lead_id = _people(address)
    record = ConsentRecord(
        email=address,
        contact_id=contact_id,
        lead_id=lead_id,
        channel=channel,
        granted=granted,
        source=source[:40],
        detail=(detail or "")[:500],
        ip=(ip or None) and ip[:45],
        actor_id=getattr(actor, "id", actor if isinstance(actor, int) else None),
        at=utcnow(),
    )
    db.session.add(record)
    return record


def grant_consent(
    email: str,
    *,
    source: str,
    actor=None,
    ip: str | None = None,
    detail: str = "",
    contact_id: int | None = None,
    lead_id: int | None = None,
) -> ConsentRecord:
    """Record that the address agreed to marketing email; also lifts a global unsubscribe
    (consent given again is a new decision)."""
    address = normalise(email)
    record = consent_record(
        address,
        granted=True,
        source=source,
        actor=actor,
        ip=ip,
        detail=detail,
        contact_id=contact_id,
        lead_id=lead_id,
    )
    row = _preference_row(address)
    row.consent, row.consent_at, row.consent_source = True, record.at, record.source
    row.unsubscribed_at = None
    db.session.flush()
    return record


def withdraw_consent(
    email: str,
    *,
    source: str,
    actor=None,
    ip: str | None = None,
    detail: str = "",
    contact_id: int | None = None,
    lead_id: int | None = None,
) -> ConsentRecord:
    """Record that the address no longer agrees to marketing email."""
    address = normalise(email)
    record = consent_record(
        address,
        granted=False,
        source=source,
        actor=actor,
        ip=ip,
        detail=detail,
        contact_id=contact_id,
        lead_id=lead_id,
    )
    row = _preference_row(address)
    row.consent, row.consent_at, row.consent_source = False, record.at, record.source
    db.session.flush()
    return record


def _event(
    kind: EventKind, address: str, recipient: CampaignRecipient | None, record=None, **detail
) -> MarketingEvent | None:
    """The event on the person's timeline: the recipient row's contact or lead, else the
    consent record's, else whoever has the address."""
    if recipient is not None:
        contact_id, lead_id = recipient.contact_id, recipient.lead_id
    elif record is not None:
        contact_id, lead_id = record.contact_id, record.lead_id
    else:
        contact_id, lead_id = _people(address)
    if contact_id is None and lead_id is None:
        return None
    event = MarketingEvent(
        kind=kind,
        contact_id=contact_id,
        lead_id=lead_id,
        campaign_id=recipient.campaign_id if recipient else None,
        url="",
        visitor_id="",
        detail={key: value for key, value in detail.items() if value not in ("", None)},
    )
    db.session.add(event)
    return event


def unsubscribe(
    email: str,
    *,
    source: str,
    ip: str | None = None,
    recipient: CampaignRecipient | None = None,
    actor=None,
) -> ConsentRecord | None:
    """A global unsubscribe: withdraws marketing consent and marks the address (and the
    campaign recipient row the link came from) unsubscribed. Idempotent: an address
    already unsubscribed gets no second record (None is returned)."""
    address = normalise(email)
    row = preference(address)
    newly_marked = recipient is not None and recipient.unsubscribed_at is None
    if row is not None and row.unsubscribed_at is not None and not row.consent:
        if newly_marked:
            recipient.unsubscribed_at = utcnow()
            _event(EventKind.UNSUBSCRIBE, address, recipient, source=source)
        db.session.flush()
        return None
    record = withdraw_consent(
        address,
        source=source,
        ip=ip,
        actor=actor,
        contact_id=recipient.contact_id if recipient else None,
        lead_id=recipient.lead_id if recipient else None,
    )
    row = _preference_row(address)
    row.unsubscribed_at = record.at
    if newly_marked:
        recipient.unsubscribed_at = record.at
    _event(EventKind.UNSUBSCRIBE, address, recipient, record, source=source)
    db.session.flush()
    marketing_signals.emit("unsubscribed", email=address)
    return record


def record_bounce(
    email: str,
    reason: str,
    *,
    hard: bool = True,
    source: str,
    recipient: CampaignRecipient | None = None,
) -> EmailPreference:
    """Count a bounce of the address; a hard one (or the SOFT_BOUNCE_LIMIT-th) stops all
    further marketing email to it."""
    address = normalise(email)
    row = _preference_row(address)
    row.bounce_count = (row.bounce_count or 0) + 1
    row.bounce_reason = (reason or "")[:500]
    now = utcnow()
    newly_bounced = (hard or row.bounce_count >= SOFT_BOUNCE_LIMIT) and row.bounced_at is None
    if newly_bounced:
        row.bounced_at = now
    if recipient is not None and recipient.bounced_at is None:
        recipient.bounced_at = now
    _event(EventKind.BOUNCE, address, recipient, reason=reason[:200], hard=hard, source=source)
    db.session.flush()
    if newly_bounced:
        marketing_signals.emit("bounced", email=address)
    return row


def set_topics(
    email: str,
    opted_out: Iterable[MarketingTopic],
    *,
    source: str,
    actor=None,
    ip: str | None = None,
) -> EmailPreference:
    """Replace the topics the address does not want."""
    row = _preference_row(email)
    row.topics_opted_out = sorted({topic.value for topic in opted_out})
    db.session.flush()
    return row


def set_locale(email: str, locale: str) -> EmailPreference:
    """The language marketing email to this address is written in ('' = the default)."""
    row = _preference_row(email)
    row.locale = locale if locale in LOCALES else ""
    db.session.flush()
    return row


def apply_preferences(
    email: str,
    *,
    subscribed: bool,
    opted_out: Iterable[MarketingTopic],
    locale: str,
    ip: str | None = None,
) -> EmailPreference:
    """What the recipient chose on the preferences page. Subscribing again from there is a
    new consent grant (source "preferences"); unsubscribing is a global unsubscribe."""
    row = preference(email)
    currently = row is not None and row.consent and row.unsubscribed_at is None
    if subscribed and not currently:
        grant_consent(email, source="preferences", ip=ip)
    elif not subscribed and (row is None or row.unsubscribed_at is None):
        unsubscribe(email, source="preferences", ip=ip)
    set_topics(email, opted_out, source="preferences", ip=ip)
    return set_locale(email, locale)


def masked(email: str) -> str:
    """The address with most of its local part hidden: m***@example.com."""
    local, _at, domain = normalise(email).partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


# -- staff: a contact's or lead's marketing state ---------------------------------------


def _person_ids(person) -> dict:
    is_lead = isinstance(person, Lead)
    return {"contact_id": None if is_lead else person.id, "lead_id": person.id if is_lead else None}


def record_consent_for(person, *, granted: bool, note: str, actor, ip: str | None = None):
    """A colleague records that a contact or lead gave (or withdrew) consent, with the
    note that is the evidence ("signed form at the trade fair"); also on the record's
    history. RecordInvalid without an address or a note."""
    address, note = normalise(person.email), " ".join((note or "").split())
    if not address:
        raise RecordInvalid({"note": _("This person has no email address.")})
    if not note:
        raise RecordInvalid({"note": _("Say how the consent was given or withdrawn.")})
    before = preference(address)
    was = bool(before and before.consent)
    change = grant_consent if granted else withdraw_consent
    record = change(
        address, source="manual", actor=actor, ip=ip, detail=note, **_person_ids(person)
    )
    audit.record_changed(db.session, person, {"marketing_consent": (was, granted)})
    return record


def set_topics_for(person, opted_out: Iterable[MarketingTopic], *, actor) -> EmailPreference:
    """A colleague changes the topics a contact or lead does not want; audited."""
    before = sorted((preference(person.email) or EmailPreference()).topics_opted_out or [])
    row = set_topics(person.email, opted_out, source="manual", actor=actor)
    if before != row.topics_opted_out:
        audit.record_changed(
            db.session, person, {"marketing_topics_opted_out": (before, row.topics_opted_out)}
        )
    return row


def consent_history(email: str) -> list[ConsentRecord]:
    """The address's consent records, newest first."""
    return list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.email == normalise(email))
            .order_by(ConsentRecord.id.desc())
            .limit(200)
        )
    )


def latest_events(person, limit: int = 20) -> list[MarketingEvent]:
    column = MarketingEvent.lead_id if isinstance(person, Lead) else MarketingEvent.contact_id
    return list(
        db.session.scalars(
            sa.select(MarketingEvent)
            .where(column == person.id)
            .order_by(MarketingEvent.occurred_at.desc(), MarketingEvent.id.desc())
            .limit(limit)
        )
    )
