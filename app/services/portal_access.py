"""The one place that says what a portal user may see. Every portal page asks here and
answers 404 for anything else.

- Tickets: a company admin sees every ticket of their customer; any portal user sees the
  tickets where they are the contact. Only the public conversation: internal notes and the
  files on them never.
- Quotes and orders: those of their customer; a company admin sees all of them, others only
  those addressed to them (the document's contact_id). Draft quotes never.
- Knowledge base: published public articles only.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Contact
from app.models.orders import Order, Quote, QuoteStatus
from app.models.service import (
    ArticleStatus,
    ArticleVisibility,
    KbArticle,
    PortalUser,
    Ticket,
    TicketAttachment,
    TicketComment,
)
from app.services import ticket_attachments, tickets


def _contact(portal_user: PortalUser) -> Contact | None:
    return db.session.get(Contact, portal_user.contact_id)


def _documents(portal_user: PortalUser, model):
    """Which quotes or orders (`model`) the portal user may see, as a WHERE clause."""
    contact = _contact(portal_user)
    if contact is None or contact.customer_id is None:
        return sa.false()
    of_customer = model.customer_id == contact.customer_id
    if portal_user.is_company_admin:
        return of_customer
    return sa.and_(of_customer, model.contact_id == contact.id)


def tickets_filter(portal_user: PortalUser):
    """Which tickets the portal user may see, as a WHERE clause."""
    contact = _contact(portal_user)
    if contact is None:
        return sa.false()
    own = Ticket.contact_id == contact.id
    if portal_user.is_company_admin and contact.customer_id is not None:
        return sa.or_(own, Ticket.customer_id == contact.customer_id)
    return own


def quotes_filter(portal_user: PortalUser):
    return sa.and_(_documents(portal_user, Quote), Quote.status != QuoteStatus.DRAFT)


def orders_filter(portal_user: PortalUser):
    return _documents(portal_user, Order)


def tickets_query(portal_user: PortalUser) -> sa.Select:
    return sa.select(Ticket).where(tickets_filter(portal_user))


def quotes_query(portal_user: PortalUser) -> sa.Select:
    return sa.select(Quote).where(quotes_filter(portal_user))


def orders_query(portal_user: PortalUser) -> sa.Select:
    return sa.select(Order).where(orders_filter(portal_user))


def _one(query: sa.Select, model, record_id: int):
    return db.session.scalar(query.where(model.id == record_id))


def ticket(portal_user: PortalUser, ticket_id: int) -> Ticket | None:
    return _one(tickets_query(portal_user), Ticket, ticket_id)


def quote(portal_user: PortalUser, quote_id: int) -> Quote | None:
    return _one(quotes_query(portal_user), Quote, quote_id)


def order(portal_user: PortalUser, order_id: int) -> Order | None:
    return _one(orders_query(portal_user), Order, order_id)


def conversation(visible_ticket: Ticket) -> list[TicketComment]:
    """The public comments of a ticket the portal user may see (never internal notes)."""
    return tickets.comments_of(visible_ticket, include_internal=False)


def attachments(visible_ticket: Ticket) -> list[TicketAttachment]:
    """The files of a ticket the portal user may see, without those of internal notes."""
    return ticket_attachments.attachments_of(visible_ticket, include_internal=False)


def attachment(portal_user: PortalUser, ticket_id: int, attachment_id: int):
    """(ticket, attachment) when both are the portal user's to see, else None."""
    found = ticket(portal_user, ticket_id)
    if found is None:
        return None
    for candidate in attachments(found):
        if candidate.id == attachment_id:
            return found, candidate
    return None


def article(article_id: int) -> KbArticle | None:
    """A published public article, else None."""
    found = db.session.get(KbArticle, article_id)
    if (
        found is None
        or found.status is not ArticleStatus.PUBLISHED
        or found.visibility is not ArticleVisibility.PUBLIC
    ):
        return None
    return found
