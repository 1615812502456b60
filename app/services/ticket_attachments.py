"""Files on a ticket (or on one of its comments): checked like deal documents (allowlisted
kinds whose first bytes match, at most 10 MB; the client's content type is ignored), stored
outside the web root under a random name, and served by the pages only to those who may
read the ticket, always as a download.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Contact
from app.models.service import Ticket, TicketAttachment, TicketComment
from app.services import uploads

MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
ATTACHMENTS_FOLDER = "ticket_attachments"
# Deal documents' kinds, plus what customers send with a problem: forwarded emails, logs
# and web pages (kept as text; the pages serve every file as a download, never inline).
ATTACHMENT_TYPES: uploads.FileTypes = uploads.DOCUMENT_TYPES | {
    "eml": ("message/rfc822", None),
    "log": ("text/plain; charset=utf-8", None),
    "html": ("text/html; charset=utf-8", None),
    "htm": ("text/html; charset=utf-8", None),
}


def save_attachment(
    ticket: Ticket,
    filename: str,
    stream,
    actor=None,
    by_contact: Contact | None = None,
    comment: TicketComment | None = None,
) -> TicketAttachment:
    """Attach an upload to `ticket` (and `comment`), from a colleague who may edit the
    ticket (actor) or from the customer's contact (by_contact, actor None);
    RecordInvalid({"file": ...}) when the file is refused."""
    if actor is not None:
        permissions.require(actor, "edit", "ticket", ticket)
    elif by_contact is None:
        raise ValueError("a file is attached by a colleague or by a customer's contact")
    elif not _contact_may_attach(ticket, by_contact):
        raise permissions.PermissionDenied()
    if comment is not None and comment.ticket_id != ticket.id:
        raise ValueError("the comment is not on this ticket")
    checked = uploads.check_upload(filename, stream, ATTACHMENT_TYPES, MAX_ATTACHMENT_SIZE)
    attachment = TicketAttachment(
        ticket_id=ticket.id,
        comment_id=comment.id if comment is not None else None,
        filename=checked.filename,
        stored_name=uploads.store(ATTACHMENTS_FOLDER, checked.content),
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by_user_id=getattr(actor, "id", None),
        uploaded_by_contact_id=by_contact.id if actor is None else None,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _contact_may_attach(ticket: Ticket, contact: Contact) -> bool:
    if ticket.contact_id == contact.id:
        return True
    return ticket.customer_id is not None and contact.customer_id == ticket.customer_id


def attachments_of(ticket: Ticket, include_internal: bool = True) -> list[TicketAttachment]:
    """The ticket's files, oldest first; without those of internal notes for customers."""
    query = sa.select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
    if not include_internal:
        internal = sa.select(TicketComment.id).where(TicketComment.is_internal.is_(True))
        column = TicketAttachment.comment_id
        query = query.where(sa.or_(column.is_(None), column.not_in(internal)))
    return list(db.session.scalars(query.order_by(TicketAttachment.id)))


def attachment_of(ticket: Ticket, attachment_id: int) -> TicketAttachment | None:
    """The attachment with this id if it belongs to `ticket`."""
    attachment = db.session.get(TicketAttachment, attachment_id)
    return attachment if attachment is not None and attachment.ticket_id == ticket.id else None


def attachment_path(attachment: TicketAttachment) -> str:
    """Where the file is on disk (outside the web root)."""
    return uploads.stored_path(ATTACHMENTS_FOLDER, attachment.stored_name)


def download_name(attachment: TicketAttachment) -> str:
    """A name safe to offer in Content-Disposition: the stored (already cleaned) name, or a
    neutral one when nothing is left of it."""
    name = uploads.clean_filename(attachment.filename).lstrip(".")
    return name or f"attachment-{attachment.id}"
