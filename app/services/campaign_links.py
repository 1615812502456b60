"""Short tracked links of a campaign (/l/<code>): one per social post, ad or piece of
content. Each carries UTM tags (by default utm_source=<channel>, utm_medium=social|email|
cpc|referral, utm_campaign=c<campaign id>, utm_content=<label slug>) added to the target
when it redirects, counts its clicks, records a VISIT (DOWNLOAD for content) event, and
credits the leads that arrive with its tags to the campaign and channel.

A click is one UPDATE ... RETURNING and one INSERT: the redirect answers in milliseconds."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.marketing import Campaign, CampaignLink, EventKind, FormSubmission
from app.models.sales import Lead
from app.services import attribution, web_visitors
from app.services.validation import RecordInvalid

CHANNELS = {
    "linkedin": _l("LinkedIn"),
    "facebook": _l("Facebook"),
    "x": _l("X (Twitter)"),
    "instagram": _l("Instagram"),
    "youtube": _l("YouTube"),
    "email": _l("Email"),
    "ads": _l("Paid ads"),
    "other": _l("Other"),
}
MEDIUMS = {"email": "email", "ads": "cpc", "other": "referral"}  # the rest: social
UTM_NAMES = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{4,16}")
_LABEL_LENGTH = CampaignLink.__table__.c.label.type.length
_URL_LENGTH = CampaignLink.__table__.c.target_url.type.length


def slug(text: str) -> str:
    """A label as a utm_content value: lower case words joined by hyphens."""
    words = re.findall(r"\w+", (text or "").lower())
    return "-".join(words)[: attribution.UTM_LENGTH].strip("-")


def default_tags(campaign: Campaign, channel: str, label: str) -> dict[str, str]:
    """The UTM tags a new link of `campaign` on `channel` gets unless others are given."""
    return {
        "utm_source": channel,
        "utm_medium": MEDIUMS.get(channel, "social"),
        "utm_campaign": f"c{campaign.id}",
        "utm_content": slug(label),
    }


def _check_target(url: str) -> str | None:
    if not url:
        return gettext("Enter the address the link leads to.")
    if len(url) > _URL_LENGTH:
        return gettext("Use at most %(num)d characters.", num=_URL_LENGTH)
    if any(ord(char) < 33 or char == "\\" for char in url):
        return gettext("The address may not contain spaces or backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return gettext("Enter a full web address starting with http:// or https://.")
    return None


def _new_code() -> str:
    for _ in range(10):
        code = secrets.token_urlsafe(6)  # 8 characters, 48 random bits
        taken = db.session.scalar(sa.select(CampaignLink.id).where(CampaignLink.code == code))
        if taken is None:
            return code
    raise RuntimeError("no free short-link code after 10 tries")


def create_link(
    campaign: Campaign,
    actor,
    *,
    channel: str,
    label: str = "",
    target_url: str,
    is_download: bool = False,
    **tags: str,
) -> CampaignLink:
    """Add a short link to `campaign`. `tags` may override any of UTM_NAMES; empty or
    missing ones get the defaults. RecordInvalid lists every bad field."""
    channel = (channel or "").strip().lower()
    label = " ".join((label or "").split())
    target_url = (target_url or "").strip()
    errors = {}
    if channel not in CHANNELS:
        errors["channel"] = gettext("Choose a channel from the list.")
    if len(label) > _LABEL_LENGTH:
        errors["label"] = gettext("Use at most %(num)d characters.", num=_LABEL_LENGTH)
    if (problem := _check_target(target_url)) is not None:
        errors["target_url"] = problem
    unknown = set(tags) - set(UTM_NAMES)
    if unknown:
        raise TypeError(f"unknown link fields: {', '.join(sorted(unknown))}")
    if errors:
        raise RecordInvalid(errors)
    values = default_tags(campaign, channel, label)
    for name in UTM_NAMES:
        given = attribution.clean(tags.get(name))
        if given:
            values[name] = given
    link = CampaignLink(
        code=_new_code(),
        campaign_id=campaign.id,
        channel=channel,
        label=label,
        target_url=target_url,
        is_download=bool(is_download),
        clicks=0,
        created_by_id=getattr(actor, "id", None),
        **values,
    )
    db.session.add(link)
    db.session.flush()
    return link


def delete_link(link: CampaignLink, actor) -> None:
    """Remove a link; its short URL answers 404 from then on (its events stay)."""
    db.session.delete(link)
    db.session.flush()


def destination(link) -> str:
    """The target URL with the link's UTM tags merged into its query string: the target's
    other parameters are kept as they are; a UTM tag the link sets replaces the target's."""
    parts = urlsplit(link.target_url)
    tags = {name: getattr(link, name) for name in UTM_NAMES if getattr(link, name)}
    kept = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in tags
    ]
    return urlunsplit(parts._replace(query=urlencode(kept + list(tags.items()))))


def follow(code: str, visitor_id: str | None = None):
    """Count one click of the link `code` and record its VISIT (DOWNLOAD for content)
    event, credited to the campaign; returns the link's row (for `destination`), or None
    for an unknown code."""
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        return None
    row = db.session.execute(
        sa.update(CampaignLink)
        .where(CampaignLink.code == code)
        .values(clicks=CampaignLink.clicks + 1)
        .returning(
            CampaignLink.id,
            CampaignLink.campaign_id,
            CampaignLink.channel,
            CampaignLink.target_url,
            CampaignLink.is_download,
            *(getattr(CampaignLink, name) for name in UTM_NAMES),
        )
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    web_visitors.record_event(
        EventKind.DOWNLOAD if row.is_download else EventKind.VISIT,
        visitor_id,
        url=row.target_url,
        detail={"channel": row.channel, "code": code},
        campaign_id=row.campaign_id,
    )
    return row


@dataclass(frozen=True)
class LinkRow:
    link: CampaignLink
    leads: int


def links_for(campaign: Campaign) -> list[LinkRow]:
    """The campaign's links, newest first, each with the leads attributed to it: leads of
    the campaign whose utm_source is the link's; when the lead came through a web form
    that recorded a utm_content, that must be the link's too (leads keep no utm_content)."""
    links = list(
        db.session.scalars(
            sa.select(CampaignLink)
            .where(CampaignLink.campaign_id == campaign.id)
            .order_by(CampaignLink.id.desc())
        )
    )
    if not links:
        return []
    with_content = (
        sa.select(FormSubmission.id)
        .where(FormSubmission.lead_id == Lead.id, FormSubmission.utm_content != "")
        .exists()
    )
    same_content = (
        sa.select(FormSubmission.id)
        .where(
            FormSubmission.lead_id == Lead.id,
            FormSubmission.utm_content == CampaignLink.utm_content,
        )
        .exists()
    )
    counts = dict(
        db.session.execute(
            sa.select(CampaignLink.id, sa.func.count(sa.distinct(Lead.id)))
            .join(
                Lead,
                sa.and_(
                    Lead.campaign_id == CampaignLink.campaign_id,
                    sa.func.lower(Lead.utm_source) == sa.func.lower(CampaignLink.utm_source),
                ),
            )
            .where(CampaignLink.campaign_id == campaign.id, sa.or_(~with_content, same_content))
            .group_by(CampaignLink.id)
        ).all()
    )
    return [LinkRow(link, counts.get(link.id, 0)) for link in links]
