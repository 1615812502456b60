"""Merging duplicate tickets: the same problem reported twice (a call and an email) becomes
one conversation. The duplicates' comments and files move to the target (each comment keeps
its author and time), both sides get an internal note saying what happened, and each
duplicate is closed pointing at the target.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.service import Ticket, TicketAttachment, TicketComment, TicketStatus
from app.services import tickets
from app.services.validation import RecordInvalid


def find_by_numbers(text: str) -> tuple[list[Ticket], list[str]]:
    """Tickets named in `text` ("T-000012, 13 T-14"): (found, numbers not found)."""
    found, missing = [], []
    for raw in text.replace(",", " ").replace(";", " ").split():
        digits = raw.upper().removeprefix("T-").removeprefix("T")
        number = f"T-{int(digits):0{tickets.NUMBER_WIDTH}d}" if digits.isdigit() else raw
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        if ticket is None:
            missing.append(raw)
        elif ticket not in found:
            found.append(ticket)
    return found, missing


def check(target: Ticket, duplicates: list[Ticket]) -> None:
    """Raise RecordInvalid({"numbers": ...}) when this merge may not happen."""
    if not duplicates:
        raise RecordInvalid({"numbers": gettext("Name the tickets to merge into this one.")})
    if target.merged_into_id is not None:
        raise RecordInvalid(
            {"numbers": gettext("%(number)s was itself merged into another ticket.",
                                number=target.number)}
        )  # fmt: skip
    customer_id = target.customer_id
    for duplicate in duplicates:
        if duplicate.id == target.id:
            raise RecordInvalid({"numbers": gettext("A ticket cannot be merged into itself.")})
        if duplicate.merged_into_id is not None:
            raise RecordInvalid(
                {"numbers": gettext("%(number)s is already merged into another ticket.",
                                    number=duplicate.number)}
            )  # fmt: skip
        if customer_id is None:
            customer_id = duplicate.customer_id
        elif duplicate.customer_id is not None and duplicate.customer_id != customer_id:
            raise RecordInvalid(
                {"numbers": gettext("%(number)s is another customer's ticket: only tickets of "
                                    "the same customer can be merged.", number=duplicate.number)}
            )  # fmt: skip


def merge(target: Ticket, duplicates: list[Ticket], actor) -> Ticket:
    """Merge `duplicates` into `target` (the actor must be allowed to edit all of them)."""
    permissions.require(actor, "edit", "ticket", target)
    for duplicate in duplicates:
        permissions.require(actor, "edit", "ticket", duplicate)
    check(target, duplicates)
    for duplicate in duplicates:
        _move_conversation(duplicate, target)
        tickets.add_comment(
            duplicate, actor,
            gettext("Merged into %(number)s.", number=target.number), internal=True,
        )  # fmt: skip
        if duplicate.status is not TicketStatus.CLOSED:
            tickets.set_status(duplicate, actor, TicketStatus.CLOSED)
        duplicate.merged_into_id = target.id
        if target.customer_id is None and duplicate.customer_id is not None:
            tickets.update_ticket(target, actor, customer_id=duplicate.customer_id)
        note = gettext(
            "Merged %(number)s (%(subject)s) into this ticket.",
            number=duplicate.number, subject=duplicate.subject,
        )  # fmt: skip
        if duplicate.description:
            note += "\n\n" + duplicate.description
        tickets.add_comment(target, actor, note, internal=True)
    target.updated_by_id = actor.id
    db.session.flush()
    return target


def _move_conversation(duplicate: Ticket, target: Ticket) -> None:
    """Move the comments and files (loaded, so each move is audited)."""
    for model in (TicketComment, TicketAttachment):
        for row in db.session.scalars(sa.select(model).where(model.ticket_id == duplicate.id)):
            row.ticket_id = target.id
    db.session.flush()


def merged_into(ticket: Ticket) -> Ticket | None:
    return db.session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
