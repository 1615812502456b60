"""Tickets over the API: list (filtered, searched), show, log one, change it, move it to a
status, assign it, and read or add to its conversation.

Every rule lives in app.services.tickets (the same functions the ticket pages call). API
tokens belong to colleagues, so the conversation includes internal notes, each flagged
`is_internal`.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.service import (
    Ticket,
    TicketChannel,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from app.services import search, tickets
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_tickets", __name__, tag="Tickets", description="Service tickets and their conversation."
)
bp.register_error_handler(RecordInvalid, record_invalid_response)


class TicketUpdateSchema(ma.Schema):
    """PATCH: only the fields sent change (assign with /assign, move with /status)."""

    subject = ma.fields.String()
    description = ma.fields.String()
    customer_id = ma.fields.Integer(allow_none=True)
    contact_id = ma.fields.Integer(allow_none=True)
    priority = ma.fields.Enum(TicketPriority, by_value=True)
    channel = ma.fields.Enum(TicketChannel, by_value=True)
    category_id = ma.fields.Integer(allow_none=True)
    team_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The queue; empty for the category's team."}
    )


class TicketWriteSchema(TicketUpdateSchema):
    """The fields a caller may set when logging a ticket."""

    subject = ma.fields.String(required=True)
    owner_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The assignee; null leaves it in the queue."}
    )


class TicketSchema(TicketWriteSchema):
    """A ticket as the API shows it; `owner_id` is the assignee."""

    id = ma.fields.Integer()
    number = ma.fields.String(metadata={"description": "e.g. T-000123"})
    status = ma.fields.Enum(TicketStatus, by_value=True)
    merged_into_id = ma.fields.Integer(allow_none=True)
    first_response_due_at = ma.fields.DateTime(allow_none=True)
    resolution_due_at = ma.fields.DateTime(allow_none=True)
    first_responded_at = ma.fields.DateTime(allow_none=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    last_customer_reply_at = ma.fields.DateTime(allow_none=True)
    last_agent_reply_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class TicketStatusSchema(ma.Schema):
    status = ma.fields.Enum(TicketStatus, by_value=True, required=True)


class TicketAssignSchema(ma.Schema):
    owner_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: back to the queue."}
    )


class TicketCommentWriteSchema(ma.Schema):
    body = ma.fields.String(required=True)
    is_internal = ma.fields.Boolean(
        load_default=False, metadata={"description": "An internal note (staff only)."}
    )


class TicketCommentSchema(TicketCommentWriteSchema):
    id = ma.fields.Integer()
    ticket_id = ma.fields.Integer()
    author_user_id = ma.fields.Integer(allow_none=True)
    author_contact_id = ma.fields.Integer(allow_none=True)
    author_name = ma.fields.String()
    channel = ma.fields.Enum(TicketChannel, by_value=True, allow_none=True)
    created_at = ma.fields.DateTime()


class TicketListArgs(ListArgs):
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    status = ma.fields.Enum(TicketStatus, by_value=True)
    priority = ma.fields.Enum(TicketPriority, by_value=True)
    customer_id = ma.fields.Integer()
    assignee_id = ma.fields.Integer(metadata={"description": "0: unassigned tickets."})
    team_id = ma.fields.Integer()


@bp.get("/tickets")
@paginated(bp, TicketListArgs, TicketSchema)
def index(args):
    """Tickets the caller may see, filtered and searched, in id order."""
    user = acting_user()
    query = sa.select(Ticket).where(
        permissions.visible(user, "ticket", Ticket.owner_id, team_column=Ticket.team_id)
    )
    for name in ("status", "priority", "customer_id", "team_id"):
        if args.get(name) is not None:
            query = query.where(getattr(Ticket, name) == args[name])
    if args.get("assignee_id") is not None:
        assignee = args["assignee_id"] or None
        query = query.where(
            Ticket.owner_id.is_(None) if assignee is None else Ticket.owner_id == assignee
        )
    match = search.matches(Ticket, args.get("q"), db.session.get_bind().dialect.name)
    if match is not None:
        query = query.where(match)
    return paginate(query, Ticket.id, args)


@bp.get("/tickets/<int:ticket_id>")
@bp.response(200, TicketSchema)
def show(ticket_id: int):
    """One ticket."""
    return readable_record(Ticket, ticket_id, "ticket")


@bp.post("/tickets")
@bp.arguments(TicketWriteSchema)
@bp.response(201, TicketSchema)
def create(data):
    """Log a ticket (a call, a chat, a social post: say so in `channel`)."""
    ticket = tickets.create_ticket(acting_user(), **data)
    db.session.commit()
    return ticket


@bp.patch("/tickets/<int:ticket_id>")
@bp.arguments(TicketUpdateSchema)
@bp.response(200, TicketSchema)
def update(changes, ticket_id: int):
    """Change a ticket's subject, description, customer, priority, channel, category or team."""
    ticket = readable_record(Ticket, ticket_id, "ticket")
    tickets.update_ticket(ticket, acting_user(), **changes)
    db.session.commit()
    return ticket


@bp.post("/tickets/<int:ticket_id>/status")
@bp.arguments(TicketStatusSchema)
@bp.response(200, TicketSchema)
def set_status(data, ticket_id: int):
    """Move a ticket to a status (a closed ticket only reopens as OPEN)."""
    ticket = readable_record(Ticket, ticket_id, "ticket")
    tickets.set_status(ticket, acting_user(), data["status"])
    db.session.commit()
    return ticket


@bp.post("/tickets/<int:ticket_id>/assign")
@bp.arguments(TicketAssignSchema)
@bp.response(200, TicketSchema)
def assign(data, ticket_id: int):
    """Give a ticket to a colleague, or back to its team's queue (null)."""
    ticket = readable_record(Ticket, ticket_id, "ticket")
    tickets.assign(ticket, acting_user(), data["owner_id"])
    db.session.commit()
    return ticket


@bp.get("/tickets/<int:ticket_id>/comments")
@paginated(bp, ListArgs, TicketCommentSchema)
def comments(args, ticket_id: int):
    """The conversation, oldest first, internal notes included (flagged)."""
    ticket = readable_record(Ticket, ticket_id, "ticket")
    query = sa.select(TicketComment).where(TicketComment.ticket_id == ticket.id)
    return paginate(query, TicketComment.id, args)


@bp.post("/tickets/<int:ticket_id>/comments")
@bp.arguments(TicketCommentWriteSchema)
@bp.response(201, TicketCommentSchema)
def add_comment(data, ticket_id: int):
    """A public reply (sent to the customer) or an internal note."""
    ticket = readable_record(Ticket, ticket_id, "ticket")
    comment = tickets.add_comment(ticket, acting_user(), data["body"], internal=data["is_internal"])
    db.session.commit()
    return comment
