"""Bulk actions on the ticked rows of a ticket queue: assign to a colleague (or to oneself),
resolve or close. Each ticket goes through the same service function as one by one, with its
own permission check; those the actor may not change (or that cannot move so: a closed
ticket cannot be resolved) are skipped and counted."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.identity import User
from app.models.service import Ticket, TicketStatus
from app.services import tickets
from app.services.validation import RecordInvalid

MAX_TICKETS = 500
ACTIONS = ("assign", "resolve", "close")


@dataclasses.dataclass
class Outcome:
    changed: int = 0
    skipped: int = 0


def _tickets(ids) -> tuple[list[Ticket], int]:
    """The tickets named by `ids` (at most MAX_TICKETS) and how many ids named none."""
    wanted = sorted({int(i) for i in ids if str(i).strip().isdigit()})[:MAX_TICKETS]
    found = (
        list(db.session.scalars(sa.select(Ticket).where(Ticket.id.in_(wanted)).order_by(Ticket.id)))
        if wanted
        else []
    )
    return found, len({str(i) for i in ids}) - len(found)


def _assignee(user_id) -> int | None:
    user = db.session.get(User, int(user_id)) if str(user_id or "").isdigit() else None
    if user is None or not user.is_active or not permissions.can(user, "edit", "ticket"):
        raise RecordInvalid(
            {"owner_id": gettext("Choose an active colleague who works on tickets.")}
        )
    return user.id


def apply(actor, ids, action: str, assignee_id=None) -> Outcome:
    """Do `action` ("assign" to `assignee_id`, "resolve" or "close") to each ticket; only
    flushes. RecordInvalid (nothing changed) when the assignee is not one."""
    if action not in ACTIONS:
        raise RecordInvalid({"action": gettext("Choose what to do with the ticked tickets.")})
    if action == "assign":
        assignee_id = _assignee(assignee_id)
    found, missing = _tickets(ids)
    outcome = Outcome(skipped=missing)
    for ticket in found:
        if not permissions.can(actor, "read", "ticket", ticket):
            outcome.skipped += 1
            continue
        try:
            if action == "assign":
                tickets.assign(ticket, actor, assignee_id)
            else:
                status = TicketStatus.RESOLVED if action == "resolve" else TicketStatus.CLOSED
                if ticket.status is status:
                    outcome.skipped += 1
                    continue
                tickets.set_status(ticket, actor, status)
        except (permissions.PermissionDenied, RecordInvalid):
            outcome.skipped += 1
        else:
            outcome.changed += 1
    db.session.flush()
    return outcome
