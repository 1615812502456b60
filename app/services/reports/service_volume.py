"""How many tickets come in, go out and wait: ticket volume per month (split by channel,
category or priority) and the backlog (open tickets at each month end, and now by priority
and by age)."""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.base import utcnow
from app.models.service import Ticket, TicketStatus
from app.services.reports import sql
from app.services.reports.results import Chart, Column, Figure, Result
from app.services.reports.service_tickets import (
    GROUP_LABELS,
    KEYS,
    SEVERITY,
    groups,
    labels,
    ordered,
    reopenings,
    ticket_filters,
)
from app.services.tickets import PRIORITY_LABELS

VOLUME_GROUPS = groups("channel", "category", "priority")
# The split shows this many columns at most; smaller groups are added up as "Other".
MAX_SPLIT = 8
BACKLOG_GROUPS = {
    "month": _l("Month end"),
    "priority": _l("Priority (open now)"),
    "age": _l("Age (open now)"),
}
# Ages of open tickets: (upper bound in days, label); the last band has no bound.
AGE_BANDS = [
    (1, _l("Under a day")),
    (3, _l("1 to 3 days")),
    (7, _l("3 to 7 days")),
    (30, _l("7 to 30 days")),
    (None, _l("30 days and more")),
]
OLD_BAND = 3  # bands from this one on are a week old or more


def _month_index(moment, bounds) -> int | None:
    index = bisect.bisect_right(bounds, moment) - 1
    return index if 0 <= index < len(bounds) - 1 else None


def _month_of(column, first, bounds):
    """The index of the month of the period holding `column` (NULL outside the period;
    `first` may fall inside the first month, for a custom period)."""
    return sa.case(
        (column < first, None),
        *[(column < upper, index) for index, upper in enumerate(bounds[1:])],
        else_=None,
    )


def _split(group: str, totals: Counter) -> list[tuple[Column, list]]:
    """The columns splitting the tickets created, each with the group keys it adds up: one
    per key in the group's order, the smallest added up as "Other" past MAX_SPLIT."""
    names = labels(group, totals)
    keys = [
        row["key"]
        for row in ordered(
            group, [{"key": k, "group": names[k], "n": n} for k, n in totals.items()], "n"
        )
    ]
    if len(keys) > MAX_SPLIT:
        keys, other = keys[: MAX_SPLIT - 1], keys[MAX_SPLIT - 1 :]
    else:
        other = []
    split = [(Column(f"split_{i}", names[k], "count"), [k]) for i, k in enumerate(keys)]
    if other:
        split.append((Column("split_other", gettext("Other"), "count"), other))
    return split


def volume(filters, actor) -> Result:
    first, after = filters.moments()
    months = filters.months()
    bounds = sql.month_bounds(months)
    bounds[-1] = min(bounds[-1], after)
    where = ticket_filters(filters, actor)
    group = filters.group or "channel"
    key = KEYS[group]
    created_in, resolved_in = (
        _month_of(Ticket.created_at, first, bounds),
        _month_of(Ticket.resolved_at, first, bounds),
    )
    # One pass over the tickets created or resolved in the period.
    created: dict[int, Counter] = {}
    resolved: Counter = Counter()
    for created_index, resolved_index, value, count in db.session.execute(
        sa.select(created_in, resolved_in, key, sa.func.count())
        .where(
            sa.or_(
                sa.and_(Ticket.created_at >= first, Ticket.created_at < after),
                sa.and_(Ticket.resolved_at >= first, Ticket.resolved_at < after),
            ),
            *where,
        )
        .group_by(created_in, resolved_in, key)
    ):
        if created_index is not None:
            created.setdefault(created_index, Counter())[value] += count
        if resolved_index is not None:
            resolved[resolved_index] += count
    reopened = Counter(_month_index(at, bounds) for at, _undone in reopenings(where, first, after))
    split = _split(group, sum(created.values(), Counter()))
    rows = []
    for index, first_day in enumerate(months):
        counts = created.get(index, Counter())
        row = {"month": first_day, "created": sum(counts.values())}
        row |= {column.key: sum(counts[k] for k in keys) for column, keys in split}
        row |= {"resolved": resolved[index], "reopened": reopened[index]}
        rows.append(row)
    total_row = {
        column: sum(row[column] for row in rows) for column in rows[0] if column != "month"
    }
    counted = total_row["created"] or total_row["resolved"] or total_row["reopened"]
    return Result(
        columns=[
            Column("month", str(_l("Month")), "month"),
            Column("created", str(_l("Created")), "count"),
            *[column for column, _keys in split],
            Column("resolved", str(_l("Resolved")), "count"),
            Column("reopened", str(_l("Reopened")), "count"),
        ],
        rows=rows if counted else [],
        figures=[
            Figure(str(_l("Created")), total_row["created"]),
            Figure(str(_l("Resolved")), total_row["resolved"]),
            Figure(str(_l("Reopened")), total_row["reopened"]),
        ],
        chart=Chart("line", "month", ("created", "resolved")),
        notes=[
            gettext(
                "The columns after “Created” split the tickets created by %(group)s.",
                group=str(GROUP_LABELS[group]).lower(),
            )
        ]
        if split
        else [],
        totals={"month": None, **total_row},
    )


def _open_now(where: list, moment) -> dict:
    """{(priority, age band): (open, unassigned)} of the tickets of `where` open now."""
    band = sa.case(
        *[
            (Ticket.created_at > moment - timedelta(days=days), index)
            for index, (days, _label) in enumerate(AGE_BANDS)
            if days is not None
        ],
        else_=len(AGE_BANDS) - 1,
    )
    query = (
        sa.select(Ticket.priority, band, sa.func.count(), sa.func.count(Ticket.owner_id))
        .where(Ticket.status.in_([s for s in TicketStatus if not s.is_done]), *where)
        .group_by(Ticket.priority, band)
    )
    return {
        (priority, index): (count, count - assigned)
        for priority, index, count, assigned in db.session.execute(query)
    }


def _month_ends(filters, where: list, cutoff) -> list[dict]:
    """Open tickets at each month end of the period, the last one cut off at `cutoff` (the
    period's end, or now). A ticket was open at a month end when it was created before it
    and not resolved then: its last resolution came later or has not come, and no earlier
    resolution undone later by a reopening covered that moment."""
    months = filters.months()
    bounds = sql.month_bounds(months)
    ends = [
        (month, min(end, cutoff))
        for month, start, end in zip(months, bounds, bounds[1:], strict=False)
        if start < cutoff
    ]
    if not ends:
        return []
    done = Ticket.resolved_at
    counts = db.session.execute(
        sa.select(
            *[
                sa.func.count(
                    sa.case(
                        (sa.and_(Ticket.created_at < end, sa.or_(done.is_(None), done >= end)), 1)
                    )
                )
                for _month, end in ends
            ]
        ).where(
            Ticket.created_at < ends[-1][1],
            sa.or_(done.is_(None), done >= ends[0][1]),
            *where,
        )
    ).one()
    counts = list(counts)
    for reopened_at, resolved_at in reopenings(where, ends[0][1]):
        if resolved_at is None:
            continue
        for index, (_month, end) in enumerate(ends):
            if resolved_at < end <= reopened_at:
                counts[index] -= 1
    return [
        {"month": month, "open": count} for (month, _end), count in zip(ends, counts, strict=True)
    ]


def backlog(filters, actor) -> Result:
    where = ticket_filters(filters, actor)
    moment = utcnow()
    group = filters.group or "month"
    current = _open_now(where, moment)
    open_now = sum(count for count, _unassigned in current.values())
    unassigned_now = sum(unassigned for _count, unassigned in current.values())
    figures = [
        Figure(str(_l("Open now")), open_now),
        Figure(str(_l("Unassigned now")), unassigned_now),
        Figure(
            str(_l("Open for a week or more")),
            sum(count for (_p, band), (count, _u) in current.items() if band >= OLD_BAND),
        ),
    ]
    if group == "month":
        cutoff = min(filters.moments()[1], moment)
        rows = _month_ends(filters, where, cutoff)
        return Result(
            columns=[
                Column("month", str(_l("Month")), "month"),
                Column("open", str(_l("Open at month end")), "count"),
            ],
            rows=rows if any(row["open"] for row in rows) else [],
            figures=figures,
            chart=Chart("line", "month", ("open",)),
            notes=[gettext("The current month counts the tickets open now.")]
            if rows and cutoff == moment
            else [],
        )
    bands = range(len(AGE_BANDS))
    if group == "priority":
        keys = [(p, str(PRIORITY_LABELS[p])) for p in SEVERITY]
        splits = [(f"band_{b}", str(AGE_BANDS[b][1]), b) for b in bands]
        table = current
    else:
        keys = [(b, str(AGE_BANDS[b][1])) for b in bands]
        splits = [(f"priority_{p.value}", str(PRIORITY_LABELS[p]), p) for p in SEVERITY]
        table = {(band, priority): cell for (priority, band), cell in current.items()}
    rows = []
    for key, name in keys:
        cells = [table.get((key, split), (0, 0)) for _c, _n, split in splits]
        row = {
            "group": name,
            "open": sum(c for c, _u in cells),
            "unassigned": sum(u for _c, u in cells),
        }
        row |= {column: count for (column, _n, _s), (count, _u) in zip(splits, cells, strict=True)}
        rows.append(row)
    columns = [Column(column, name, "count") for column, name, _split in splits]
    return Result(
        columns=[
            Column("group", str(BACKLOG_GROUPS[group])),
            Column("open", str(_l("Open now")), "count"),
            Column("unassigned", str(_l("Unassigned")), "count"),
            *columns,
        ],
        rows=rows if open_now else [],
        figures=figures,
        chart=Chart("hbar", "group", ("open",)),
        totals={"group": gettext("Total"), "open": open_now, "unassigned": unassigned_now}
        | {column.key: sum(row[column.key] for row in rows) for column in columns},
    )
