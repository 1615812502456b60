"""Saved views: a user's named searches of a list (the filters and sort as a query string),
private to that user."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask_babel import gettext

from app.extensions import db
from app.models.customers import SavedView
from app.services.validation import RecordInvalid

ENTITIES = ("customers", "contacts", "leads")
MAX_NAME_LENGTH = 80
MAX_QUERY_LENGTH = 2000
# Where a list is, not what it shows: never part of a saved view.
_TRANSIENT = {"cursor", "view", "csrf_token"}


def views_for(user, entity: str) -> list[SavedView]:
    """The user's saved views of the `entity` list, by name."""
    query = (
        sa.select(SavedView)
        .where(SavedView.user_id == user.id, SavedView.entity == entity)
        .order_by(SavedView.name, SavedView.id)
    )
    return list(db.session.scalars(query))


def clean_query(query: str) -> str:
    """The query string without paging parameters."""
    pairs = [(k, v) for k, v in parse_qsl(query or "") if k not in _TRANSIENT and v]
    return urlencode(pairs)


def save_view(user, entity: str, name: str, query: str) -> SavedView:
    """Save (or overwrite, under the same name) the user's view of a list."""
    if entity not in ENTITIES:
        raise RecordInvalid({"entity": gettext("Unknown list.")})
    name = " ".join((name or "").split())
    query = clean_query(query)
    if not name:
        raise RecordInvalid({"name": gettext("Enter a name for this view.")})
    if len(name) > MAX_NAME_LENGTH:
        raise RecordInvalid(
            {"name": gettext("Use at most %(max)d characters.", max=MAX_NAME_LENGTH)}
        )
    if len(query) > MAX_QUERY_LENGTH:
        raise RecordInvalid({"query": gettext("This view has too many filters to save.")})
    view = db.session.scalar(
        sa.select(SavedView).where(
            SavedView.user_id == user.id, SavedView.entity == entity, SavedView.name == name
        )
    )
    if view is None:
        view = SavedView(user_id=user.id, entity=entity, name=name)
        db.session.add(view)
    view.query = query
    db.session.flush()
    return view


def delete_view(user, view_id: int) -> bool:
    """Delete one of the user's own saved views; False when they have no such view."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        return False
    db.session.delete(view)
    db.session.flush()
    return True
