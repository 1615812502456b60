"""The customers-at-risk list: the customers a user may read with their stored churn risk
(app.services.predictions.churn.score_all), filtered by level and owner, sorted by risk or
name, in keyset pages; and the dashboard panel's top rows and counts."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Customer
from app.services.record_lists import KeysetSort, encode_cursor

SORTS = {
    "risk": KeysetSort(Customer.churn_risk, lambda c: c.churn_risk),
    "name": KeysetSort(Customer.name, lambda c: c.name),
}
# The level filter: "at_risk" is medium and high together.
LEVEL_FILTERS = ("at_risk", "high", "medium", "low", "all")
_LEVELS = {"at_risk": ("medium", "high"), "high": ("high",), "medium": ("medium",),
           "low": ("low",)}  # fmt: skip


@dataclasses.dataclass
class AtRiskFilters:
    """What the at-risk list shows: a level, an owner, and an allowlisted sort."""

    level: str = "at_risk"
    owner_id: int | None = None
    sort: str = "risk"
    direction: str = "desc"

    @classmethod
    def from_args(cls, args) -> AtRiskFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        level = args.get("level")
        sort = args.get("sort") if args.get("sort") in SORTS else "risk"
        default_direction = "desc" if sort == "risk" else "asc"
        direction = args.get("direction")
        owner = args.get("owner_id") or ""
        return cls(
            level=level if level in LEVEL_FILTERS else "at_risk",
            owner_id=int(owner) if owner.isdigit() else None,
            sort=sort,
            direction=direction if direction in ("asc", "desc") else default_direction,
        )

    def as_args(self) -> dict:
        """The query string for these filters (only what differs from the defaults)."""
        default_direction = "desc" if self.sort == "risk" else "asc"
        args = {
            "level": self.level if self.level != "at_risk" else "",
            "owner_id": self.owner_id,
            "sort": self.sort if self.sort != "risk" else "",
            "direction": self.direction if self.direction != default_direction else "",
        }
        return {key: value for key, value in args.items() if value not in ("", None)}

    def sorted_by(self, column: str) -> dict:
        """The query string of the list sorted by `column`: its natural direction first
        (riskiest, A to Z), the other way on a second click."""
        if self.sort == column:
            direction = "asc" if self.direction == "desc" else "desc"
        else:
            direction = "desc" if column == "risk" else "asc"
        return self.as_args() | {"sort": column, "direction": direction}


def at_risk_query(actor, filters: AtRiskFilters) -> sa.Select:
    """The scored customers `actor` may read that match `filters`, in the sort's order."""
    query = sa.select(Customer).where(
        Customer.churn_risk.is_not(None),
        permissions.visible(actor, "customer", Customer.owner_id),
    )
    if filters.level in _LEVELS:
        query = query.where(Customer.churn_level.in_(_LEVELS[filters.level]))
    if filters.owner_id is not None:
        query = query.where(Customer.owner_id == filters.owner_id)
    return SORTS[filters.sort].order(query, Customer.id, filters.direction)


def _position(cursor: str | None, sort: str) -> tuple | None:
    """(value, id) from a cursor (a risk is a float, which the shared decoder refuses)."""
    if not cursor:
        return None
    try:
        value, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    wanted = (int, float) if sort == "risk" else (str,)
    if not isinstance(last_id, int) or isinstance(value, bool) or not isinstance(value, wanted):
        return None
    return value, last_id


def at_risk_page(actor, filters: AtRiskFilters, cursor: str | None = None, limit: int = 50):
    """One page of the at-risk list after `cursor`: (rows, cursor of the next page or None)."""
    sort = SORTS[filters.sort]
    query = at_risk_query(actor, filters)
    position = _position(cursor, filters.sort)
    if position is not None:
        query = query.where(sort.after(position, Customer.id, filters.direction))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(sort, rows[-1])


def level_counts(actor) -> dict[str, int]:
    """How many customers `actor` may read are at each churn level."""
    query = (
        sa.select(Customer.churn_level, sa.func.count())
        .where(
            Customer.churn_level.is_not(None),
            permissions.visible(actor, "customer", Customer.owner_id),
        )
        .group_by(Customer.churn_level)
    )
    return {"high": 0, "medium": 0, "low": 0} | dict(db.session.execute(query).tuples().all())


def top_at_risk(actor, limit: int = 10) -> list[Customer]:
    """The riskiest customers (medium or high) `actor` may read."""
    return at_risk_page(actor, AtRiskFilters(), None, limit)[0]
