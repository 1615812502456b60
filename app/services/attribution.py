"""Where an inbound lead came from: its UTM tags, the campaign they (or a `campaign` id)
name, and the social network when it arrived through a social post. Used by the web-to-lead
form, hosted web forms and the tracking endpoint, so every channel is attributed the same
way. Visitors cannot fix a wrong campaign reference, so an unknown one is ignored."""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlalchemy as sa

from app.extensions import db
from app.models.marketing import Campaign, CampaignLink
from app.models.sales import Lead, LeadSource

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
UTM_LENGTH = 100
SOCIAL_MEDIUMS = frozenset({"social", "social-paid", "social_paid", "paid-social", "paid_social"})
# Known networks, by the names people put in utm_source, to the channel names links use.
SOCIAL_NETWORKS = {
    "linkedin": "linkedin",
    "facebook": "facebook",
    "x": "x",
    "twitter": "x",
    "instagram": "instagram",
    "youtube": "youtube",
    "line": "line",
    "wechat": "wechat",
}
_CAMPAIGN_CODE = re.compile(r"c([0-9]{1,11})")
_SOURCE_DETAIL_LENGTH = Lead.__table__.c.source_detail.type.length


def clean(value) -> str:
    """A UTM value as stored: whitespace collapsed, at most UTM_LENGTH characters."""
    return " ".join(str(value or "").split())[:UTM_LENGTH]


def _campaign_number(utm_campaign: str) -> int | None:
    match = _CAMPAIGN_CODE.fullmatch(utm_campaign.strip().lower())
    return int(match.group(1)) if match else None


def campaign_id_sql(utm_campaign: str):
    """A scalar SQL expression for the campaign `utm_campaign` names ("c<id>" of an existing
    campaign, or the utm_campaign of one of its links), or None when it cannot name one;
    embedded in an INSERT so the tracking endpoint spends no extra round trip."""
    value = clean(utm_campaign)
    if not value:
        return None
    number = _campaign_number(value)
    by_link = (
        sa.select(CampaignLink.campaign_id)
        .where(CampaignLink.utm_campaign == value, CampaignLink.campaign_id.is_not(None))
        .order_by(CampaignLink.id)
        .limit(1)
        .scalar_subquery()
    )
    if number is None:
        return by_link
    by_id = sa.select(Campaign.id).where(Campaign.id == number).scalar_subquery()
    return sa.func.coalesce(by_id, by_link)


def campaign_for(utm_campaign: str) -> int | None:
    """The id of the campaign `utm_campaign` names, see campaign_id_sql."""
    expression = campaign_id_sql(utm_campaign)
    if expression is None:
        return None
    return db.session.scalar(sa.select(expression))


def _campaign_from_id(raw) -> int | None:
    raw = str(raw or "").strip()
    if not (raw.isdigit() and len(raw) < 12):
        return None
    return db.session.scalar(sa.select(Campaign.id).where(Campaign.id == int(raw)))


def social_network(utm_source: str, utm_medium: str) -> str | None:
    """The network a visit came from ('linkedin', 'x', ...), or None when it is not social.
    A social medium with an unknown source still counts, under the source's own name."""
    source = clean(utm_source).lower()
    medium = clean(utm_medium).lower()
    if source in SOCIAL_NETWORKS:
        return SOCIAL_NETWORKS[source]
    if medium in SOCIAL_MEDIUMS:
        return source or "other"
    return None


def attribute(lead: Lead, fields: Mapping) -> None:
    """Store the post's UTM tags on `lead`, credit the campaign named by its `campaign` id
    or its utm_campaign, and mark social arrivals as LeadSource.SOCIAL with the network as
    source detail (only for a new lead or one that came from a web form). On an existing
    lead, absent tags never erase the ones it has."""
    new = lead.id is None
    values = {name: clean(fields.get(name)) for name in UTM_FIELDS}
    for name, value in values.items():
        if new or value:
            setattr(lead, name, value)
    campaign_id = _campaign_from_id(fields.get("campaign")) or campaign_for(values["utm_campaign"])
    if campaign_id is not None:
        lead.campaign_id = campaign_id
    network = social_network(values["utm_source"], values["utm_medium"])
    if network is not None and (new or lead.source in (None, LeadSource.WEB_FORM)):
        lead.source = LeadSource.SOCIAL
        lead.source_detail = network[:_SOURCE_DETAIL_LENGTH]
