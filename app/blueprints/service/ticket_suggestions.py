"""What a ticket's page loads after the rest: possible duplicates, the other tickets most
like it that the agent may read, each with a button to merge it into this ticket (the
ticket merge's own form and rules) where the agent may."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app import permissions
from app.blueprints.service import bp
from app.blueprints.service.tickets import ticket_or_404
from app.services import tickets
from app.services.predictions import similar_tickets


@bp.get("/tickets/<int:ticket_id>/similar")
def ticket_similar(ticket_id: int):
    """The possible duplicates of a ticket the user may read (404 otherwise)."""
    ticket = ticket_or_404(ticket_id)
    found = similar_tickets.similar(ticket, current_user)
    may_edit = permissions.can(current_user, "edit", "ticket", ticket)
    mergeable = {
        item.ticket.id
        for item in found
        if may_edit and similar_tickets.may_merge(ticket, item.ticket, current_user)
    }
    return render_template(
        "service/_similar_tickets.html",
        ticket=ticket,
        similar=found,
        mergeable=mergeable,
        status_labels=tickets.STATUS_LABELS,
    )
