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
