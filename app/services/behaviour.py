"""Behaviour figures of contacts and leads, from their marketing events: recent visits,
email opens and clicks, downloads and form submissions, and when they last engaged. Read
by lead scoring and by the "Behaviour" figures on a person's page; one grouped query with
conditional aggregation per call (per chunk of ids for very long lists)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import UTCDateTime
from app.models.marketing import EventKind, MarketingEvent, SegmentEntity

# The engagement kinds the figures count (unsubscribes and bounces are not engagement).
KINDS = (
    EventKind.VISIT,
    EventKind.EMAIL_OPEN,
    EventKind.EMAIL_CLICK,
    EventKind.DOWNLOAD,
    EventKind.FORM_SUBMIT,
)
# (field, kind, days): the windows lead scoring reads.
WINDOWS = (
    ("visits_30d", EventKind.VISIT, 30),
    ("email_opens_30d", EventKind.EMAIL_OPEN, 30),
    ("email_clicks_30d", EventKind.EMAIL_CLICK, 30),
    ("downloads_90d", EventKind.DOWNLOAD, 90),
    ("form_submissions_90d", EventKind.FORM_SUBMIT, 90),
)
CHUNK = 5000


@dataclasses.dataclass(frozen=True)
class BehaviourInputs:
    visits_30d: int = 0
    email_opens_30d: int = 0
    email_clicks_30d: int = 0
    downloads_90d: int = 0
    form_submissions_90d: int = 0
    last_event_at: datetime | None = None


def _link(entity: SegmentEntity):
    return MarketingEvent.lead_id if entity == SegmentEntity.LEAD else MarketingEvent.contact_id


def inputs(entity: SegmentEntity, ids: list[int], now: datetime) -> dict[int, BehaviourInputs]:
    """Each id's behaviour figures as of `now` (every id given gets an entry, zeros when it
    has no events); last_event_at is its latest engagement event of any age."""
    link = _link(SegmentEntity(entity))
    wanted = sorted({int(i) for i in ids})
    columns = [
        sa.func.sum(
            sa.case(
                (
                    sa.and_(
                        MarketingEvent.kind == kind,
                        MarketingEvent.occurred_at
                        >= sa.literal(now - timedelta(days=days), UTCDateTime()),
                    ),
                    1,
                ),
                else_=0,
            )
        ).label(name)
        for name, kind, days in WINDOWS
    ]
    result = {person_id: BehaviourInputs() for person_id in wanted}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = db.session.execute(
            sa.select(link, *columns, sa.func.max(MarketingEvent.occurred_at).label("last"))
            .where(link.in_(chunk), MarketingEvent.kind.in_(KINDS))
            .group_by(link)
        )
        for row in rows:
            figures = {name: int(getattr(row, name) or 0) for name, _, _ in WINDOWS}
            result[row[0]] = BehaviourInputs(**figures, last_event_at=row.last)
    return result


def latest(entity: SegmentEntity, person_id: int, limit: int = 10) -> list[MarketingEvent]:
    """The person's latest engagement events, newest first."""
    link = _link(SegmentEntity(entity))
    return list(
        db.session.scalars(
            sa.select(MarketingEvent)
            .where(link == person_id, MarketingEvent.kind.in_(KINDS))
            .order_by(MarketingEvent.occurred_at.desc(), MarketingEvent.id.desc())
            .limit(limit)
        )
    )
