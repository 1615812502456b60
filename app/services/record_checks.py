"""Field checks every record service shares (customers, contacts, and what comes later), so
bad input is refused with the same specific messages everywhere: each check reads one field
from the submitted values and records a translatable message in `errors` when it is wrong.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.identity import User
from app.services import custom_fields

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def check_text(fields: dict, name: str, limit: int, errors: dict, required_message=None):
    """The stripped text of `fields[name]`; records an error when too long or missing."""
    value = fields.get(name)
    text = "" if value is None else " ".join(str(value).split())
    if required_message and not text:
        errors[name] = required_message
    elif len(text) > limit:
        errors[name] = gettext("Use at most %(max)d characters.", max=limit)
    return text


def check_link(actor, model, entity: str, raw, errors: dict, key: str, message: str):
    """The id of a linked record `actor` may edit (one message for "none" and "not yours")."""
    if raw in (None, ""):
        return None
    try:
        record = db.session.get(model, int(raw))
    except (TypeError, ValueError):
        record = None
    if record is None or not permissions.can(actor, "edit", entity, record):
        errors[key] = message
        return None
    return record.id


def check_email(fields: dict, name: str, errors: dict) -> str:
    """An email address (or empty); a value without the shape name@domain.tld is refused."""
    email = check_text(fields, name, 254, errors)
    if email and name not in errors and not _EMAIL.match(email):
        errors[name] = gettext("Enter a valid email address, like name@example.com.")
    return email


def check_website(fields: dict, errors: dict) -> str:
    """An http(s) address (or empty): javascript:, data: and other schemes are refused."""
    url = check_text(fields, "website", 255, errors)
    if not url or "website" in errors:
        return url
    if "://" not in url and ":" not in url.split("/")[0]:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        errors["website"] = gettext("Enter a web address starting with http:// or https://.")
    return url


def check_enum(enum_cls, fields: dict, name: str, errors: dict):
    """The member of `enum_cls` named by `fields[name]` (None when empty)."""
    value = fields.get(name)
    if value is None or value == "" or isinstance(value, enum_cls):
        return value or None
    try:
        return enum_cls(str(value).strip().upper())
    except ValueError:
        choices = ", ".join(member.value.lower() for member in enum_cls)
        errors[name] = gettext("Choose one of: %(choices)s.", choices=choices)
        return None


def assignable_owner(actor, entity: str, owner_id) -> bool:
    """Whether `actor` may make `owner_id` a record's owner: themselves always; anyone
    active with the edit scope ALL; an active member of their own team with scope TEAM."""
    if owner_id == actor.id:
        return True
    owner = db.session.get(User, owner_id) if isinstance(owner_id, int) else None
    if owner is None or not owner.is_active:
        return False
    scope = permissions.scope_for(actor, entity, "edit")
    if scope is permissions.Scope.ALL:
        return True
    return (
        scope is permissions.Scope.TEAM
        and actor.team_id is not None
        and owner.team_id == actor.team_id
    )


def check_owner(actor, entity: str, fields: dict, errors: dict, current: int | None):
    """The owner to store: the given one if `actor` may assign them, else an error."""
    if "owner_id" not in fields or fields["owner_id"] in (None, ""):
        return current if current is not None else actor.id
    try:
        owner_id = int(fields["owner_id"])
    except (TypeError, ValueError):
        owner_id = None
    if owner_id != current and not assignable_owner(actor, entity, owner_id):
        errors["owner_id"] = gettext("Choose an active user you may assign records to.")
        return current
    return owner_id


def check_custom(
    entity: str, fields: dict, errors: dict, partial: bool, definitions: list | None = None
) -> dict | None:
    """Validated custom values (None when not given on an update). `definitions`, the
    entity's active custom fields, saves reading them again for every row of an import."""
    if "custom" not in fields and partial:
        return None
    raw = fields.get("custom") or {}
    clean, problems = custom_fields.validate_values(entity, raw, partial, definitions)
    errors.update({f"custom.{key}": message for key, message in problems.items()})
    return clean


def assignable_users(actor, entity: str, limit: int = 500) -> list[sa.Row]:
    """The (id, name) of the active users `actor` may make owners of `entity` records, by
    name, for a picker (rows, not whole users: a list page shows hundreds of them)."""
    scope = permissions.scope_for(actor, entity, "edit")
    query = sa.select(User.id, User.name).where(User.is_active.is_(True))
    if scope is permissions.Scope.TEAM and actor.team_id is not None:
        query = query.where(sa.or_(User.team_id == actor.team_id, User.id == actor.id))
    elif scope is not permissions.Scope.ALL:
        query = query.where(User.id == actor.id)
    return list(db.session.execute(query.order_by(User.name, User.id).limit(limit)))


def owner_names(records) -> dict[int, str]:
    """The names of the owners of `records`, in one query for a whole page."""
    ids = {record.owner_id for record in records if record.owner_id}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids)))
    return dict(rows.tuples().all())
