"""Leads from the public web-to-lead form: nobody is signed in, so the form itself is the
author. The fields a visitor may fill are allowlisted (never an owner or a team), checked
by the lead service's own checks, and the assignment rules choose the owner.

Where the visitor may be sent after a successful post is allowlisted too
(RAPPORT_LEAD_FORM_REDIRECTS), so the form is never an open redirect.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from flask_babel import gettext

from app.extensions import db
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import attribution, lead_assignment, leads, marketing_signals
from app.services.validation import RecordInvalid

FORM_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "phone",
    "country",
    "city",
    "industry",
    "description",
)
SOURCE_DETAIL_LENGTH = 200
# Attribution a landing page or tracked link may add to the post (all optional): the UTM
# tags and `campaign`, the id of the campaign to credit; see app.services.attribution.
UTM_FIELDS = attribution.UTM_FIELDS
UTM_LENGTH = attribution.UTM_LENGTH


@dataclasses.dataclass(frozen=True)
class _WebForm:
    """The author of web-form leads: no user, so no creator and no default owner."""

    id: None = None
    team_id: None = None


def capture_lead(fields: dict, page: str = "") -> Lead:
    """Create a lead from a web-form post (source WEB_FORM, `page` as its source detail,
    with its UTM tags, campaign and social channel, see app.services.attribution) and let
    the assignment rules give it an owner; without a matching rule it has none.
    RecordInvalid lists every bad field; unknown fields are ignored."""
    given = {name: fields.get(name) or "" for name in FORM_FIELDS}
    given["source"] = LeadSource.WEB_FORM
    given["source_detail"] = " ".join((page or "").split())[:SOURCE_DETAIL_LENGTH]
    errors = {}
    # Said to the visitor, where the lead service would speak of "the lead".
    if not str(given["last_name"]).strip():
        errors["last_name"] = gettext("Enter your last name.")
    if not str(given["email"]).strip() and not str(given["phone"]).strip():
        errors["email"] = gettext("Enter an email address or a phone number so we can reply.")
    lead = Lead(custom={}, status=LeadStatus.NEW)
    try:
        # The lead service's checks (lengths, email, country, custom fields), with the
        # form as author: no owner is given, so none is assumed.
        leads.apply_fields(lead, _WebForm(), given, partial=False)
    except RecordInvalid as invalid:
        errors = invalid.errors | errors
    if errors:
        raise RecordInvalid(errors)
    attribution.attribute(lead, fields)
    db.session.add(lead)
    lead_assignment.assign(lead)
    db.session.flush()
    marketing_signals.emit("lead_created", lead=lead)
    return lead


def allowed_redirect(url: str | None, allowlist) -> str | None:
    """`url` if the allowlist permits it, else None. An entry is a full address (that one
    page only) or an origin like https://example.com (any page there); only http(s)."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    unsafe = any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in url)
    if unsafe or parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    for entry in allowlist or ():
        entry = entry.strip()
        allowed = urlsplit(entry)
        if not allowed.scheme or not allowed.netloc:
            continue
        if allowed.path in ("", "/") and not allowed.query:
            if origin == f"{allowed.scheme}://{allowed.netloc}".lower():
                return url
        elif url == entry:
            return url
    return None
