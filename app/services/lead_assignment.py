"""Who gets a new lead: assignment rules (by source, industry and territory) checked in
order, giving the lead to one user or round-robin to the active members of a team; and
the rules' own upkeep (create, change, delete, reorder), for managers and administrators.

A lead that no rule matches keeps the owner it came with (the person who entered it, or
none for a web form or import without one): nothing is guessed.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.identity import Team, User
from app.models.sales import AssignmentRule, Lead, LeadSource, RoundRobinCursor
from app.services import round_robin
from app.services.record_checks import check_enum, check_text
from app.services.validation import RecordInvalid

TEXT_LIMITS = {"name": 120, "industry": 80, "region": 100}
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_FIELDS = {"name", "is_active", "source", "industry", "country", "region", "user_id", "team_id"}


def rules_in_order() -> list[AssignmentRule]:
    """Every rule, in the order they are tried (position, then id)."""
    query = sa.select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)
    return list(db.session.scalars(query))


def matches(rule: AssignmentRule, lead: Lead) -> bool:
    """Whether every condition the rule sets holds for `lead` (an empty one matches anything);
    industry and region compare without regard to case."""
    if rule.source is not None and rule.source != lead.source:
        return False
    for name in ("industry", "region"):
        wanted = (getattr(rule, name) or "").strip().casefold()
        if wanted and wanted != (getattr(lead, name) or "").strip().casefold():
            return False
    return not rule.country or rule.country.upper() == (lead.country or "").upper()


def assign(lead: Lead) -> None:
    """Give `lead` (owner and team) to the first active rule that matches it and can take it:
    its user, when active, or the next active member of its team in turn. A rule whose user
    is inactive or whose team has no active member is passed over. When no rule takes the
    lead, its owner and team stay as they are. Nothing is flushed here, so a new lead is
    written (and audited) once, with its owner."""
    with db.session.no_autoflush:
        active = sa.select(AssignmentRule).where(AssignmentRule.is_active.is_(True))
        ordered = active.order_by(AssignmentRule.position, AssignmentRule.id)
        for rule in db.session.scalars(ordered).all():
            if matches(rule, lead) and _give(rule, lead):
                return


def _give(rule: AssignmentRule, lead: Lead) -> bool:
    if rule.user_id is not None:
        user = db.session.get(User, rule.user_id)
        if user is None or not user.is_active:
            return False
        lead.owner_id, lead.team_id = user.id, user.team_id
        return True
    owner_id = next_in_turn(rule.team_id) if rule.team_id is not None else None
    if owner_id is None:
        return False
    lead.owner_id, lead.team_id = owner_id, rule.team_id
    return True


def next_in_turn(team_id: int) -> int | None:
    """The active member of the team (by user id) after the one who got its last lead,
    recorded as the new last; None when the team has no active member (see round_robin)."""
    members = list(
        db.session.scalars(
            sa.select(User.id)
            .where(User.team_id == team_id, User.is_active.is_(True))
            .order_by(User.id)
        )
    )
    return round_robin.take_turn(RoundRobinCursor, team_id, members)


def _check(fields: dict, rule: AssignmentRule) -> dict:
    """Every given field checked against the rule as it would become; RecordInvalid lists
    every problem at once."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown assignment rule fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    for name, limit in TEXT_LIMITS.items():
        if name in fields:
            required = gettext("Enter a name for the rule.") if name == "name" else None
            values[name] = check_text(fields, name, limit, errors, required)
    if "name" not in fields and not rule.name:
        errors["name"] = gettext("Enter a name for the rule.")
    if "country" in fields:
        country = check_text(fields, "country", 2, errors).upper()
        if country and not _COUNTRY.match(country):
            errors["country"] = gettext("Enter a two-letter country code, like TW or US.")
        values["country"] = country
    if "source" in fields:
        values["source"] = check_enum(LeadSource, fields, "source", errors)
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    for name in ("user_id", "team_id"):
        if name in fields:
            values[name] = _reference(fields[name], name, errors)
    user_id = values.get("user_id", rule.user_id)
    team_id = values.get("team_id", rule.team_id)
    if "user_id" not in errors and "team_id" not in errors:
        if user_id is None and team_id is None:
            errors["user_id"] = gettext("Choose a user or a team to give the leads to.")
        elif user_id is not None and team_id is not None:
            errors["team_id"] = gettext("Choose a user or a team, not both.")
    if errors:
        raise RecordInvalid(errors)
    return values


def _reference(value, name: str, errors: dict) -> int | None:
    """An existing (and for users active) user or team id, or None when empty."""
    if value in (None, ""):
        return None
    try:
        ident = int(value)
    except (TypeError, ValueError):
        ident = None
    if name == "user_id":
        user = db.session.get(User, ident) if ident is not None else None
        if user is None or not user.is_active:
            errors[name] = gettext("Choose an active user.")
            return None
    elif ident is None or db.session.get(Team, ident) is None:
        errors[name] = gettext("Choose an existing team.")
        return None
    return ident


def create_rule(actor, **fields) -> AssignmentRule:
    """Add a rule, tried after the existing ones; RecordInvalid lists every bad field."""
    permissions.require(actor, "create", "assignment_rule")
    rule = AssignmentRule(name="", industry="", country="", region="")
    values = _check({"name": "", **fields}, rule)
    for name, value in values.items():
        setattr(rule, name, value)
    last = db.session.scalar(sa.select(sa.func.max(AssignmentRule.position)))
    rule.position = 0 if last is None else last + 1
    db.session.add(rule)
    db.session.flush()
    return rule


def update_rule(rule: AssignmentRule, actor, **fields) -> AssignmentRule:
    """Change the given fields of a rule (the others, and its place, stay)."""
    permissions.require(actor, "edit", "assignment_rule", rule)
    for name, value in _check(fields, rule).items():
        if getattr(rule, name) != value:
            setattr(rule, name, value)
    db.session.flush()
    return rule


def delete_rule(rule: AssignmentRule, actor) -> None:
    """Delete a rule; leads it assigned keep their owners."""
    permissions.require(actor, "delete", "assignment_rule", rule)
    db.session.delete(rule)
    db.session.flush()


def move(rule: AssignmentRule, actor, direction: str) -> AssignmentRule:
    """Move a rule one place up (tried earlier) or down; the ends stay where they are.
    Positions are renumbered 0..n on the way, so ties left by older data disappear."""
    permissions.require(actor, "edit", "assignment_rule", rule)
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be up or down, not {direction!r}")
    ordered = rules_in_order()
    at = ordered.index(rule)
    other = at - 1 if direction == "up" else at + 1
    if 0 <= other < len(ordered):
        ordered[at], ordered[other] = ordered[other], ordered[at]
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
    db.session.flush()
    return rule
