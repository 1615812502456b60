"""Each phone number's SMS marketing state, and the one rule that says whether a marketing
text may go to it: never after an opt-out (a STOP keyword, a colleague), and only with
recorded SMS consent where marketing needs consent (RAPPORT_MARKETING_REQUIRE_CONSENT,
the same setting as email). Every change is evidence: a ConsentRecord with channel SMS
whose address (the `email` column, the channel's address) is the E.164 number, linked to
the contact or lead with that number; the sms_preferences row is audited."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import ConsentChannel, ConsentRecord
from app.models.sales import Lead
from app.models.sms import SmsDirection, SmsMessage, SmsPreference
from app.services import email_preferences
from app.services.sms import phones
from app.services.validation import RecordInvalid

SKIP_REASONS = ("no_phone", "invalid_phone", "opted_out", "no_consent")
_CHUNK = 500
_WHOLE_TABLE_ABOVE = 2000  # numbers to judge at once


def preference(phone: str | None) -> SmsPreference | None:
    return db.session.get(SmsPreference, phone) if phone else None


def _row(phone: str) -> SmsPreference:
    row = db.session.get(SmsPreference, phone)
    if row is None:
        row = SmsPreference(
            phone=phone, consent=False, consent_source="", opt_out_keyword="", opt_out_source=""
        )
        db.session.add(row)
    return row


def skip_reason(pref: SmsPreference | None, consent_required: bool | None = None) -> str:
    """'' when a marketing text may go to the number, else why not: opted_out, or
    no_consent (only when marketing needs consent)."""
    if pref is not None and pref.opted_out_at is not None:
        return "opted_out"
    if consent_required is None:
        consent_required = email_preferences.require_consent()
    if consent_required and (pref is None or not pref.consent):
        return "no_consent"
    return ""


def is_opted_out(phone: str | None) -> bool:
    """Whether the number asked for no more texts (any kind, ticket notices too)."""
    pref = preference(phone)
    return pref is not None and pref.opted_out_at is not None


def suppressed(numbers: list[str]) -> dict[str, str]:
    """The numbers of `numbers` that may not get a marketing text now, with the reason."""
    unique = set(numbers)
    required = email_preferences.require_consent()
    table = SmsPreference.__table__
    query = sa.select(table.c.phone, table.c.consent, table.c.opted_out_at)
    prefs = {}
    if len(unique) > _WHOLE_TABLE_ABOVE:
        # A campaign's audience: one streamed pass over the table beats thousands of
        # lookups (plain rows, no ORM objects).
        for row in db.session.execute(query.execution_options(yield_per=5000)):
            if row.phone in unique:
                prefs[row.phone] = row
    else:
        ordered = sorted(unique)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            prefs.update(
                (row.phone, row)
                for row in db.session.execute(query.where(table.c.phone.in_(chunk)))
            )
    found: dict[str, str] = {}
    for number in unique:
        reason = skip_reason(prefs.get(number), required)
        if reason:
            found[number] = reason
    return found


def _compact(column):
    """The column without the usual formatting characters (one SQL expression)."""
    for char in (" ", "-", "(", ")", ".", "/"):
        column = sa.func.replace(column, char, "")
    return column


def people_with_number(phone: str) -> tuple[int | None, int | None]:
    """(contact id, lead id) of whoever has this number: the person last texted at it,
    else the first contact and lead whose mobile or phone reads as it."""
    texted = db.session.execute(
        sa.select(SmsMessage.contact_id, SmsMessage.lead_id)
        .where(
            SmsMessage.to_number == phone,
            SmsMessage.direction == SmsDirection.OUT,
            sa.or_(SmsMessage.contact_id.is_not(None), SmsMessage.lead_id.is_not(None)),
        )
        .order_by(SmsMessage.id.desc())
        .limit(1)
    ).first()
    if texted is not None:
        return texted.contact_id, texted.lead_id
    # Rare (an inbound keyword from someone never texted): a scan narrowed by the last
    # digits, then an exact comparison of the normalised numbers.
    return _first_with_number(Contact, phone), _first_with_number(Lead, phone)


def _first_with_number(model, phone: str) -> int | None:
    tail = phone[-7:]
    rows = db.session.execute(
        sa.select(model.id, model.mobile, model.phone)
        .where(
            sa.or_(_compact(model.mobile).like(f"%{tail}"), _compact(model.phone).like(f"%{tail}"))
        )
        .order_by(model.id)
        .limit(50)
    )
    for row in rows:
        if phone in (phones.normalise_or_none(row.mobile), phones.normalise_or_none(row.phone)):
            return row.id
    return None


def _record(phone: str, *, granted: bool, source: str, actor, ip, detail, people) -> ConsentRecord:
    contact_id, lead_id = people if people is not None else people_with_number(phone)
    return email_preferences.consent_record(
        phone,
        granted=granted,
        source=source,
        actor=actor,
        ip=ip,
        detail=detail,
        contact_id=contact_id,
        lead_id=lead_id,
        channel=ConsentChannel.SMS,
    )


def _audit_people(record: ConsentRecord, changes: dict) -> None:
    """The change on the contact's and lead's own history too."""
    for model, person_id in ((Contact, record.contact_id), (Lead, record.lead_id)):
        person = db.session.get(model, person_id) if person_id else None
        if person is not None:
            audit.record_changed(db.session, person, changes)


def opt_out(
    phone: str, *, source: str, keyword: str = "", actor=None, ip=None, detail="", people=None
) -> ConsentRecord | None:
    """No more texts to the number (and no SMS marketing consent). Idempotent: a number
    already opted out gets no second record (None)."""
    row = _row(phone)
    if row.opted_out_at is not None and not row.consent:
        return None
    record = _record(
        phone, granted=False, source=source, actor=actor, ip=ip, detail=detail or keyword,
        people=people,
    )  # fmt: skip
    row.consent, row.consent_at, row.consent_source = False, record.at, record.source
    row.opted_out_at, row.opt_out_keyword, row.opt_out_source = record.at, keyword[:20], source
    db.session.flush()
    _audit_people(record, {"sms_opted_out": (False, True)})
    return record


def opt_in(
    phone: str, *, source: str, keyword: str = "", actor=None, ip=None, detail="", people=None
) -> ConsentRecord:
    """The number agrees to texts again (START, or consent recorded by a colleague): SMS
    consent given, any opt-out lifted."""
    row = _row(phone)
    was_out = row.opted_out_at is not None
    record = _record(
        phone, granted=True, source=source, actor=actor, ip=ip, detail=detail or keyword,
        people=people,
    )  # fmt: skip
    row.consent, row.consent_at, row.consent_source = True, record.at, record.source
    row.opted_out_at, row.opt_out_keyword, row.opt_out_source = None, "", ""
    db.session.flush()
    if was_out:
        _audit_people(record, {"sms_opted_out": (True, False)})
    return record


def record_consent_for(person, *, granted: bool, note: str, actor, ip: str | None = None):
    """A colleague records that a contact or lead agreed to (or refused) marketing texts
    at their number, with the note that is the evidence. RecordInvalid without a readable
    number or a note. A refusal is an opt-out: no texts at all any more."""
    raw = phones.raw_number_of(person)
    note = " ".join((note or "").split())
    if not raw:
        raise RecordInvalid({"note": _("This person has no mobile or phone number.")})
    try:
        phone = phones.normalise(raw)
    except phones.PhoneInvalid as invalid:
        raise RecordInvalid({"note": str(invalid)}) from None
    if not note:
        raise RecordInvalid({"note": _("Say how the consent was given or withdrawn.")})
    is_lead = isinstance(person, Lead)
    people = (None, person.id) if is_lead else (person.id, None)
    before = preference(phone)
    was = bool(before and before.consent)
    change = opt_in if granted else opt_out
    record = change(phone, source="manual", actor=actor, ip=ip, detail=note, people=people)
    if record is not None and was != granted:
        audit.record_changed(db.session, person, {"sms_consent": (was, granted)})
    return record


def consent_history(phone: str, limit: int = 100) -> list[ConsentRecord]:
    """The number's SMS consent records, newest first."""
    return list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.email == phone, ConsentRecord.channel == ConsentChannel.SMS)
            .order_by(ConsentRecord.id.desc())
            .limit(limit)
        )
    )
