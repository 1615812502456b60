"""The campaign list: a name search, type and status filters, keyset pages; and the
segments a campaign may target."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.marketing import Campaign, CampaignStatus, CampaignType, Segment
from app.services.record_lists import MAX_QUERY_LENGTH, KeysetSort, enum_member, keyset_page
from app.services.search import contains_pattern

SORTS = {
    "created_at": KeysetSort(Campaign.created_at, lambda c: c.created_at, is_time=True),
    "name": KeysetSort(Campaign.name, lambda c: c.name),
}


@dataclasses.dataclass
class CampaignFilters:
    """What the campaign list shows: a name search, a type, a status, an allowlisted sort
    (newest first by default)."""

    q: str = ""
    type: CampaignType | None = None
    status: CampaignStatus | None = None
    sort: str = "created_at"
    direction: str = "desc"

    @classmethod
    def from_args(cls, args) -> CampaignFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        sort = args.get("sort") if args.get("sort") in SORTS else "created_at"
        default = "desc" if sort == "created_at" else "asc"
        direction = args.get("direction")
        return cls(
            q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
            type=enum_member(CampaignType, args.get("type")),
            status=enum_member(CampaignStatus, args.get("status")),
            sort=sort,
            direction=direction if direction in ("asc", "desc") else default,
        )

    def as_args(self) -> dict:
        """The query string for these filters (only what differs from the defaults)."""
        args = {
            "q": self.q,
            "type": self.type.value if self.type else "",
            "status": self.status.value if self.status else "",
            "sort": self.sort if self.sort != "created_at" else "",
            "direction": self.direction if self.sort != "created_at" or self.direction != "desc"
            else "",
        }  # fmt: skip
        return {key: value for key, value in args.items() if value}


def campaigns_query(actor, filters: CampaignFilters) -> sa.Select:
    """The campaigns `actor` may read that match `filters`, in the filters' sort then id."""
    # A sequence's email steps send through campaigns of their own, shown on the sequence.
    query = sa.select(Campaign).where(
        permissions.visible(actor, "campaign", Campaign.owner_id), Campaign.sequence_id.is_(None)
    )
    for word in filters.q.split()[:5]:
        query = query.where(Campaign.name.ilike(contains_pattern(word), escape="\\"))
    if filters.type is not None:
        query = query.where(Campaign.type == filters.type)
    if filters.status is not None:
        query = query.where(Campaign.status == filters.status)
    return SORTS[filters.sort].order(query, Campaign.id, filters.direction)


def campaign_page(actor, filters: CampaignFilters, cursor: str | None = None, limit: int = 50):
    """One page of campaigns after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        campaigns_query(actor, filters),
        SORTS[filters.sort],
        Campaign.id,
        filters.direction,
        cursor,
        limit,
    )


def readable_segments(actor, limit: int = 500) -> list[sa.Row]:
    """(id, name) of the segments `actor` may use as an audience, by name."""
    query = sa.select(Segment.id, Segment.name).where(
        permissions.visible(actor, "segment", Segment.owner_id)
    )
    return list(db.session.execute(query.order_by(Segment.name, Segment.id).limit(limit)))
