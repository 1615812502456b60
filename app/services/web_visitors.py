"""Website visitors of the tracking snippet: an anonymous id per browser, the first touch
(how they first arrived), and, once they identify themselves (a form, a tracked email
link), the contact or lead they are; their earlier anonymous events move to that person.

Page views are recorded in two statements (an upsert returning the known person, then the
event insert), because the tracking endpoint must answer in a few milliseconds. The
identification token a tracked email link adds to a tracked site's URL (`rp_t`) is signed
here with its own salt and expires."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.marketing import CampaignRecipient, EventKind, MarketingEvent, WebVisitor
from app.models.sales import Lead
from app.services import attribution

VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,40}")
TOKEN_SALT = "web-identify"
TOKEN_MAX_AGE = 90 * 24 * 3600
URL_LENGTH = MarketingEvent.__table__.c.url.type.length
DETAIL_LENGTH = 300
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def valid_visitor_id(value) -> str | None:
    """`value` when it has the shape of a snippet's visitor id, else None."""
    if isinstance(value, str) and VISITOR_ID.fullmatch(value):
        return value
    return None


def _insert():
    dialect = db.session.get_bind().dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)


def relax_durability() -> None:
    """On PostgreSQL, let this transaction's commit return before its WAL reaches the disk
    (synchronous_commit off, this transaction only). For page views and link clicks only:
    a database crash may lose the last fraction of a second of them, never leave anything
    inconsistent, and the tracking endpoint does not wait for a disk flush."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))


def identify(visitor_id: str, *, contact_id: int | None = None, lead_id: int | None = None) -> None:
    """Record that browser `visitor_id` is this contact and/or lead, and attach its earlier
    anonymous events to them. An id of the wrong shape, or no person, is ignored."""
    visitor_id = valid_visitor_id(visitor_id)
    if visitor_id is None or (contact_id is None and lead_id is None):
        return
    now = utcnow()
    person = {"contact_id": contact_id, "lead_id": lead_id}
    insert = _insert()
    if insert is not None:
        db.session.execute(
            insert(WebVisitor)
            .values(visitor_id=visitor_id, first_touch={}, first_seen_at=now, last_seen_at=now)
            .values(**person)
            .on_conflict_do_update(index_elements=["visitor_id"], set_=person)
        )
    else:
        visitor = db.session.get(WebVisitor, visitor_id)
        if visitor is None:
            db.session.add(WebVisitor(visitor_id=visitor_id, first_touch={}, **person))
        else:
            visitor.contact_id, visitor.lead_id = contact_id, lead_id
        db.session.flush()
    db.session.execute(
        sa.update(MarketingEvent)
        .where(
            MarketingEvent.visitor_id == visitor_id,
            MarketingEvent.contact_id.is_(None),
            MarketingEvent.lead_id.is_(None),
        )
        .values(**person)
        .execution_options(synchronize_session=False)
    )


def _touch(visitor_id: str, first_touch: dict, now: datetime) -> tuple[int | None, int | None]:
    """Upsert the visitor (first touch kept from the first sight) and return who it is."""
    insert = _insert()
    if insert is None:
        visitor = db.session.get(WebVisitor, visitor_id)
        if visitor is None:
            db.session.add(WebVisitor(visitor_id=visitor_id, first_touch=first_touch))
            db.session.flush()
            return None, None
        visitor.last_seen_at = now
        return visitor.contact_id, visitor.lead_id
    row = db.session.execute(
        insert(WebVisitor)
        .values(visitor_id=visitor_id, first_touch=first_touch, first_seen_at=now, last_seen_at=now)
        .on_conflict_do_update(index_elements=["visitor_id"], set_={"last_seen_at": now})
        .returning(WebVisitor.contact_id, WebVisitor.lead_id)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def _short(value) -> str:
    return " ".join(str(value or "").split())[:DETAIL_LENGTH]


def record_event(
    kind: EventKind,
    visitor_id: str | None,
    *,
    url: str = "",
    detail: Mapping | None = None,
    campaign_id: int | None = None,
    contact_id: int | None = None,
    lead_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Write one behaviour event of a (maybe anonymous) visitor: the visitor row is upserted
    and the event credited to the person it is known as. The campaign is `campaign_id`, or
    the one the detail's utm_campaign names (looked up inside the INSERT)."""
    now = now or utcnow()
    detail = {key: _short(value) for key, value in (detail or {}).items() if value}
    visitor_id = valid_visitor_id(visitor_id)
    if visitor_id is not None:
        first_touch = {key: detail[key] for key in (*UTM_KEYS, "referrer") if key in detail} | {
            "url": url[:URL_LENGTH]
        }
        known_contact, known_lead = _touch(visitor_id, first_touch, now)
        if contact_id is None and lead_id is None:
            contact_id, lead_id = known_contact, known_lead
    campaign = campaign_id
    if campaign is None:
        campaign = attribution.campaign_id_sql(detail.get("utm_campaign", ""))
    db.session.execute(
        sa.insert(MarketingEvent).values(
            kind=kind,
            occurred_at=now,
            contact_id=contact_id,
            lead_id=lead_id,
            campaign_id=campaign,
            visitor_id=visitor_id or "",
            url=url[:URL_LENGTH],
            detail=detail,
        )
    )


def identity_token(contact_id: int | None, lead_id: int | None) -> str:
    """The `rp_t` token a tracked email link adds for a tracked site (expires in 90 days)."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)
    return serializer.dumps([contact_id, lead_id])


def read_identity_token(token) -> tuple[int | None, int | None] | None:
    """(contact_id, lead_id) of a valid, unexpired `rp_t` token, else None."""
    if not isinstance(token, str) or not token or len(token) > 300:
        return None
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)
    try:
        value = serializer.loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2):
        return None
    if not all(part is None or (isinstance(part, int) and part > 0) for part in value):
        return None
    if value == [None, None]:
        return None
    return value[0], value[1]


def tracked_hosts() -> frozenset[str]:
    """The hosts of RAPPORT_TRACKED_SITES, lower-cased (empty: none configured)."""
    setting = current_app.config.get("RAPPORT_TRACKED_SITES") or ""
    entries = setting.split(",") if isinstance(setting, str) else setting
    return frozenset(entry.strip().lower() for entry in entries if entry and entry.strip())


def web_host(url: str) -> str | None:
    """The lower-cased host of an http(s) URL, else None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return host.lower()


def page_allowed(url: str) -> bool:
    """An http(s) URL whose host is a tracked site (any host when none is configured)."""
    host = web_host(url)
    if host is None:
        return False
    hosts = tracked_hosts()
    return not hosts or host in hosts


def with_identity(url: str, recipient_id: int) -> str:
    """`url` with the `rp_t` identity token of the campaign recipient's contact or lead
    added, when its host is one of RAPPORT_TRACKED_SITES (never for any other host, and
    never when no site is configured); otherwise `url` unchanged."""
    host = web_host(url)
    if host is None or host not in tracked_hosts():
        return url
    row = db.session.execute(
        sa.select(CampaignRecipient.contact_id, CampaignRecipient.lead_id).where(
            CampaignRecipient.id == recipient_id
        )
    ).first()
    if row is None or (row.contact_id is None and row.lead_id is None):
        return url
    parts = urlsplit(url)
    query = parts.query
    if any(key == "rp_t" for key, _ in parse_qsl(query, keep_blank_values=True)):
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(key, value) for key, value in pairs if key != "rp_t"])
    # The page's own query string is kept byte for byte; the token is appended.
    token = urlencode({"rp_t": identity_token(row.contact_id, row.lead_id)})
    return urlunsplit(parts._replace(query=f"{query}&{token}" if query else token))


def identify_by_token(visitor_id: str | None, token) -> tuple[int | None, int | None] | None:
    """Identify the visitor as the person of a valid `rp_t` token (who must still exist);
    returns (contact_id, lead_id), or None when the token or the visitor id is no good."""
    person = read_identity_token(token)
    if person is None or valid_visitor_id(visitor_id) is None:
        return None
    contact_id, lead_id = person
    contact_exists = sa.select(Contact.id).where(Contact.id == contact_id).exists()
    lead_exists = sa.select(Lead.id).where(Lead.id == lead_id).exists()
    contact_ok, lead_ok = db.session.execute(sa.select(contact_exists, lead_exists)).one()
    contact_id = contact_id if contact_ok else None
    lead_id = lead_id if lead_ok else None
    if contact_id is None and lead_id is None:
        return None
    identify(visitor_id, contact_id=contact_id, lead_id=lead_id)
    return contact_id, lead_id
