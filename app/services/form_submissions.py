"""Web forms, the public side: the published form a slug names, which variant a visitor
sees (and counting that view), checking a visitor's post, and accepting it: a submission
row, a lead created or filled in, consent, a FORM_SUBMIT event, the variant's counter and
the `form_submitted` signal (sequences listen), all in the caller's transaction.

Nobody is signed in: the form is the author of what it creates, its fields decide what a
visitor may set (never an owner, a team or a status), and the lead service's own checks
and the assignment rules run as for the web-to-lead form (app.services.lead_capture).
Counters change in SQL (`views = views + 1`), never by read-modify-write.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable, Mapping

import sqlalchemy as sa
from babel import Locale
from flask_babel import gettext

from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import (
    Campaign,
    EventKind,
    FormStatus,
    FormSubmission,
    FormVariant,
    MarketingEvent,
    WebForm,
)
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import (
    attribution,
    email_preferences,
    lead_assignment,
    leads,
    marketing_signals,
    web_visitors,
)
from app.services.validation import RecordInvalid
from app.services.web_form_variants import pick

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
URL_LENGTH = 1000
TEXT_LENGTH = 1000
LONG_TEXT_LENGTH = 5000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+(?:\s*(?:ext\.?|x|#)\s*[0-9]+)?$", re.IGNORECASE)
_PSEUDO_TERRITORIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "XK", "ZZ"}
_TRUE = ("1", "true", "y", "yes", "on")


@dataclasses.dataclass(frozen=True)
class WebFormAuthor:
    """The author of what a web form creates: no user, so no creator and no owner."""

    id: None = None
    team_id: None = None


AUTHOR = WebFormAuthor()


@dataclasses.dataclass(frozen=True)
class Visit:
    """Where a post came from: the landing page's hidden inputs, cleaned."""

    utm: dict
    referrer: str = ""
    page_url: str = ""
    visitor_id: str = ""
    campaign: str = ""
    ip: str | None = None

    @classmethod
    def from_values(cls, values: Mapping, ip: str | None = None) -> Visit:
        return cls(
            utm={key: attribution.clean(values.get(key)) for key in UTM_KEYS},
            referrer=_url(values.get("referrer")),
            page_url=_url(values.get("page_url")),
            visitor_id=web_visitors.valid_visitor_id(values.get("vid")) or "",
            campaign=str(values.get("campaign") or "").strip()[:20],
            ip=(ip or None) and str(ip)[:45],
        )


def _url(value) -> str:
    text = str(value or "").strip()
    return text[:URL_LENGTH] if text.lower().startswith(("http://", "https://")) else ""


def published_form(slug: str) -> WebForm | None:
    """The published form at /f/<slug>; drafts and archived forms are not public."""
    return db.session.scalar(
        sa.select(WebForm).where(WebForm.slug == slug, WebForm.status == FormStatus.PUBLISHED)
    )


def _variants(form: WebForm) -> list[FormVariant]:
    query = sa.select(FormVariant).where(FormVariant.form_id == form.id)
    return list(db.session.scalars(query.order_by(FormVariant.id)))


def choose_variant(
    form: WebForm, sticky: str | None = None, draw: Callable[[], float] = random.random
) -> FormVariant | None:
    """The variant this visitor sees: the one their cookie names while it still shows,
    else a draw by weight (`draw` is injectable so tests are deterministic)."""
    variants = _variants(form)
    for variant in variants:
        if str(variant.id) == (sticky or "") and variant.is_active and variant.weight > 0:
            return variant
    return pick(variants, draw())


def variant_of(form: WebForm, raw) -> FormVariant | None:
    """The form's variant a post names (any of its own, even one deactivated since)."""
    raw = str(raw or "").strip()
    if not raw.isdigit() or len(raw) > 12:
        return None
    variant = db.session.get(FormVariant, int(raw))
    return variant if variant is not None and variant.form_id == form.id else None


def count_view(variant: FormVariant) -> None:
    """One more view of `variant`, in one UPDATE (concurrent views all count)."""
    db.session.execute(
        sa.update(FormVariant)
        .where(FormVariant.id == variant.id)
        .values(views=FormVariant.views + 1)
        .execution_options(synchronize_session=False)
    )


def _count_submission(variant_id: int) -> None:
    db.session.execute(
        sa.update(FormVariant)
        .where(FormVariant.id == variant_id)
        .values(submissions=FormVariant.submissions + 1)
        .execution_options(synchronize_session=False)
    )


def countries(locale: str) -> list[tuple[str, str]]:
    """(code, name) of the countries, by name in `locale`, for a country field."""
    names = Locale.parse(locale).territories
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in _PSEUDO_TERRITORIES]
    return sorted(((code, names[code]) for code in codes), key=lambda pair: pair[1])


def _country_codes() -> set[str]:
    return {code for code, _name in countries("en")}


def _check_value(field: dict, raw, errors: dict):
    key, kind = field["key"], field["type"]
    if kind == "checkbox":
        ticked = raw is True or str(raw or "").strip().lower() in _TRUE
        if field["required"] and not ticked:
            errors[key] = gettext("Tick this box to continue.")
        return ticked
    text = str(raw or "").strip()
    if kind != "textarea":
        text = " ".join(text.split())
    limit = LONG_TEXT_LENGTH if kind == "textarea" else TEXT_LENGTH
    if not text:
        if field["required"]:
            errors[key] = gettext("This field is required.")
    elif len(text) > limit:
        errors[key] = gettext("Use at most %(max)d characters.", max=limit)
    elif kind == "email" and (len(text) > 254 or not _EMAIL.match(text)):
        errors[key] = gettext("Enter a valid email address, like name@example.com.")
    elif kind == "phone" and (len(text) > 50 or not _PHONE.match(text)):
        errors[key] = gettext("Enter a phone number with digits, like +886 2 1234 5678.")
    elif kind == "select" and text not in field["choices"]:
        errors[key] = gettext("Choose one of the options.")
    elif kind == "country":
        text = text.upper()
        if text not in _country_codes():
            errors[key] = gettext("Choose a country from the list.")
    return text


def check_values(form: WebForm, data: Mapping) -> tuple[dict, dict]:
    """The visitor's values by field key, and {field key: message} for each bad one."""
    errors: dict[str, str] = {}
    values = {field["key"]: _check_value(field, data.get(field["key"]), errors)
              for field in form.fields or []}  # fmt: skip
    mapped = {field["maps_to"]: values[field["key"]] for field in form.fields or []}
    if not any(mapped.get(name) for name in ("email", "phone", "mobile")):
        contact_keys = [f["key"] for f in form.fields or [] if f["maps_to"] in ("email", "phone")]
        if contact_keys and not any(key in errors for key in contact_keys):
            errors[contact_keys[0]] = gettext(
                "Enter an email address or a phone number so we can reply."
            )
    return values, errors


def _lead_values(form: WebForm, values: dict) -> tuple[dict, dict]:
    """({lead field: value}, {custom key: value}) of the mapped, non-empty values."""
    fields, custom = {}, {}
    for field in form.fields or []:
        target, value = field["maps_to"], values.get(field["key"])
        if not target or value in (None, "", False):
            continue
        if target.startswith("custom."):
            custom[target.removeprefix("custom.")] = value
        else:
            fields[target] = value
    return fields, custom


def _existing_lead(email: str) -> Lead | None:
    """The newest unconverted lead with this address."""
    query = sa.select(Lead).where(
        sa.func.lower(Lead.email) == email.lower(), Lead.status != LeadStatus.CONVERTED
    )
    return db.session.scalars(query.order_by(Lead.id.desc()).limit(1)).first()


def _contact_id(email: str) -> int | None:
    query = sa.select(Contact.id).where(sa.func.lower(Contact.email) == email.lower())
    return db.session.scalar(query.order_by(Contact.id.desc()).limit(1))


def _campaign_id(form: WebForm, visit: Visit) -> int | None:
    """The form's campaign, else the one the post's `campaign` id or utm_campaign names."""
    if form.campaign_id:
        return form.campaign_id
    if visit.campaign.isdigit() and len(visit.campaign) < 12:
        found = db.session.scalar(sa.select(Campaign.id).where(Campaign.id == int(visit.campaign)))
        if found is not None:
            return found
    return attribution.campaign_for(visit.utm.get("utm_campaign", ""))


def _fill_lead(lead: Lead, fields: dict, custom: dict, campaign_id, visit: Visit) -> None:
    """Fill the lead's empty fields only: what someone typed or imported stays."""
    empty = {name: value for name, value in fields.items() if getattr(lead, name) in (None, "")}
    have = lead.custom or {}
    blanks = {key: value for key, value in custom.items() if have.get(key) in (None, "")}
    if blanks:
        empty["custom"] = blanks
    if empty:
        leads.apply_fields(lead, AUTHOR, empty, partial=True)
    for name in attribution.UTM_FIELDS:
        if not getattr(lead, name) and visit.utm.get(name):
            setattr(lead, name, visit.utm[name])
    if lead.campaign_id is None and campaign_id is not None:
        lead.campaign_id = campaign_id


def _new_lead(form: WebForm, fields: dict, custom: dict, campaign_id, visit: Visit) -> Lead:
    given = dict(fields, source=LeadSource.WEB_FORM, source_detail=form.name[:200], custom=custom)
    lead = Lead(custom={}, status=LeadStatus.NEW)
    leads.apply_fields(lead, AUTHOR, given, partial=False)
    attribution.attribute(lead, {"campaign": visit.campaign, **visit.utm})
    lead.campaign_id = campaign_id
    db.session.add(lead)
    lead_assignment.assign(lead)
    db.session.flush()
    marketing_signals.emit("lead_created", lead=lead)
    return lead


def _field_errors(form: WebForm, errors: dict) -> dict:
    """The lead service's messages moved onto the form fields they came from."""
    by_target = {field["maps_to"]: field["key"] for field in form.fields or [] if field["maps_to"]}
    moved: dict[str, str] = {}
    for name, message in errors.items():
        moved.setdefault(by_target.get(name, "form"), message)
    return moved


def submit(
    form: WebForm, data: Mapping, visit: Visit, variant: FormVariant | None = None
) -> FormSubmission:
    """Accept a visitor's post of `form`, or raise RecordInvalid({field key or "form":
    message}) having changed nothing (the caller rolls back)."""
    values, errors = check_values(form, data)
    if errors:
        raise RecordInvalid(errors)
    fields, custom = _lead_values(form, values)
    email = str(fields.get("email") or "")
    campaign_id = _campaign_id(form, visit)
    lead = _existing_lead(email) if email else None
    try:
        if lead is not None:
            _fill_lead(lead, fields, custom, campaign_id, visit)
        else:
            lead = _new_lead(form, fields, custom, campaign_id, visit)
    except RecordInvalid as invalid:
        raise RecordInvalid(_field_errors(form, invalid.errors)) from None
    contact_id = _contact_id(email) if email else None
    consented = bool(form.consent_text) and str(data.get("consent") or "").lower() in _TRUE
    submission = FormSubmission(
        form_id=form.id,
        variant_id=variant.id if variant is not None else None,
        lead_id=lead.id,
        contact_id=contact_id,
        data=values | ({"consent": consented} if form.consent_text else {}),
        referrer=visit.referrer,
        page_url=visit.page_url,
        visitor_id=visit.visitor_id,
        ip=visit.ip,
        **visit.utm,
    )
    db.session.add(submission)
    db.session.flush()
    if consented and email:
        email_preferences.grant_consent(
            email, source="form", ip=visit.ip, detail=form.name,
            contact_id=contact_id, lead_id=lead.id,
        )  # fmt: skip
    detail = {key: value for key, value in visit.utm.items() if value}
    detail |= {"form_id": form.id, "submission_id": submission.id}
    if visit.referrer:
        detail["referrer"] = visit.referrer
    db.session.add(
        MarketingEvent(
            kind=EventKind.FORM_SUBMIT,
            lead_id=lead.id,
            contact_id=contact_id,
            campaign_id=campaign_id,
            visitor_id=visit.visitor_id,
            url=visit.page_url,
            detail=detail,
        )
    )
    if variant is not None:
        _count_submission(variant.id)
    db.session.flush()
    contact = db.session.get(Contact, contact_id) if contact_id else None
    marketing_signals.emit("form_submitted", submission=submission, lead=lead, contact=contact)
    if visit.visitor_id:
        web_visitors.identify(visit.visitor_id, contact_id=contact_id, lead_id=lead.id)
    return submission
