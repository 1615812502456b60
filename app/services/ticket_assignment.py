"""Who gets a new ticket: a ticket opened without an assignee, in a category that asks for
round-robin and names a team, goes in turn to that team's active support agents (users of
the SUPPORT role who may edit tickets: managers and sales colleagues of the team are not
dealt tickets, though they may pick them up). It also lands in the category's team queue
when it has none.

A ticket opened with an assignee, in a category without round-robin, or routed explicitly
to another team's queue keeps what it came with; a team with no active agent leaves it
unassigned in the queue.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app import permissions
from app.extensions import db
from app.models.identity import Role, User
from app.models.service import Ticket, TicketCategory, TicketRoundRobin
from app.services import tickets


@tickets.subscribe
def on_ticket_event(event: str, ticket: Ticket, **details) -> None:
    if event == "created":
        assign_new(ticket)


def assign_new(ticket: Ticket) -> int | None:
    """Apply the category's routing to a just-opened ticket; the agent given, or None."""
    if ticket.category_id is None:
        return None
    category = db.session.get(TicketCategory, ticket.category_id)
    if category is None or category.team_id is None:
        return None
    if ticket.team_id is None:
        ticket.team_id = category.team_id
    if (
        ticket.owner_id is not None
        or not category.round_robin
        or ticket.team_id != category.team_id
    ):
        return None
    agent_id = next_agent(category.team_id)
    if agent_id is None:
        return None
    ticket.owner_id = agent_id
    db.session.flush()
    tickets.emit("assigned", ticket, previous=None)
    return agent_id


def agents_of(team_id: int) -> list[int]:
    """The ids of the team's active support agents who may work tickets, in id order."""
    members = db.session.scalars(
        sa.select(User)
        .where(User.team_id == team_id, User.is_active.is_(True), User.role == Role.SUPPORT)
        .order_by(User.id)
    )
    return [user.id for user in members if permissions.can(user, "edit", "ticket")]


def next_agent(team_id: int) -> int | None:
    """The agent after the one who got the team's last ticket (recorded as the new last),
    or None when the team has none.

    The team's TicketRoundRobin row is created if missing and locked before it is read
    (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the insert takes the write lock), so two
    tickets arriving together go to two agents, as lead_assignment does for leads."""
    agents = agents_of(team_id)
    if not agents:
        return None
    _ensure_row(team_id)
    where = TicketRoundRobin.team_id == team_id
    last = db.session.scalar(
        sa.select(TicketRoundRobin.last_user_id).where(where).with_for_update()
    )
    chosen = next((agent for agent in agents if agent > (last or 0)), agents[0])
    db.session.execute(
        sa.update(TicketRoundRobin).where(where).values(last_user_id=chosen),
        execution_options={"synchronize_session": False},
    )
    return chosen


def _ensure_row(team_id: int) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        where = TicketRoundRobin.team_id == team_id
        if db.session.scalar(sa.select(TicketRoundRobin.team_id).where(where)) is None:
            db.session.execute(sa.insert(TicketRoundRobin.__table__).values(team_id=team_id))
        return
    db.session.execute(
        insert(TicketRoundRobin.__table__)
        .values(team_id=team_id, last_user_id=None)
        .on_conflict_do_nothing(index_elements=["team_id"])
    )
