"""How long customers wait: resolution time of the tickets resolved in a period and time to
the first public reply of the tickets created in it, as means and exact medians in calendar
hours, per agent, category or priority."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.models.service import Ticket, TicketStatus
from app.services.reports.results import Chart, Column, Figure, Result
from app.services.reports.service_tickets import (
    GROUP_LABELS,
    KEYS,
    groups,
    hours_between,
    labels,
    ordered,
    spread,
    ticket_filters,
)

RESOLUTION_GROUPS = groups("category", "priority", "agent")
FIRST_RESPONSE_GROUPS = groups("agent", "category", "priority")


def _rows(group: str, by_key: dict, columns: list[Column]) -> list[dict]:
    """A row per group, in the group's order, with the values of `columns`."""
    names = labels(group, by_key)
    rows = [
        {
            "key": key,
            "group": names[key],
            "created": figures.rows,
            "tickets": figures.count,
            "average": figures.mean,
            "median": figures.median,
            "waiting": figures.extra.get("waiting", 0),
        }
        for key, figures in by_key.items()
    ]
    rows = ordered(group, rows, columns[1].key)
    return [{column.key: row[column.key] for column in columns} for row in rows]


def resolution_time(filters, actor) -> Result:
    first, after = filters.moments()
    group = filters.group or "category"
    pairs = sa.select(
        KEYS[group].label("key"),
        hours_between(Ticket.created_at, Ticket.resolved_at).label("value"),
    ).where(
        Ticket.resolved_at >= first, Ticket.resolved_at < after, *ticket_filters(filters, actor)
    )
    by_key, overall = spread(pairs)
    columns = [
        Column("group", str(GROUP_LABELS[group])),
        Column("tickets", str(_l("Tickets resolved")), "count"),
        Column("average", str(_l("Average hours")), "hours"),
        Column("median", str(_l("Median hours")), "hours"),
    ]
    return Result(
        columns=columns,
        rows=_rows(group, by_key, columns),
        figures=[
            Figure(str(_l("Tickets resolved")), overall.count),
            Figure(str(_l("Average hours")), overall.mean, "hours"),
            Figure(str(_l("Median hours")), overall.median, "hours"),
        ],
        chart=Chart("hbar", "group", ("median",)),
    )


def first_response_time(filters, actor) -> Result:
    first, after = filters.moments()
    group = filters.group or "agent"
    key = KEYS[group]
    if group == "agent":
        # The colleague who answered first; a ticket nobody answered counts for its assignee.
        key = sa.func.coalesce(Ticket.first_responder_id, Ticket.owner_id)
    unanswered = Ticket.first_responded_at.is_(None)
    is_done = Ticket.status.in_([TicketStatus.RESOLVED, TicketStatus.CLOSED])
    pairs = sa.select(
        key.label("key"),
        # A ticket resolved without any public reply has no time, and is not waiting.
        hours_between(Ticket.created_at, Ticket.first_responded_at).label("value"),
        sa.case((sa.and_(unanswered, ~is_done), 1), else_=0).label("waiting"),
        sa.case((sa.and_(unanswered, is_done), 1), else_=0).label("unanswered"),
    ).where(Ticket.created_at >= first, Ticket.created_at < after, *ticket_filters(filters, actor))
    by_key, overall = spread(pairs, extra=("waiting", "unanswered"))
    notes = []
    if overall.extra["unanswered"]:
        notes.append(
            ngettext(
                "%(num)d ticket was resolved without a public reply: it has no time and is "
                "not waiting.",
                "%(num)d tickets were resolved without a public reply: they have no time and "
                "are not waiting.",
                overall.extra["unanswered"],
            )
        )
    if group == "agent":
        notes.append(
            gettext(
                "Answered tickets count for the colleague who wrote the first public reply; "
                "tickets still waiting count for their assignee."
            )
        )
    columns = [
        Column("group", str(GROUP_LABELS[group])),
        Column("created", str(_l("Tickets created")), "count"),
        Column("tickets", str(_l("Answered")), "count"),
        Column("average", str(_l("Average hours")), "hours"),
        Column("median", str(_l("Median hours")), "hours"),
        Column("waiting", str(_l("Waiting for a first reply")), "count"),
    ]
    return Result(
        columns=columns,
        rows=_rows(group, by_key, columns),
        figures=[
            Figure(str(_l("Tickets created")), overall.rows),
            Figure(str(_l("Average hours")), overall.mean, "hours"),
            Figure(str(_l("Median hours")), overall.median, "hours"),
            Figure(str(_l("Waiting for a first reply")), overall.extra["waiting"]),
        ],
        chart=Chart("hbar", "group", ("median",)),
        notes=notes,
    )
