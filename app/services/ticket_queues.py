"""The ticket queues agents work from: my tickets, the unassigned ones, my team's queue,
those about to miss (or past) an SLA due time, and every ticket one may see; each filtered,
searched, sorted on an allowlisted sort and keyset-paged like the other record lists.

The tab counts come from one query (see `view_counts`).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app import permissions, timezones
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.service import Ticket, TicketChannel, TicketPriority, TicketStatus
from app.services import search
from app.services.record_lists import MAX_QUERY_LENGTH, KeysetSort, enum_member, keyset_page

VIEWS = ("mine", "unassigned", "team", "breaching", "all")
DEFAULT_VIEW = "mine"
# "Breaching soon": a due time within this many hours, or already past.
BREACHING_HOURS = 4
# The "all" tab counts at most this many tickets and shows "999+" beyond (see view_counts).
COUNT_CAP = 999

_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
_NOT_DONE = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING)
# Written as literal SQL so it is the predicate of the partial index ix_tickets_open_due
# (a bound parameter would not let either database prove the index applies).
_RUNNING = sa.text("tickets.status IN ('OPEN', 'IN_PROGRESS')")
_PRIORITY_RANK = {"URGENT": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
# Tickets without any due time sort after every dated one.
_NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)

# The next due time: the first response while none was sent (if it comes first), else the
# resolution.
NEXT_DUE = sa.case(
    (
        sa.and_(
            Ticket.first_responded_at.is_(None),
            Ticket.first_response_due_at.is_not(None),
            sa.or_(
                Ticket.resolution_due_at.is_(None),
                Ticket.first_response_due_at < Ticket.resolution_due_at,
            ),
        ),
        Ticket.first_response_due_at,
    ),
    else_=Ticket.resolution_due_at,
)


def next_due(ticket: Ticket) -> datetime | None:
    """NEXT_DUE for a loaded ticket (shown in the queue, and the due sort's cursor)."""
    first, resolution = ticket.first_response_due_at, ticket.resolution_due_at
    first_comes_first = first is not None and (resolution is None or first < resolution)
    return first if ticket.first_responded_at is None and first_comes_first else resolution


@dataclasses.dataclass(frozen=True)
class _Sort:
    keyset: KeysetSort
    direction: str


SORTS = {
    "newest": _Sort(KeysetSort(Ticket.created_at, lambda t: t.created_at, is_time=True), "desc"),
    "oldest": _Sort(KeysetSort(Ticket.created_at, lambda t: t.created_at, is_time=True), "asc"),
    "priority": _Sort(
        KeysetSort(
            sa.case(_PRIORITY_RANK, value=sa.type_coerce(Ticket.priority, sa.String()), else_=9),
            lambda t: _PRIORITY_RANK.get(t.priority.value, 9),
        ),
        "asc",
    ),
    "due": _Sort(
        KeysetSort(
            sa.func.coalesce(NEXT_DUE, sa.literal(_NO_DUE, UTCDateTime())),
            lambda t: next_due(t) or _NO_DUE,
            is_time=True,
        ),
        "asc",
    ),
    "updated": _Sort(KeysetSort(Ticket.updated_at, lambda t: t.updated_at, is_time=True), "desc"),
}


def _int(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        return None


@dataclasses.dataclass
class TicketFilters:
    """A queue's view, filters and sort, read from the query string (bad values ignored)."""

    view: str = DEFAULT_VIEW
    q: str = ""
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    channel: TicketChannel | None = None
    category_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: str = ""

    def __post_init__(self):
        if self.sort not in SORTS:
            self.sort = default_sort(self.view)

    @classmethod
    def from_args(cls, args) -> TicketFilters:
        view = args.get("view")
        view = view if view in VIEWS else DEFAULT_VIEW
        sort = args.get("sort")
        return cls(
            view=view,
            q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
            status=enum_member(TicketStatus, args.get("status")),
            priority=enum_member(TicketPriority, args.get("priority")),
            channel=enum_member(TicketChannel, args.get("channel")),
            category_id=_int(args.get("category_id")),
            assignee_id=_int(args.get("assignee_id")),
            customer_id=_int(args.get("customer_id")),
            created_from=_day(args.get("created_from")),
            created_to=_day(args.get("created_to")),
            sort=sort if sort in SORTS else default_sort(view),
        )

    @property
    def narrowed(self) -> bool:
        """Whether a search or filter (beyond the view and sort) is set."""
        return set(self.as_args()) - {"view", "sort"} != set()

    def as_args(self, **changes) -> dict:
        """The query string that shows this queue again (only what is set)."""
        values = dataclasses.replace(self, **changes)
        args = {
            "view": values.view,
            "q": values.q,
            "status": values.status.value if values.status else "",
            "priority": values.priority.value if values.priority else "",
            "channel": values.channel.value if values.channel else "",
            "category_id": values.category_id or "",
            "assignee_id": values.assignee_id or "",
            "customer_id": values.customer_id or "",
            "created_from": values.created_from.isoformat() if values.created_from else "",
            "created_to": values.created_to.isoformat() if values.created_to else "",
            "sort": values.sort if values.sort != default_sort(values.view) else "",
        }
        return {key: value for key, value in args.items() if value not in ("", None)}


def default_sort(view: str) -> str:
    return "due" if view == "breaching" else "newest"


def _breaching(now: datetime, hours: int):
    """NEXT_DUE is before the horizon, written so the resolution half can be read off the
    partial index ix_tickets_open_due (the same rows: a first response due first is due
    sooner)."""
    horizon = now + timedelta(hours=hours)
    return sa.or_(
        Ticket.resolution_due_at <= horizon,
        sa.and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at <= horizon),
    )


def view_clause(user, view: str, now: datetime | None = None, hours: int = BREACHING_HOURS):
    """What sets the view apart (the permission filter comes on top)."""
    not_done = Ticket.status.in_(_NOT_DONE)
    if view == "mine":
        return sa.and_(Ticket.owner_id == user.id, not_done)
    if view == "unassigned":
        return sa.and_(Ticket.owner_id.is_(None), not_done)
    if view == "team":
        if user.team_id is None:
            return sa.false()
        return sa.and_(Ticket.team_id == user.team_id, not_done)
    if view == "breaching":
        return sa.and_(_RUNNING, _breaching(now or utcnow(), hours))
    if view == "all":
        return sa.true()
    raise ValueError(f"unknown queue view {view!r}")


def _search(q: str):
    dialect = db.session.get_bind().dialect.name
    match = search.matches(Ticket, q, dialect)
    if match is None or dialect != "postgresql":
        return match
    # As record_lists does: gather the matching ids first, so the planner does not walk the
    # sort's index testing every row against the trigram match.
    matched = sa.select(Ticket.id).where(match).subquery("matched")
    ids = sa.select(sa.func.array_agg(matched.c.id)).scalar_subquery()
    return Ticket.id == sa.any_(sa.cast(ids, postgresql.ARRAY(sa.Integer)))


def _filter_clauses(user, filters: TicketFilters) -> list:
    clauses = []
    match = _search(filters.q)
    if match is not None:
        clauses.append(match)
    for column, value in (
        (Ticket.status, filters.status),
        (Ticket.priority, filters.priority),
        (Ticket.channel, filters.channel),
        (Ticket.category_id, filters.category_id),
        (Ticket.owner_id, filters.assignee_id),
        (Ticket.customer_id, filters.customer_id),
    ):
        if value is not None:
            clauses.append(column == value)
    zone = timezones.user_zone(user)
    if filters.created_from is not None:
        start = datetime.combine(filters.created_from, time.min)
        clauses.append(Ticket.created_at >= timezones.from_wall_clock(start, zone))
    if filters.created_to is not None:
        end = datetime.combine(filters.created_to + timedelta(days=1), time.min)
        clauses.append(Ticket.created_at < timezones.from_wall_clock(end, zone))
    return clauses


def visible_to(user):
    """The permission filter every queue query starts from."""
    return permissions.visible(user, "ticket", Ticket.owner_id, team_column=Ticket.team_id)


def queue_query(user, filters: TicketFilters, now: datetime | None = None) -> sa.Select:
    """The tickets of `filters.view` that `user` may see and that match the filters, in the
    sort's order then by id."""
    query = sa.select(Ticket).where(
        visible_to(user), view_clause(user, filters.view, now), *_filter_clauses(user, filters)
    )
    sort = SORTS[filters.sort]
    return sort.keyset.order(query, Ticket.id, sort.direction)


def queue_page(user, filters: TicketFilters, cursor: str | None = None, limit: int = 50):
    """One page of the queue after `cursor`: (tickets, the next page's cursor or None)."""
    sort = SORTS[filters.sort]
    return keyset_page(
        queue_query(user, filters), sort.keyset, Ticket.id, sort.direction, cursor, limit
    )


def view_counts(user, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each view holds for `user`, in one query: conditional sums over the
    tickets not yet done (an agent's working set, a small share of all tickets, read through
    ix_tickets_status_id), plus the "all" count from a subquery that stops after
    COUNT_CAP + 1 rows, so that tab costs the same with 100,000 tickets (show it with
    `count_label`: "999+")."""
    now = now or utcnow()

    def tally(view: str):
        return sa.func.coalesce(sa.func.sum(sa.case((view_clause(user, view, now), 1), else_=0)), 0)

    capped = sa.select(Ticket.id).where(visible_to(user)).limit(COUNT_CAP + 1).subquery("capped")
    every = sa.select(sa.func.count()).select_from(capped).scalar_subquery()
    views = ("mine", "unassigned", "team", "breaching")
    query = sa.select(*(tally(view) for view in views), every).where(
        visible_to(user), Ticket.status.in_(_NOT_DONE)
    )
    row = db.session.execute(query).one()
    return {view: int(value or 0) for view, value in zip((*views, "all"), row, strict=True)}


def count_label(count: int) -> str:
    """A tab's count as shown: "999+" past the cap."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)
