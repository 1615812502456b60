"""Marketing touchpoints on a customer's timeline: what the customer's contacts did with
the company's emails and website (opens, clicks, visits, downloads, form submissions,
unsubscribes, bounces), one query per page like every other timeline source."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import Campaign, EventKind, MarketingEvent
from app.services import timeline

EVENT_TITLES = {
    EventKind.VISIT: _l("%(name)s visited %(url)s"),
    EventKind.EMAIL_OPEN: _l("%(name)s opened “%(campaign)s”"),
    EventKind.EMAIL_CLICK: _l("%(name)s clicked a link in “%(campaign)s”"),
    EventKind.DOWNLOAD: _l("%(name)s downloaded %(url)s"),
    EventKind.FORM_SUBMIT: _l("%(name)s submitted a form on %(url)s"),
    EventKind.UNSUBSCRIBE: _l("%(name)s unsubscribed from marketing email"),
    EventKind.BOUNCE: _l("An email to %(name)s bounced"),
}
timeline.KIND_LABELS["marketing"] = _l("Marketing")


def _marketing_events(actor, customer_id: int, before, limit: int):
    query = (
        sa.select(MarketingEvent, Contact, Campaign.name)
        .join(Contact, Contact.id == MarketingEvent.contact_id)
        .outerjoin(Campaign, Campaign.id == MarketingEvent.campaign_id)
        .where(
            Contact.customer_id == customer_id,
            permissions.visible(actor, "contact", Contact.owner_id),
            timeline.keyset_clause(
                before, "marketing", MarketingEvent.occurred_at, MarketingEvent.id
            ),
        )
        .order_by(MarketingEvent.occurred_at.desc(), MarketingEvent.id.desc())
        .limit(limit)
    )
    return [
        timeline.TimelineItem(
            at=event.occurred_at,
            kind="marketing",
            title=str(EVENT_TITLES[event.kind])
            % {
                "name": contact.full_name,
                "url": event.url or "—",
                "campaign": campaign_name or gettext("an email"),
            },
            detail=", ".join(f"{key}={value}" for key, value in sorted(event.detail.items()))
            if event.detail
            else "",
            url=url_for("customers.contact_show", contact_id=contact.id),
            actor_name="",
            source="marketing",
            id=event.id,
        )
        for event, contact, campaign_name in db.session.execute(query).tuples()
    ]


timeline.register_source("marketing", _marketing_events)
