"""Shared arrangements of the portal tests: two customers, each with contacts, portal
accounts and records, and signing a portal user in through the real form."""

from __future__ import annotations

import dataclasses
import io

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models.identity import Role
from app.models.service import ArticleVisibility, PortalUser
from app.services import kb, quotes, ticket_attachments, tickets
from tests.conftest import csrf_token
from tests.factories import (
    make_contact,
    make_customer,
    make_order,
    make_quote,
    make_ticket,
    make_user,
)

PORTAL_PASSWORD = "portal password 123"
LINES = [{"name": "Support hours", "quantity": "2", "unit_price": "100.00", "tax_rate": "0"}]


def make_portal_user(contact, *, admin: bool = False, locale: str = "en") -> PortalUser:
    user = PortalUser(
        contact_id=contact.id,
        email=contact.email.lower(),
        password_hash=generate_password_hash(PORTAL_PASSWORD),
        is_company_admin=admin,
        locale=locale,
    )
    db.session.add(user)
    db.session.commit()
    return user


def portal_login(client, portal_user, password: str = PORTAL_PASSWORD):
    response = client.post(
        "/portal/login",
        data={
            "email": portal_user.email,
            "password": password,
            "csrf_token": csrf_token(client, "/portal/login"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@dataclasses.dataclass
class Company:
    """One customer's records, as the portal would show them."""

    customer: object
    contact: object
    colleague: object
    portal_user: PortalUser
    ticket: object
    colleague_ticket: object
    note_attachment: object
    public_attachment: object
    quote: object
    draft_quote: object
    order: object


def make_company(name: str, agent, rep, *, admin: bool = False) -> Company:
    """A customer `name` with two contacts, a portal account for the first, a ticket of each
    contact (one with a public file and a file on an internal note), a sent quote, a draft
    quote and an order addressed to the first contact."""
    customer = make_customer(rep, name=f"{name} Corp")
    contact = make_contact(rep, customer, first_name=name, last_name="Buyer",
                           email=f"buyer@{name.lower()}.example")  # fmt: skip
    colleague = make_contact(rep, customer, first_name=name, last_name="Colleague",
                             email=f"colleague@{name.lower()}.example")  # fmt: skip
    portal_user = make_portal_user(contact, admin=admin)
    ticket = make_ticket(None, contact, subject=f"{name} printer jam",
                         description=f"{name} secret description")  # fmt: skip
    tickets.add_comment(ticket, agent, f"{name} public answer")
    note = tickets.add_comment(ticket, agent, f"{name} internal note", internal=True)
    public_file = ticket_attachments.save_attachment(
        ticket, f"{name}-public.txt", io.BytesIO(f"{name} public file".encode()), actor=agent
    )
    note_file = ticket_attachments.save_attachment(
        ticket, f"{name}-note.txt", io.BytesIO(b"internal"), actor=agent, comment=note
    )
    colleague_ticket = make_ticket(None, colleague, subject=f"{name} colleague question")
    quote = make_quote(rep, customer, lines=LINES, title=f"{name} quote", contact_id=contact.id)
    quotes.mark_sent(quote, rep)
    draft = make_quote(rep, customer, lines=LINES, title=f"{name} draft", contact_id=contact.id)
    order = make_order(rep, customer, lines=LINES, contact_id=contact.id)
    db.session.commit()
    return Company(customer, contact, colleague, portal_user, ticket, colleague_ticket,
                   note_file, public_file, quote, draft, order)  # fmt: skip


def make_article(author, title: str, *, visibility=ArticleVisibility.PUBLIC, publish=True,
                 language: str = "en", body: str = "How to clear a paper jam."):  # fmt: skip
    article = kb.create_article(author, title=title, body=body, language=language,
                                visibility=visibility.value)  # fmt: skip
    if publish:
        kb.publish(article, author)
    db.session.commit()
    return article


def staff():
    """(a support agent, a sales rep)."""
    return make_user(Role.SUPPORT), make_user(Role.SALES)
