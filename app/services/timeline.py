"""A customer's timeline: every touchpoint in one feed, newest first, from any module.

Modules register a source with `register_source(name, fetch)`. `fetch(actor, customer_id,
before, limit)` returns up to `limit` TimelineItems the actor may read, newest first,
strictly older than the keyset cursor `before` = (at, source, id) in the feed's order;
`keyset_clause` builds that condition for a source's own columns. The feed asks every
source for a page, merges them and cuts, so each page costs one query per source.
Items carry links (url_for), so the feed is built in a request or a job's request context.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from app import permissions
from app.extensions import db
from app.models.activities import Activity
from app.models.identity import User

MAX_LIMIT = 100
Cursor = tuple[datetime, str, int]


@dataclasses.dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    title: str
    detail: str
    url: str | None
    actor_name: str
    source: str
    id: int

    @property
    def key(self) -> Cursor:
        return (self.at, self.source, self.id)


Fetch = Callable[[object, int, Cursor | None, int], list[TimelineItem]]
_SOURCES: dict[str, Fetch] = {}


def register_source(name: str, fetch: Fetch) -> None:
    """Add a module's touchpoints to every customer's timeline."""
    _SOURCES[name] = fetch


def keyset_clause(before: Cursor | None, source: str, at_column, id_column):
    """Rows of `source` that come after `before` in the newest-first feed order."""
    if before is None:
        return sa.true()
    at, cursor_source, cursor_id = before
    if source < cursor_source:
        same_instant = sa.true()
    elif source > cursor_source:
        same_instant = sa.false()
    else:
        same_instant = id_column < cursor_id
    return sa.or_(at_column < at, sa.and_(at_column == at, same_instant))


def customer_timeline(actor, customer_id: int, before: Cursor | None = None, limit: int = 20):
    """One page of the customer's feed: (items newest first, cursor of the next page)."""
    limit = max(1, min(limit, MAX_LIMIT))
    pages = [fetch(actor, customer_id, before, limit + 1) for fetch in _SOURCES.values()]
    merged = heapq.merge(*pages, key=lambda item: item.key, reverse=True)
    items = [item for _, item in zip(range(limit + 1), merged, strict=False)]
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].key if more else None)


def encode_cursor(cursor: Cursor | None) -> str | None:
    """The cursor as a URL parameter."""
    if cursor is None:
        return None
    at, source, item_id = cursor
    return f"{at.astimezone(UTC).isoformat()}~{source}~{item_id}"


def decode_cursor(text: str | None) -> Cursor | None:
    """The cursor from a URL parameter; None for anything malformed (the first page)."""
    try:
        at, source, item_id = (text or "").split("~")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            return None
        return (moment.astimezone(UTC), source, int(item_id))
    except ValueError:
        return None


# What each item kind is called on the feed; sources add their own kinds here.
KIND_LABELS = {
    "call": _l("Call"),
    "email": _l("Email"),
    "meeting": _l("Meeting"),
    "note": _l("Note"),
    "task": _l("Task"),
}


def _activities(actor, customer_id: int, before: Cursor | None, limit: int):
    query = (
        sa.select(Activity, User.name)
        .outerjoin(User, User.id == Activity.owner_id)
        .where(
            Activity.customer_id == customer_id,
            permissions.visible(actor, "activity", Activity.owner_id),
            keyset_clause(before, "activities", Activity.occurred_at, Activity.id),
        )
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return [
        TimelineItem(
            at=activity.occurred_at,
            kind=activity.kind.value.lower(),
            title=activity.subject,
            detail=activity.description,
            url=url_for("activities.edit", activity_id=activity.id),
            actor_name=owner_name or "",
            source="activities",
            id=activity.id,
        )
        for activity, owner_name in db.session.execute(query)
    ]


register_source("activities", _activities)


KIND_LABELS["deal"] = _l("Opportunity")


def _deal_events(actor, customer_id: int, before: Cursor | None, limit: int):
    """A deal's creation (its first stage change) and each later move, as one source."""
    from app.models.sales import Opportunity, StageChange
    from app.services.opportunities import STAGE_LABELS

    query = (
        sa.select(StageChange, Opportunity.name, User.name)
        .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
        .outerjoin(User, User.id == StageChange.changed_by_id)
        .where(
            Opportunity.customer_id == customer_id,
            permissions.visible(actor, "opportunity", Opportunity.owner_id),
            keyset_clause(before, "opportunities", StageChange.changed_at, StageChange.id),
        )
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        .limit(limit)
    )
    items = []
    for change, deal_name, changed_by in db.session.execute(query):
        stage = str(STAGE_LABELS[change.to_stage])
        if change.from_stage is None:
            title = gettext("Opportunity created: %(name)s", name=deal_name)
        else:
            title = gettext(
                "%(name)s moved from %(from)s to %(to)s",
                name=deal_name, to=stage, **{"from": str(STAGE_LABELS[change.from_stage])},
            )  # fmt: skip
        items.append(
            TimelineItem(
                at=change.changed_at,
                kind="deal",
                title=title,
                detail=stage if change.from_stage is None else "",
                url=url_for("sales.opportunity_show", opportunity_id=change.opportunity_id),
                actor_name=changed_by or "",
                source="opportunities",
                id=change.id,
            )
        )
    return items


register_source("opportunities", _deal_events)


def records_created(model, source: str, visible, customer_id: int, before, limit: int, *options):
    """(record, creator's name) of `model` for a customer's feed, newest first by created_at:
    the query of every source whose touchpoint is a record being made."""
    query = (
        sa.select(model, User.name)
        .outerjoin(User, User.id == model.created_by_id)
        .where(
            model.customer_id == customer_id,
            visible,
            keyset_clause(before, source, model.created_at, model.id),
        )
        .options(*options)
        .order_by(model.created_at.desc(), model.id.desc())
        .limit(limit)
    )
    return db.session.execute(query).tuples().all()


KIND_LABELS["quote"] = _l("Quote")
KIND_LABELS["order"] = _l("Order")


def _quote_versions(actor, customer_id: int, before: Cursor | None, limit: int):
    """Each quote version, when it was made, with where it stands now."""
    from app.models.orders import Quote
    from app.services.quotes import STATUS_LABELS
    from app.templating import money

    rows = records_created(
        Quote, "quotes", permissions.visible(actor, "quote", Quote.owner_id), customer_id,
        before, limit, orm.lazyload(Quote.lines),
    )  # fmt: skip
    return [
        TimelineItem(
            at=quote.created_at,
            kind="quote",
            title=gettext(
                "Quote %(reference)s: %(title)s (%(status)s)",
                reference=quote.reference,
                title=quote.title,
                status=str(STATUS_LABELS[quote.status]).lower(),
            ),  # fmt: skip
            detail=gettext("Total %(total)s", total=money(quote.total, quote.currency)),
            url=url_for("sales.quote_show", quote_id=quote.id),
            actor_name=created_by or "",
            source="quotes",
            id=quote.id,
        )
        for quote, created_by in rows
    ]


register_source("quotes", _quote_versions)


def _orders(actor, customer_id: int, before: Cursor | None, limit: int):
    """Each order, when it was entered (or its quote accepted), with its status and total."""
    from app.models.orders import Order
    from app.services.orders import STATUS_LABELS
    from app.templating import money

    rows = records_created(
        Order, "orders", permissions.visible(actor, "order", Order.owner_id), customer_id,
        before, limit, orm.lazyload(Order.lines),
    )  # fmt: skip
    return [
        TimelineItem(
            at=order.created_at,
            kind="order",
            title=gettext(
                "Order %(number)s (%(status)s)",
                number=order.number,
                status=str(STATUS_LABELS[order.status]).lower(),
            ),  # fmt: skip
            detail=gettext("Total %(total)s", total=money(order.total, order.currency)),
            url=url_for("sales.order_show", order_id=order.id),
            actor_name=created_by or "",
            source="orders",
            id=order.id,
        )
        for order, created_by in rows
    ]


register_source("orders", _orders)


KIND_LABELS["ticket"] = _l("Ticket")


def _tickets(actor, customer_id: int, before: Cursor | None, limit: int):
    """Each ticket, when it was opened, with where it stands now (and when it was solved)."""
    from app.models.service import Ticket
    from app.services.tickets import PRIORITY_LABELS, STATUS_LABELS
    from app.templating import datetime_

    visible = permissions.visible(actor, "ticket", Ticket.owner_id, team_column=Ticket.team_id)
    rows = records_created(Ticket, "tickets", visible, customer_id, before, limit)
    items = []
    for ticket, opened_by in rows:
        detail = gettext("Priority: %(priority)s", priority=str(PRIORITY_LABELS[ticket.priority]))
        if ticket.resolved_at is not None:
            when = datetime_(ticket.resolved_at, "short")
            detail += " · " + gettext("resolved %(when)s", when=when)
        items.append(
            TimelineItem(
                at=ticket.created_at,
                kind="ticket",
                title=gettext(
                    "Ticket %(number)s: %(subject)s (%(status)s)",
                    number=ticket.number,
                    subject=ticket.subject,
                    status=str(STATUS_LABELS[ticket.status]).lower(),
                ),
                detail=detail,
                url=url_for("service.ticket_show", ticket_id=ticket.id),
                actor_name=opened_by or "",
                source="tickets",
                id=ticket.id,
            )
        )
    return items


register_source("tickets", _tickets)
