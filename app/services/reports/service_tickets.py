"""What the service reports share: which tickets a reader's report counts (the tickets they
may read, narrowed by team, assignee and channel), how tickets are grouped and named, hours
between two moments, means and exact medians in one SQL pass, and the reopenings the audit
trail remembers."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.identity import Team, User
from app.models.records import AuditAction, AuditEntry
from app.models.service import (
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from app.services.tickets import CHANNEL_LABELS, PRIORITY_LABELS

DONE = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)
TENTH = Decimal("0.1")
FILTERS = ("period", "team", "owner", "channel")
GROUP_LABELS = {
    "agent": _l("Agent"),
    "category": _l("Category"),
    "priority": _l("Priority"),
    "channel": _l("Channel"),
    "team": _l("Team queue"),
    "policy": _l("SLA policy"),
}
# The ticket column each grouping keys on (an agent is the assignee unless a report says
# otherwise).
KEYS = {
    "agent": Ticket.owner_id,
    "category": Ticket.category_id,
    "priority": Ticket.priority,
    "channel": Ticket.channel,
    "team": Ticket.team_id,
    "policy": Ticket.sla_policy_id,
}
SEVERITY = [TicketPriority.URGENT, TicketPriority.HIGH, TicketPriority.MEDIUM, TicketPriority.LOW]


def channels() -> list[tuple[str, str]]:
    return [(channel.value, str(CHANNEL_LABELS[channel])) for channel in TicketChannel]


def groups(*names: str) -> dict:
    return {name: GROUP_LABELS[name] for name in names}


def ticket_filters(filters, actor, agent_column=Ticket.owner_id) -> list:
    """The WHERE clauses keeping the tickets `actor` may read, narrowed by the filters: the
    team (tickets in its queue, or assigned to one of its members: unassigned tickets
    waiting in a queue are that team's work too), the agent (`agent_column`, the assignee
    unless a report rates someone else) and the channel."""
    clauses = [
        filters.owned(
            actor, "ticket", Ticket.owner_id, team_column=Ticket.team_id, person_column=agent_column
        )
    ]
    if filters.channel:
        clauses.append(Ticket.channel == TicketChannel(filters.channel))
    return clauses


def hours_between(earlier, later):
    """Calendar hours from `earlier` to `later` (fractional), as an SQL expression: a float
    on both databases (PostgreSQL's `extract` gives a numeric, slower to add up and sort)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date_part("epoch", later - earlier) / 3600
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24


def _decimal(value) -> Decimal | None:
    """A float of hours to one decimal. It is first rounded to a millionth of an hour, the
    float error of SQLite's julianday arithmetic, so that 3.25 h shows as 3.3, not 3.2."""
    if value is None:
        return None
    return Decimal(str(round(float(value), 6))).quantize(TENTH, ROUND_HALF_UP)


@dataclasses.dataclass
class Spread:
    """A group's rows, how many of them have a value, the values' mean and median (one
    decimal), and the sums of the report's extra 0/1 columns."""

    rows: int = 0
    count: int = 0
    mean: Decimal | None = None
    median: Decimal | None = None
    extra: dict = dataclasses.field(default_factory=dict)


def spread(pairs, extra: tuple[str, ...] = ()) -> tuple[dict, Spread]:
    """A Spread per `key` of the query `pairs` (columns labelled "key" and "value", plus
    the `extra` columns to add up), and one over all its rows, from one statement. Rows
    whose value is NULL count as rows but not as values.

    The median is exact on both databases: the middle value, or the mean of the two middle
    ones (percentile_cont(0.5)). PostgreSQL computes it with percentile_cont; SQLite has no
    such aggregate, so there window functions rank the values and the middle ones are
    averaged. (The ranking works on PostgreSQL too, but took about 2.5 times as long as
    percentile_cont over a year of resolved tickets at the large seed.)"""
    rows = pairs.subquery()
    if db.session.get_bind().dialect.name == "postgresql":
        groups, total = _percentiles(rows, extra)
    else:
        groups, total = _ranks(rows, extra)
    return (
        {key: _spread(figures, extra) for key, figures in groups.items()},
        _spread(total, extra),
    )


def _spread(figures, extra) -> Spread:
    rows, count, value_sum, median, *sums = figures
    return Spread(
        rows=rows,
        count=count,
        mean=_mean(value_sum, count),
        median=_decimal(median),
        extra={name: int(number or 0) for name, number in zip(extra, sums, strict=True)},
    )


def _percentiles(rows, extra) -> tuple[dict, tuple]:
    """(rows, values, sum, median, *extra sums) per key and overall (PostgreSQL)."""
    figures = [
        sa.func.count(),
        sa.func.count(rows.c.value),
        sa.func.sum(rows.c.value),
        sa.func.percentile_cont(0.5).within_group(rows.c.value),
        *[sa.func.sum(rows.c[name]) for name in extra],
    ]
    query = sa.select(sa.func.grouping(rows.c.key), rows.c.key, *figures).group_by(
        sa.func.rollup(rows.c.key)
    )
    groups, total = {}, (0, 0, None, None, *[0 for _name in extra])
    for is_total, key, *values in db.session.execute(query):
        if is_total:
            total = tuple(values)
        else:
            groups[key] = tuple(values)
    return groups, total


def _ranks(rows, extra) -> tuple[dict, tuple]:
    """The same from window functions (SQLite): each group's values and all values are
    ranked, NULLs last; the middle ranks r of c values are those with c <= 2r <= c + 2."""
    in_order = rows.c.value.asc().nulls_last()
    ranked = sa.select(
        rows,
        sa.func.row_number().over(partition_by=rows.c.key, order_by=in_order).label("n"),
        sa.func.count(rows.c.value).over(partition_by=rows.c.key).label("c"),
        sa.func.row_number().over(order_by=in_order).label("n_all"),
        sa.func.count(rows.c.value).over().label("c_all"),
    ).subquery()
    value = ranked.c.value

    def middle(rank, count):
        return sa.and_(value.is_not(None), rank * 2 >= count, rank * 2 <= count + 2)

    overall = middle(ranked.c.n_all, ranked.c.c_all)
    query = sa.select(
        ranked.c.key,
        sa.func.count(),
        sa.func.count(value),
        sa.func.sum(value),
        sa.func.avg(sa.case((middle(ranked.c.n, ranked.c.c), value))),
        *[sa.func.sum(ranked.c[name]) for name in extra],
        sa.func.sum(sa.case((overall, value))),
        sa.func.count(sa.case((overall, 1))),
    ).group_by(ranked.c.key)
    groups, totals = {}, Counter()
    for key, *values, middle_sum, middle_count in db.session.execute(query):
        groups[key] = tuple(values)
        n, count, value_sum, _median, *sums = values
        totals.update(rows=n, count=count, middle_count=middle_count)
        totals.update(value_sum=float(value_sum or 0), middle_sum=float(middle_sum or 0))
        totals.update({name: int(number or 0) for name, number in zip(extra, sums, strict=True)})
    median = totals["middle_sum"] / totals["middle_count"] if totals["middle_count"] else None
    total = (totals["rows"], totals["count"], totals["value_sum"], median)
    return groups, total + tuple(totals[name] for name in extra)


def _mean(total, count) -> Decimal | None:
    return _decimal(float(total or 0) / count) if count else None


def labels(group: str, keys: Iterable) -> dict:
    """The name of each key of `group` ("Unassigned", "No category"... for None)."""
    keys = set(keys)
    if group == "priority":
        return {key: str(PRIORITY_LABELS[TicketPriority(key)]) for key in keys}
    if group == "channel":
        return {key: str(CHANNEL_LABELS[TicketChannel(key)]) for key in keys}
    model, none = {
        "agent": (User, gettext("Unassigned")),
        "category": (TicketCategory, gettext("No category")),
        "team": (Team, gettext("No team queue")),
        "policy": (SlaPolicy, gettext("No SLA policy")),
    }[group]
    ids = [key for key in keys if key is not None]
    names = dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())
    return {key: names.get(key, none) if key is not None else none for key in keys}


def ordered(group: str, rows: list[dict], size_key: str) -> list[dict]:
    """Priorities from urgent to low, channels in their usual order, anything else the
    largest first (then by name)."""
    if group == "priority":
        return sorted(rows, key=lambda row: SEVERITY.index(TicketPriority(row["key"])))
    if group == "channel":
        order = list(TicketChannel)
        return sorted(rows, key=lambda row: order.index(TicketChannel(row["key"])))
    return sorted(rows, key=lambda row: (-(row[size_key] or 0), row["group"]))


def reopenings(where: list, since: datetime, until: datetime | None = None) -> list:
    """(reopened_at, resolved_at) of each time a ticket of `where` went from resolved or
    closed back to an open status between `since` and `until`, from the audit trail: the
    status change's entry keeps the resolution it undid. `resolved_at` is None where the
    entry does not say. A reopening is rare, so these rows are few."""
    before = AuditEntry.changes[("status", 0)].as_string()
    after = AuditEntry.changes[("status", 1)].as_string()
    undone = AuditEntry.changes[("resolved_at", 0)].as_string()
    query = (
        sa.select(AuditEntry.at, undone)
        .join(Ticket, Ticket.id == sa.cast(AuditEntry.entity_id, sa.Integer))
        .where(
            AuditEntry.entity_type == Ticket.__tablename__,
            AuditEntry.action == AuditAction.UPDATE,
            AuditEntry.at >= since,
            before.in_(DONE),
            after.not_in(DONE),
            *where,
        )
    )
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return [(at, _moment(text)) for at, text in db.session.execute(query)]


def _moment(text) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
