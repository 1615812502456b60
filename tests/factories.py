"""Factories: plain functions that build and flush valid records with sensible defaults."""

from __future__ import annotations

import itertools

from app.extensions import db
from app.models.identity import Role, Team, User

PASSWORD = "correct horse battery"
NON_ADMIN_ROLES = [Role.MANAGER, Role.SALES, Role.MARKETING, Role.SUPPORT]
_seq = itertools.count(1)


def make_team(name: str | None = None) -> Team:
    team = Team(name=name or f"Team {next(_seq)}")
    db.session.add(team)
    db.session.flush()
    return team


def make_user(role: Role = Role.SALES, team: Team | None = None, **fields) -> User:
    n = next(_seq)
    user = User(
        email=fields.pop("email", f"user{n}@example.com").lower(),
        name=fields.pop("name", f"User {n}"),
        role=role,
        team=team,
        **fields,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def make_customer(owner: User, **fields):
    """A customer owned by `owner`, created through the service (so search works)."""
    from app.services import customers

    fields.setdefault("name", f"Customer {next(_seq)}")
    customer = customers.create_customer(owner, **fields)
    db.session.commit()
    return customer


def make_contact(owner: User, customer=None, **fields):
    """A contact owned by `owner`, at `customer` when given."""
    from app.services import contacts

    fields.setdefault("last_name", f"Contact {next(_seq)}")
    if customer is not None:
        fields.setdefault("customer_id", customer.id)
    contact = contacts.create_contact(owner, **fields)
    db.session.commit()
    return contact


def make_activity(owner: User, kind: str = "TASK", **fields):
    """An activity owned by `owner`, logged through the service (a task due tomorrow by
    default)."""
    from datetime import timedelta

    from app.models.base import utcnow
    from app.services import activities

    fields.setdefault("subject", f"Activity {next(_seq)}")
    if kind == "TASK":
        fields.setdefault("due_at", utcnow() + timedelta(days=1))
    if kind == "MEETING":
        fields.setdefault("occurred_at", utcnow() + timedelta(days=1))
    activity = activities.log_activity(owner, kind=kind, **fields)
    db.session.commit()
    return activity


def make_lead(owner: User, **fields):
    """A lead owned by `owner`, created through the service (so search works)."""
    from app.services import leads

    fields.setdefault("last_name", f"Lead {next(_seq)}")
    lead = leads.create_lead(owner, **fields)
    db.session.commit()
    return lead


def make_product(actor: User | None = None, **fields):
    """A product in the catalogue, created through the service by `actor` (a manager by
    default): 1,000.00 at 5 % tax unless told otherwise."""
    from decimal import Decimal

    from app.services import products

    n = next(_seq)
    actor = actor or make_user(Role.MANAGER)
    fields.setdefault("sku", f"SKU-{n}")
    fields.setdefault("name", f"Product {n}")
    fields.setdefault("unit", "pcs")
    fields.setdefault("list_price", Decimal("1000.00"))
    fields.setdefault("tax_rate", Decimal("5"))
    product = products.create_product(actor, **fields)
    db.session.commit()
    return product


def make_price_book(actor: User | None = None, **fields):
    """A price book (in USD unless told otherwise), created through the service."""
    from app.services import price_books

    actor = actor or make_user(Role.MANAGER)
    fields.setdefault("name", f"Price book {next(_seq)}")
    fields.setdefault("currency", "USD")
    book = price_books.create_price_book(actor, **fields)
    db.session.commit()
    return book


def make_assignment_rule(actor: User | None = None, **fields):
    """A lead assignment rule, created through the service by `actor` (a manager by
    default), tried after the existing ones."""
    from app.services import lead_assignment

    actor = actor or make_user(Role.MANAGER)
    fields.setdefault("name", f"Rule {next(_seq)}")
    rule = lead_assignment.create_rule(actor, **fields)
    db.session.commit()
    return rule


def make_opportunity(owner: User, customer=None, **fields):
    """An opportunity owned by `owner`, for `customer` (a new one of theirs by default)."""
    from app.services import opportunities

    if customer is None:
        customer = make_customer(owner)
    fields.setdefault("name", f"Deal {next(_seq)}")
    opportunity = opportunities.create_opportunity(owner, customer_id=customer.id, **fields)
    db.session.commit()
    return opportunity


def make_quote(owner: User, customer=None, lines=(), **fields):
    """A draft quote owned by `owner` for `customer` (a new one of theirs by default), with
    `lines` (dicts of line fields) added through the service."""
    from app.services import quotes

    if customer is None:
        customer = make_customer(owner)
    fields.setdefault("title", f"Quote {next(_seq)}")
    quote = quotes.create_quote(owner, customer_id=customer.id, **fields)
    for line in lines:
        quotes.add_line(quote, owner, **line)
    db.session.commit()
    return quote


def make_order(owner: User, customer=None, lines=(), **fields):
    """A pending order owned by `owner`, with `lines` added through the service."""
    from app.services import orders

    if customer is None:
        customer = make_customer(owner)
    order = orders.create_order(owner, customer_id=customer.id, **fields)
    for line in lines:
        orders.add_line(order, owner, **line)
    db.session.commit()
    return order


def make_ticket(actor: User | None = None, contact=None, **fields):
    """A ticket logged by `actor` (a new support agent by default), or sent by `contact`
    when actor is None."""
    from app.services import tickets

    if actor is None and contact is None:
        actor = make_user(Role.SUPPORT)
    fields.setdefault("subject", f"Ticket {next(_seq)}")
    ticket = tickets.create_ticket(actor, by_contact=contact, **fields)
    db.session.commit()
    return ticket
