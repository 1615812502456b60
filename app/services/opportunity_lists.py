"""The deal list: the board's data as a table, permission-filtered, searched, filtered
(the board's filters plus stage and pipeline), sorted on an allowlisted column and
keyset-paged like the customer list."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app import permissions
from app.models.sales import Opportunity
from app.services.pipeline import BoardFilters, parse_stage
from app.services.record_lists import KeysetSort, filter_where, keyset_page

# Deals without a closing date sort after every dated one.
_NO_DATE = date(9999, 12, 31)


@dataclasses.dataclass(frozen=True)
class _TypedSort(KeysetSort):
    """A sort whose cursor value travels as text and is read back with `parse`."""

    parse: Callable = str

    def after(self, position: tuple, id_column, direction: str):
        value, last_id = position
        return super().after((self.parse(value), last_id), id_column, direction)


# Undated deals last; written as a literal so it is the same expression as the index
# ix_opportunities_close_id (a bound parameter would not match it).
_CLOSE = sa.func.coalesce(
    Opportunity.expected_close_date, sa.literal_column(f"'{_NO_DATE.isoformat()}'")
)
SORTS = {
    "expected_close_date": _TypedSort(
        _CLOSE, lambda o: (o.expected_close_date or _NO_DATE).isoformat(), parse=date.fromisoformat
    ),
    "name": KeysetSort(Opportunity.name, lambda o: o.name),
    "amount": _TypedSort(Opportunity.amount, lambda o: str(o.amount), parse=Decimal),
    "stage": KeysetSort(sa.type_coerce(Opportunity.stage, sa.String()), lambda o: o.stage.value),
    "updated_at": KeysetSort(Opportunity.updated_at, lambda o: o.updated_at, is_time=True),
}


@dataclasses.dataclass
class OpportunityFilters(BoardFilters):
    """The board's filters plus a search, a stage, a pipeline, a tag and a sort."""

    q: str = ""
    stage: object = None
    pipeline_id: int | None = None
    customer_id: int | None = None
    tag: str = ""
    custom: dict = dataclasses.field(default_factory=dict)
    sort: str = "expected_close_date"
    direction: str = "asc"

    @classmethod
    def from_args(cls, args) -> OpportunityFilters:
        board = BoardFilters.from_args(args)
        sort = args.get("sort")
        return cls(
            **dataclasses.asdict(board),
            q=" ".join((args.get("q") or "").split())[:200],
            stage=parse_stage(args.get("stage")) if args.get("stage") else None,
            pipeline_id=int(args["pipeline_id"])
            if str(args.get("pipeline_id") or "").isdigit()
            else None,
            customer_id=int(args["customer_id"])
            if str(args.get("customer_id") or "").isdigit()
            else None,
            tag=" ".join((args.get("tag") or "").split())[:60],
            sort=sort if sort in SORTS else "expected_close_date",
            direction="desc" if args.get("direction") == "desc" else "asc",
        )

    def as_args(self) -> dict:
        args = super().as_args() | {
            "q": self.q,
            "stage": self.stage.value if self.stage else "",
            "pipeline_id": self.pipeline_id or "",
            "customer_id": self.customer_id or "",
            "tag": self.tag,
            "sort": self.sort if self.sort != "expected_close_date" else "",
            "direction": self.direction if self.direction != "asc" else "",
        }
        return {key: value for key, value in args.items() if value not in ("", None)}


def opportunities_query(actor, filters: OpportunityFilters) -> sa.Select:
    """The deals `actor` may see that match `filters`, in the sort's order then id."""
    query = sa.select(Opportunity).where(
        permissions.visible(actor, "opportunity", Opportunity.owner_id), *filters.where()
    )
    if filters.stage is not None:
        query = query.where(Opportunity.stage == filters.stage)
    if filters.pipeline_id is not None:
        query = query.where(Opportunity.pipeline_id == filters.pipeline_id)
    if filters.customer_id is not None:
        query = query.where(Opportunity.customer_id == filters.customer_id)
    # filter_where also applies owner_id, which BoardFilters.where() did: harmless twice.
    query = query.where(*filter_where(Opportunity, "opportunity", "opportunities", filters))
    return SORTS[filters.sort].order(query, Opportunity.id, filters.direction)


def opportunity_page(actor, filters: OpportunityFilters, cursor: str | None = None, limit=50):
    """One page of deals after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        opportunities_query(actor, filters),
        SORTS[filters.sort],
        Opportunity.id,
        filters.direction,
        cursor,
        limit,
    )
