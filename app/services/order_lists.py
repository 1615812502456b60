"""The order list: the orders a user may see, searched (number, customer name), filtered by
status, owner, customer and order date range, sorted on an allowlisted column and
keyset-paged like the other record lists."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app import permissions
from app.models.orders import Order, OrderStatus
from app.services import search
from app.services.record_lists import KeysetSort, enum_member, keyset_page


@dataclasses.dataclass(frozen=True)
class _TypedSort(KeysetSort):
    """A sort whose cursor value travels as text and is read back with `parse`."""

    parse: Callable = str

    def after(self, position: tuple, id_column, direction: str):
        value, last_id = position
        return super().after((self.parse(value), last_id), id_column, direction)


SORTS = {
    "order_date": _TypedSort(
        Order.order_date, lambda o: o.order_date.isoformat(), parse=date.fromisoformat
    ),
    "number": KeysetSort(Order.number, lambda o: o.number),
    "total": _TypedSort(Order.total, lambda o: str(o.total), parse=Decimal),
}
DEFAULT_SORT = "order_date"


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


@dataclasses.dataclass
class OrderFilters:
    q: str = ""
    status: OrderStatus | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = DEFAULT_SORT
    direction: str = "desc"

    @classmethod
    def from_args(cls, args) -> OrderFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        sort = args.get("sort") if args.get("sort") in SORTS else DEFAULT_SORT
        direction = args.get("direction")
        if direction not in ("asc", "desc"):
            direction = "desc" if sort in (DEFAULT_SORT, "total") else "asc"
        return cls(
            q=" ".join((args.get("q") or "").split())[:200],
            status=enum_member(OrderStatus, args.get("status")),
            owner_id=_int(args.get("owner_id")),
            customer_id=_int(args.get("customer_id")),
            date_from=_date(args.get("date_from")),
            date_to=_date(args.get("date_to")),
            sort=sort,
            direction=direction,
        )

    def as_args(self) -> dict:
        """The query string for these filters (only what is set)."""
        default_direction = "desc" if self.sort in (DEFAULT_SORT, "total") else "asc"
        args = {
            "q": self.q,
            "status": self.status.value if self.status else "",
            "owner_id": self.owner_id or "",
            "customer_id": self.customer_id or "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "sort": "" if self.sort == DEFAULT_SORT else self.sort,
            "direction": "" if self.direction == default_direction else self.direction,
        }
        return {key: value for key, value in args.items() if value not in ("", None)}


def _search_clause(query: str):
    words = search.terms(query)
    if not words:
        return None
    return sa.and_(
        *(Order.search_text.like(search.contains_pattern(word), escape="\\") for word in words)
    )


def orders_query(actor, filters: OrderFilters) -> sa.Select:
    """The orders `actor` may see that match `filters`, in the sort's order then id."""
    query = sa.select(Order).where(permissions.visible(actor, "order", Order.owner_id))
    match = _search_clause(filters.q)
    if match is not None:
        query = query.where(match)
    if filters.status is not None:
        query = query.where(Order.status == filters.status)
    if filters.owner_id is not None:
        query = query.where(Order.owner_id == filters.owner_id)
    if filters.customer_id is not None:
        query = query.where(Order.customer_id == filters.customer_id)
    if filters.date_from is not None:
        query = query.where(Order.order_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Order.order_date <= filters.date_to)
    return SORTS[filters.sort].order(query, Order.id, filters.direction)


def order_page(actor, filters: OrderFilters, cursor: str | None = None, limit: int = 50):
    """One page of orders after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        orders_query(actor, filters), SORTS[filters.sort], Order.id, filters.direction,
        cursor, limit,
    )  # fmt: skip
