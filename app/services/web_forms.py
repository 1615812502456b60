"""Web forms, the designer's side: create, change and delete forms with their fields (each
mapped to a lead field, a lead custom field, or kept only in the submission), their
landing page texts and their A/B variants; the form list with each form's figures, and
the A/B results. What a visitor's post does is app.services.form_submissions.

A form must ask for the last name and for an email address or a phone number, because a
lead cannot exist without them; the designer says so before anything is published.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.marketing import Campaign, FormStatus, FormSubmission, FormVariant, WebForm
from app.services import ab_testing, custom_fields, history
from app.services.record_checks import check_enum, check_owner, check_text
from app.services.record_lists import MAX_QUERY_LENGTH, KeysetSort, keyset_page
from app.services.search import contains_pattern
from app.services.validation import RecordInvalid
from app.services.web_form_fields import DEFAULT_FIELDS, check_fields

history.register_record_type("web_forms", WebForm, "web_form")

STATUS_LABELS = {
    FormStatus.DRAFT: _l("Draft"),
    FormStatus.PUBLISHED: _l("Published"),
    FormStatus.ARCHIVED: _l("Archived"),
}
STATUS_KINDS = {"DRAFT": "neutral", "PUBLISHED": "success", "ARCHIVED": "info"}
NAME_LENGTH = 120
SLUG_LENGTH = 80
TEXT_LENGTH = 500
URL_LENGTH = 1000
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELDS = {
    "name", "slug", "status", "campaign_id", "fields", "consent_text", "consent_text_zh",
    "success_message", "success_message_zh", "redirect_url", "owner_id",
}  # fmt: skip


def slugify(text: str) -> str:
    """A URL-safe slug of `text` ("Spring Webinar!" -> "spring-webinar"); may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_LENGTH].strip("-")


def _slug_taken(slug: str, form_id: int | None) -> bool:
    query = sa.select(WebForm.id).where(WebForm.slug == slug)
    if form_id is not None:
        query = query.where(WebForm.id != form_id)
    return db.session.execute(query.limit(1)).first() is not None


def _unique_slug(base: str, form_id: int | None) -> str:
    base = base or "form"
    slug, n = base, 1
    while _slug_taken(slug, form_id):
        n += 1
        suffix = f"-{n}"
        slug = base[: SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
    return slug


def _check_slug(form: WebForm, fields: dict, name: str, errors: dict) -> str:
    raw = str(fields.get("slug") or "").strip().lower()
    if not raw:
        return form.slug or _unique_slug(slugify(name), form.id)
    if len(raw) > SLUG_LENGTH or not _SLUG.match(raw):
        errors["slug"] = gettext(
            "Use lower-case letters, digits and single hyphens (at most %(max)d), like "
            "spring-webinar.",
            max=SLUG_LENGTH,
        )
    elif _slug_taken(raw, form.id):
        errors["slug"] = gettext("Another form already uses this address.")
    return raw


def check_redirect(url: str, errors: dict, key: str = "redirect_url") -> str:
    """An absolute http(s) address (or empty): no javascript:, data:, relative paths."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    unsafe = any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in url)
    if len(url) > URL_LENGTH:
        errors[key] = gettext("Use at most %(max)d characters.", max=URL_LENGTH)
    elif unsafe or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        errors[key] = gettext("Enter a full address starting with http:// or https://.")
    return url


def _check_campaign(actor, fields: dict, errors: dict) -> int | None:
    raw = fields.get("campaign_id")
    if raw in (None, ""):
        return None
    try:
        campaign = db.session.get(Campaign, int(raw))
    except (TypeError, ValueError):
        campaign = None
    if campaign is None or not permissions.can(actor, "read", "campaign", campaign):
        errors["campaign_id"] = gettext("Choose a campaign you may use.")
        return None
    return campaign.id


def _apply(form: WebForm, actor, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `form` untouched)."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown web form fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}

    def given(name: str) -> bool:
        return not partial or name in fields

    name = form.name
    if given("name"):
        name = values["name"] = check_text(
            fields, "name", NAME_LENGTH, errors, gettext("Name the form.")
        )
    if given("slug") or not form.slug:
        values["slug"] = _check_slug(form, fields, name, errors)
    if given("status"):
        values["status"] = check_enum(FormStatus, fields, "status", errors) or FormStatus.DRAFT
    if given("campaign_id"):
        values["campaign_id"] = _check_campaign(actor, fields, errors)
    if given("fields"):
        raw = fields.get("fields")
        values["fields"], problems = check_fields(DEFAULT_FIELDS if raw is None else raw)
        errors.update(problems)
    for text in ("consent_text", "consent_text_zh", "success_message", "success_message_zh"):
        if given(text):
            values[text] = check_text(fields, text, TEXT_LENGTH, errors)
    if given("redirect_url"):
        values["redirect_url"] = check_redirect(str(fields.get("redirect_url") or ""), errors)
    values["owner_id"] = check_owner(actor, "web_form", fields, errors, form.owner_id)
    if errors:
        raise RecordInvalid(errors)
    for key, value in values.items():
        if getattr(form, key) != value:
            setattr(form, key, value)
    form.updated_by_id = actor.id


def create_form(actor, **fields) -> WebForm:
    """A new form (a draft unless told otherwise) with one variant, "A", showing to all
    visitors. Without `fields`, it asks for the name, email and company."""
    permissions.require(actor, "create", "web_form")
    form = WebForm(created_by_id=actor.id, custom={}, status=FormStatus.DRAFT, slug="")
    _apply(form, actor, fields, partial=False)
    db.session.add(form)
    db.session.flush()
    db.session.add(FormVariant(form_id=form.id, name="A", weight=100))
    db.session.flush()
    return form


def update_form(form: WebForm, actor, **fields) -> WebForm:
    """Change the given fields of `form` (the others stay as they are)."""
    permissions.require(actor, "edit", "web_form", form)
    _apply(form, actor, fields, partial=True)
    db.session.flush()
    return form


def has_submissions(form: WebForm) -> bool:
    query = sa.select(FormSubmission.id).where(FormSubmission.form_id == form.id)
    return db.session.execute(query.limit(1)).first() is not None


def delete_form(form: WebForm, actor) -> None:
    """Delete a form nobody submitted yet; one with submissions is archived instead (its
    submissions are the evidence of where leads and consents came from)."""
    permissions.require(actor, "delete", "web_form", form)
    if has_submissions(form):
        raise RecordInvalid(
            {"form": gettext("This form has submissions, so it is kept: archive it instead.")}
        )
    db.session.delete(form)
    db.session.flush()


# The list ---------------------------------------------------------------------------

SORT = KeysetSort(WebForm.created_at, lambda form: form.created_at, is_time=True)


def forms_query(actor, q: str = "", status: FormStatus | None = None) -> sa.Select:
    """The forms `actor` may read, newest first, matching a name search and a status."""
    query = sa.select(WebForm).where(permissions.visible(actor, "web_form", WebForm.owner_id))
    for word in " ".join((q or "").split())[:MAX_QUERY_LENGTH].split()[:5]:
        query = query.where(WebForm.name.ilike(contains_pattern(word), escape="\\"))
    if status is not None:
        query = query.where(WebForm.status == status)
    return SORT.order(query, WebForm.id, "desc")


def form_page(actor, q: str = "", status=None, cursor: str | None = None, limit: int = 50):
    """One page of forms after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(forms_query(actor, q, status), SORT, WebForm.id, "desc", cursor, limit)


def totals_for(forms) -> dict[int, dict]:
    """{form id: {views, submissions, rate}} over all variants, in one query."""
    ids = [form.id for form in forms]
    totals = {i: {"views": 0, "submissions": 0, "rate": None} for i in ids}
    if not ids:
        return totals
    query = (
        sa.select(
            FormVariant.form_id,
            sa.func.coalesce(sa.func.sum(FormVariant.views), 0),
            sa.func.coalesce(sa.func.sum(FormVariant.submissions), 0),
        )
        .where(FormVariant.form_id.in_(ids))
        .group_by(FormVariant.form_id)
    )
    for form_id, views, submissions in db.session.execute(query):
        rate = ab_testing.conversion_rate(int(views), int(submissions))
        totals[form_id] = {"views": int(views), "submissions": int(submissions), "rate": rate}
    return totals


def mapping_labels() -> dict[str, str]:
    """What each `maps_to` value means, for the designer and the field list."""
    from app.services.web_form_fields import LEAD_FIELD_LABELS

    labels = {"": str(_l("Only in the submission"))}
    labels |= {key: str(label) for key, label in LEAD_FIELD_LABELS.items()}
    for field in custom_fields.fields_for("lead"):
        labels[f"custom.{field.key}"] = gettext(
            "Custom: %(label)s", label=custom_fields.field_label(field)
        )
    return labels


def campaign_choices(actor, limit: int = 500) -> list[sa.Row]:
    """(id, name) of the campaigns `actor` may credit a form's leads to, newest first."""
    query = sa.select(Campaign.id, Campaign.name).where(
        permissions.visible(actor, "campaign", Campaign.owner_id)
    )
    return list(db.session.execute(query.order_by(Campaign.id.desc()).limit(limit)))


def submission_page(form: WebForm, cursor: str | None = None, limit: int = 20):
    """One page of the form's submissions, newest first: (rows, next cursor or None)."""
    query = sa.select(FormSubmission).where(FormSubmission.form_id == form.id)
    return keyset_page(
        SUBMISSION_SORT.order(query, FormSubmission.id, "desc"),
        SUBMISSION_SORT,
        FormSubmission.id,
        "desc",
        cursor,
        limit,
    )


SUBMISSION_SORT = KeysetSort(FormSubmission.id, lambda submission: submission.id)


def landing_url(form: WebForm) -> str:
    """The hosted page's absolute address, on BASE_URL (what visitors reach, whatever
    address the staff member happens to use)."""
    path = url_for("public.landing_page", slug=form.slug)
    return current_app.config["BASE_URL"].rstrip("/") + path
