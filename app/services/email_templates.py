"""Marketing email templates: create, change, duplicate and delete them, render one for a
recipient, preview it with a real contact or lead, and list them (keyset-paged).

A template holds a subject, a sender name, an HTML body and a plain-text body, in English
and (optionally, part by part) in Traditional Chinese. The parts hold merge fields
(app.services.merge_fields), which are substituted by a bounded regular expression: the
text a user writes is never compiled by a template engine. The HTML body is sanitised with
nh3 on every save (app.services.email_html), with an allowlist fit for email.

Everyone in marketing and management keeps templates; sales reps read them; support has
no access (permission "email_template").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.marketing import Campaign, EmailTemplate, SendState
from app.models.sales import Lead
from app.services import history, merge_fields
from app.services.email_html import html_to_text, sanitise_html
from app.services.record_checks import check_text
from app.services.record_lists import MAX_QUERY_LENGTH, KeysetSort, keyset_page
from app.services.search import contains_pattern
from app.services.validation import RecordInvalid

history.register_record_type("email_templates", EmailTemplate, "email_template")

NAME_LENGTH = 120
SENDER_LENGTH = 120
SUBJECT_LENGTH = 255
BODY_LENGTH = merge_fields.MAX_TEMPLATE_CHARS

# Each part of a template, in its two languages: (English field, Chinese field).
PARTS = {
    "sender_name": "sender_name_zh",
    "subject": "subject_zh",
    "html_body": "html_body_zh",
    "text_body": "text_body_zh",
}
_TEMPLATE_FIELDS = {"name", *PARTS, *PARTS.values()}
FIELD_LABELS = {
    "name": _l("Name"),
    "sender_name": _l("Sender name"),
    "subject": _l("Subject"),
    "html_body": _l("HTML body"),
    "text_body": _l("Plain-text body"),
}
LANGUAGE_LABELS = {"en": _l("English"), "zh_Hant": _l("Traditional Chinese")}


# --- Rendering -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RenderedEmail:
    """One email made from a template for one recipient; `html` is "" when the template
    has no HTML body (send the text alone then)."""

    subject: str
    sender_name: str
    html: str
    text: str


def wants_chinese(locale: str | None) -> bool:
    return bool(locale) and str(locale).lower().startswith("zh")


def part(template: EmailTemplate, name: str, locale: str | None) -> str:
    """One part of `template` in `locale`: the Chinese version when wanted and written,
    else the default-language one."""
    if wants_chinese(locale):
        chinese = getattr(template, PARTS[name]) or ""
        if chinese.strip():
            return chinese
    return getattr(template, name) or ""


def render(template: EmailTemplate, locale: str, values: Mapping[str, str]) -> RenderedEmail:
    """`template` in `locale` (each part falling back to English on its own) with its merge
    fields replaced by `values`, inserted literally (HTML-escaped in the HTML body). When
    the text body is empty it is derived from the HTML one."""
    subject = merge_fields.substitute(part(template, "subject", locale), values)
    sender = merge_fields.substitute(part(template, "sender_name", locale), values)
    html_source = part(template, "html_body", locale)
    html = merge_fields.substitute(html_source, values, html_part=True) if html_source else ""
    text_source = part(template, "text_body", locale)
    if text_source.strip():
        text = merge_fields.substitute(text_source, values)
    else:
        text = html_to_text(html)
    # A subject or sender is one line, whatever the merged values hold.
    return RenderedEmail(
        subject=" ".join(subject.split()),
        sender_name=" ".join(sender.split()),
        html=html,
        text=text,
    )


def person_values_for(person) -> dict[str, str]:
    """The contact.* and company.* merge values of a Contact or a Lead."""
    if isinstance(person, Contact):
        company = ""
        if person.customer_id is not None:
            company = (
                db.session.scalar(sa.select(Customer.name).where(Customer.id == person.customer_id))
                or ""
            )
        return merge_fields.person_values(
            first_name=person.first_name or "",
            last_name=person.last_name or "",
            full_name=person.full_name,
            email=person.email or "",
            title=person.title or "",
            company=company,
        )
    if isinstance(person, Lead):
        return merge_fields.person_values(
            first_name=person.first_name or "",
            last_name=person.last_name or "",
            full_name=str(person),
            email=person.email or "",
            title=person.title or "",
            company=person.company or "",
        )
    raise TypeError(f"not a contact or lead: {person!r}")


def preview(template: EmailTemplate, locale: str, person, actor=None) -> RenderedEmail:
    """`template` as `person` (a Contact or a Lead, or None for empty values) would get it,
    with placeholder links; the sender's name is the template's or else `actor`'s."""
    values = person_values_for(person) if person is not None else merge_fields.person_values()
    values.update(
        {
            "sender.name": part(template, "sender_name", locale).strip()
            or (getattr(actor, "name", "") or ""),
            "campaign.name": gettext("(campaign)"),
            "unsubscribe_url": "#",
            "preferences_url": "#",
        }
    )
    return render(template, locale, values)


# --- Changing templates ----------------------------------------------------------------


def _language_label(field: str) -> str:
    return str(LANGUAGE_LABELS["zh_Hant" if field.endswith("_zh") else "en"])


def _apply_template(template: EmailTemplate, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `template` untouched)."""
    unknown = set(fields) - _TEMPLATE_FIELDS
    if unknown:
        raise TypeError(f"unknown email template fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    given = lambda name: not partial or name in fields  # noqa: E731
    if given("name"):
        message = gettext("Enter a name for the template.")
        values["name"] = check_text(fields, "name", NAME_LENGTH, errors, message)
    for english, chinese in PARTS.items():
        for field in (english, chinese):
            if not given(field):
                continue
            raw = fields.get(field)
            raw = "" if raw is None else str(raw)
            label = f"{FIELD_LABELS[english]} ({_language_label(field)})"
            if english in ("sender_name", "subject"):
                limit = SENDER_LENGTH if english == "sender_name" else SUBJECT_LENGTH
                required = gettext("Enter the subject.") if field == "subject" else None
                value = check_text(fields, field, limit, errors, required)
            else:
                value = raw.replace("\r\n", "\n").strip()
                if len(value) > BODY_LENGTH:
                    errors[field] = gettext("Use at most %(max)d characters.", max=BODY_LENGTH)
            if field in errors:
                continue
            found = merge_fields.problems(value)
            if english == "html_body" and not found:
                value, found = sanitise_html(value)
            if found:
                errors[field] = gettext(
                    "%(part)s: %(problems)s", part=label, problems=" ".join(found)
                )
                continue
            values[field] = value
    if not partial or {"html_body", "text_body"} & set(fields):
        html_body = values.get("html_body", template.html_body or "")
        text_body = values.get("text_body", template.text_body or "")
        if (
            not html_body.strip()
            and not text_body.strip()
            and not ({"html_body", "text_body"} & set(errors))
        ):
            errors["html_body"] = gettext("Write the email: an HTML body, a text body or both.")
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        if getattr(template, name) != value:
            setattr(template, name, value)


def create_template(actor, **fields) -> EmailTemplate:
    """A new template owned by `actor`; RecordInvalid lists every bad field."""
    permissions.require(actor, "create", "email_template")
    template = EmailTemplate(owner_id=actor.id, created_by_id=actor.id, updated_by_id=actor.id)
    for name in _TEMPLATE_FIELDS:
        setattr(template, name, "")
    _apply_template(template, fields, partial=False)
    db.session.add(template)
    db.session.flush()
    return template


def update_template(template: EmailTemplate, actor, **fields) -> EmailTemplate:
    """Change the given fields of `template` (the others stay as they are)."""
    permissions.require(actor, "edit", "email_template", template)
    _apply_template(template, fields, partial=True)
    template.updated_by_id = actor.id
    db.session.flush()
    return template


def duplicate_template(template: EmailTemplate, actor) -> EmailTemplate:
    """A copy of `template` owned by `actor`, named "Copy of ..." ."""
    permissions.require(actor, "read", "email_template", template)
    permissions.require(actor, "create", "email_template")
    copy = EmailTemplate(owner_id=actor.id, created_by_id=actor.id, updated_by_id=actor.id)
    for name in _TEMPLATE_FIELDS:
        setattr(copy, name, getattr(template, name) or "")
    copy.name = gettext("Copy of %(name)s", name=template.name)[:NAME_LENGTH]
    db.session.add(copy)
    db.session.flush()
    return copy


_BUSY_SENDS = (SendState.PREPARING, SendState.SENDING, SendState.PAUSED)


def campaigns_using(template: EmailTemplate) -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign).where(Campaign.template_id == template.id).order_by(Campaign.id)
        )
    )


def delete_template(template: EmailTemplate, actor) -> None:
    """Delete `template`; refused (RecordInvalid) while a campaign using it is being sent.
    Campaigns that used it keep their results and lose the link."""
    permissions.require(actor, "delete", "email_template", template)
    busy = [c for c in campaigns_using(template) if c.send_state in _BUSY_SENDS]
    if busy:
        raise RecordInvalid(
            {
                "template": gettext(
                    "The campaign %(name)s is sending this template; delete it once the "
                    "send is over.",
                    name=busy[0].name,
                )
            }
        )
    db.session.delete(template)
    db.session.flush()


# --- Lists -----------------------------------------------------------------------------

SORTS = {
    "name": KeysetSort(EmailTemplate.name, lambda t: t.name),
    "updated_at": KeysetSort(EmailTemplate.updated_at, lambda t: t.updated_at, is_time=True),
}


@dataclasses.dataclass
class TemplateFilters:
    """What the template list shows: a search and an allowlisted sort."""

    q: str = ""
    sort: str = "updated_at"
    direction: str = "desc"

    @classmethod
    def from_args(cls, args) -> TemplateFilters:
        sort = args.get("sort") if args.get("sort") in SORTS else "updated_at"
        default_direction = "desc" if sort == "updated_at" else "asc"
        direction = args.get("direction")
        return cls(
            q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
            sort=sort,
            direction=direction if direction in ("asc", "desc") else default_direction,
        )

    def as_args(self) -> dict:
        args = {
            "q": self.q,
            "sort": self.sort if self.sort != "updated_at" else "",
            "direction": self.direction if self.direction != "desc" else "",
        }
        return {key: value for key, value in args.items() if value}


def templates_query(actor, filters: TemplateFilters) -> sa.Select:
    """The templates `actor` may read matching `filters`, sorted by the sort column then id."""
    query = sa.select(EmailTemplate).where(
        permissions.visible(actor, "email_template", EmailTemplate.owner_id)
    )
    for word in filters.q.split()[:5]:
        pattern = contains_pattern(word)
        query = query.where(
            sa.or_(
                EmailTemplate.name.ilike(pattern, escape="\\"),
                EmailTemplate.subject.ilike(pattern, escape="\\"),
            )
        )
    return SORTS[filters.sort].order(query, EmailTemplate.id, filters.direction)


def template_page(actor, filters: TemplateFilters, cursor: str | None = None, limit: int = 50):
    """One page of templates after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        templates_query(actor, filters),
        SORTS[filters.sort],
        EmailTemplate.id,
        filters.direction,
        cursor,
        limit,
    )


def template_choices(actor, limit: int = 500) -> list[EmailTemplate]:
    """The templates `actor` may read, by name (for a campaign's template select)."""
    return list(
        db.session.scalars(
            sa.select(EmailTemplate)
            .where(permissions.visible(actor, "email_template", EmailTemplate.owner_id))
            .order_by(EmailTemplate.name, EmailTemplate.id)
            .limit(limit)
        )
    )


# --- Preview people --------------------------------------------------------------------

PREVIEW_KINDS = ("contact", "lead")


def preview_people(actor, q: str = "", limit: int = 10) -> list[tuple[str, str]]:
    """Contacts and leads `actor` may read to preview a template with, as ("contact:12",
    "Mei Chen <mei@example.com>") pairs: those matching every word of `q` in their name,
    email or company, else the most recently changed ones."""
    words = " ".join(q.split())[:MAX_QUERY_LENGTH].split()[:5]
    found: list[tuple[str, str]] = []
    for kind, model, company in (
        ("contact", Contact, None),
        ("lead", Lead, Lead.company),
    ):
        if not permissions.can(actor, "read", kind):
            continue
        query = sa.select(model).where(permissions.visible(actor, kind, model.owner_id))
        for word in words:
            pattern = contains_pattern(word)
            columns = [model.first_name, model.last_name, model.email]
            if company is not None:
                columns.append(company)
            query = query.where(sa.or_(*(c.ilike(pattern, escape="\\") for c in columns)))
        query = query.order_by(model.updated_at.desc(), model.id.desc()).limit(limit)
        for person in db.session.scalars(query):
            label = person.full_name + (f" <{person.email}>" if person.email else "")
            prefix = gettext("Contact") if kind == "contact" else gettext("Lead")
            found.append((f"{kind}:{person.id}", f"{prefix}: {label}"))
    return found


def preview_person(actor, kind: str | None, person_id) -> Contact | Lead | None:
    """The contact or lead `actor` may read to preview with; None when there is none."""
    model = {"contact": Contact, "lead": Lead}.get(kind or "")
    try:
        record = db.session.get(model, int(person_id)) if model is not None else None
    except (TypeError, ValueError):
        return None
    if record is None or not permissions.can(actor, "read", kind, record):
        return None
    return record


def parse_person_key(key: str | None) -> tuple[str | None, int | None]:
    """("contact", 12) from "contact:12"; (None, None) for anything else."""
    kind, _, number = (key or "").partition(":")
    if kind not in PREVIEW_KINDS or not number.isdigit():
        return None, None
    return kind, int(number)
