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
