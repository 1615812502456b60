"""The quote list: the versions a user may see, searched by number, title or customer,
filtered by status, owner, customer and deal, newest first and keyset-paged; and the short
lists of a deal's and a customer's quotes their pages show.

By default the list shows only each number's latest version (superseded ones are hidden);
`all_versions` brings them back.

Quotes have no trigram (PostgreSQL) or FTS (SQLite) index on search_text: the search is a
LIKE scan of each term, which the number of quotes a CRM holds keeps cheap.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Customer
from app.models.orders import Quote, QuoteStatus
from app.services import search
from app.services.record_lists import MAX_QUERY_LENGTH, KeysetSort, enum_member, keyset_page

NEWEST_FIRST = KeysetSort(Quote.created_at, lambda quote: quote.created_at, is_time=True)


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@dataclasses.dataclass
class QuoteFilters:
    """What the quote list's filter bar can ask for."""

    q: str = ""
    status: QuoteStatus | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    opportunity_id: int | None = None
    all_versions: bool = False

    @classmethod
    def from_args(cls, args) -> QuoteFilters:
        return cls(
            q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
            status=enum_member(QuoteStatus, args.get("status")),
            owner_id=_int(args.get("owner_id")),
            customer_id=_int(args.get("customer_id")),
            opportunity_id=_int(args.get("opportunity_id")),
            all_versions=args.get("versions") == "all",
        )

    def as_args(self) -> dict:
        args = {
            "q": self.q,
            "status": self.status.value if self.status else "",
            "owner_id": self.owner_id or "",
            "customer_id": self.customer_id or "",
            "opportunity_id": self.opportunity_id or "",
            "versions": "all" if self.all_versions else "",
        }
        return {key: value for key, value in args.items() if value not in ("", None)}

    def where(self) -> list:
        clauses = [
            Quote.search_text.contains(term, autoescape=True) for term in search.terms(self.q)
        ]
        if self.status is not None:
            clauses.append(Quote.status == self.status)
        elif not self.all_versions:
            clauses.append(Quote.status != QuoteStatus.SUPERSEDED)
        for name in ("owner_id", "customer_id", "opportunity_id"):
            value = getattr(self, name)
            if value is not None:
                clauses.append(getattr(Quote, name) == value)
        return clauses


def quotes_query(actor, filters: QuoteFilters) -> sa.Select:
    """The quote versions `actor` may see that match `filters`, newest first."""
    query = sa.select(Quote).where(
        permissions.visible(actor, "quote", Quote.owner_id), *filters.where()
    )
    return NEWEST_FIRST.order(query, Quote.id, "desc")


def quote_page(actor, filters: QuoteFilters, cursor: str | None = None, limit: int = 50):
    """One page of quotes after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(quotes_query(actor, filters), NEWEST_FIRST, Quote.id, "desc", cursor, limit)


def quotes_for_opportunity(actor, deal_id: int) -> list[Quote]:
    """The latest version of each of a deal's quotes `actor` may see, newest first."""
    return list(db.session.scalars(quotes_query(actor, QuoteFilters(opportunity_id=deal_id))))


def quotes_for_customer(actor, customer_id: int, limit: int = 10) -> list[Quote]:
    """A customer's latest quote versions `actor` may see, newest first."""
    query = quotes_query(actor, QuoteFilters(customer_id=customer_id)).limit(limit)
    return list(db.session.scalars(query))


def customer_names(rows) -> dict[int, str]:
    """{customer id: name} for the customers of `rows` (one query for a page)."""
    ids = {row.customer_id for row in rows}
    if not ids:
        return {}
    query = sa.select(Customer.id, Customer.name).where(Customer.id.in_(ids))
    return dict(db.session.execute(query).tuples().all())
