"""Opens and clicks of campaign emails: counted on the recipient row and written as a
marketing event. Each is two or three statements (the pixel and the redirect must answer in
a few milliseconds); a recipient row that no longer exists (its campaign was deleted) is
ignored quietly."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.marketing import CampaignRecipient, EventKind, MarketingEvent

_URL_LENGTH = MarketingEvent.__table__.c.url.type.length


def _count(recipient_id: int, values: dict):
    """Update the row and return (contact_id, lead_id, campaign_id), or None if it is gone."""
    statement = (
        sa.update(CampaignRecipient)
        .where(CampaignRecipient.id == recipient_id)
        .values(**values)
        .returning(
            CampaignRecipient.contact_id, CampaignRecipient.lead_id, CampaignRecipient.campaign_id
        )
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).first()


def _event(kind: EventKind, row, url: str = "") -> None:
    contact_id, lead_id, campaign_id = row
    if contact_id is None and lead_id is None:
        return
    db.session.execute(
        sa.insert(MarketingEvent).values(
            kind=kind,
            occurred_at=utcnow(),
            contact_id=contact_id,
            lead_id=lead_id,
            campaign_id=campaign_id,
            visitor_id="",
            url=url[:_URL_LENGTH],
            detail={},
        )
    )


def record_open(recipient_id: int) -> bool:
    """Count one open of a campaign email; False when the recipient row is gone."""
    now = sa.literal(utcnow(), UTCDateTime())
    row = _count(
        recipient_id,
        {
            "open_count": CampaignRecipient.open_count + 1,
            "opened_at": sa.func.coalesce(CampaignRecipient.opened_at, now),
        },
    )
    if row is None:
        return False
    _event(EventKind.EMAIL_OPEN, row)
    return True


def record_click(recipient_id: int, url: str) -> bool:
    """Count one click of a tracked link. A click proves the email was opened, so the
    first click also sets opened_at (and counts an open) when the pixel was blocked."""
    now = sa.literal(utcnow(), UTCDateTime())
    never_opened = CampaignRecipient.opened_at.is_(None)
    row = _count(
        recipient_id,
        {
            "click_count": CampaignRecipient.click_count + 1,
            "clicked_at": sa.func.coalesce(CampaignRecipient.clicked_at, now),
            "open_count": CampaignRecipient.open_count + sa.case((never_opened, 1), else_=0),
            "opened_at": sa.func.coalesce(CampaignRecipient.opened_at, now),
        },
    )
    if row is None:
        return False
    _event(EventKind.EMAIL_CLICK, row, url)
    return True
