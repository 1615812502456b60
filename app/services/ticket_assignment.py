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

from app import permissions
from app.extensions import db
from app.models.identity import Role, User
from app.models.service import Ticket, TicketCategory, TicketRoundRobin
from app.services import round_robin, tickets


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
    or None when the team has none; tickets keep their own turn, apart from the leads'
    (see round_robin)."""
    return round_robin.take_turn(TicketRoundRobin, team_id, agents_of(team_id))
