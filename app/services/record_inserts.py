"""Many new records in a few statements: what a flush of new objects does, for imports.

A flush inserts and audits one object at a time, which caps an import at a few hundred rows
a second. Here new objects, built and checked by their service exactly as for a single
create, are never added to the session: their column values go out in one multi-row INSERT
with RETURNING (ids come back in the objects' order), and their audit entries in one more.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import audit
from app.extensions import db


def _default(column: sa.Column):
    """The value an INSERT gives a column it is not told: its Python-side scalar default."""
    default = column.default
    if default is not None and default.is_scalar:
        return default.arg
    return None


def insert(model, objects: list) -> None:
    """INSERT checked, transient `objects` of `model` and audit them; sets their ids.

    Every row carries the same keys (the columns set on any object), as an executemany
    needs; columns set on none of them get their defaults from the INSERT itself."""
    if not objects:
        return
    mapper = sa.inspect(model)
    primary_key = {column.key for column in mapper.primary_key}
    columns = {
        attr.key: attr.columns[0] for attr in mapper.column_attrs if attr.key not in primary_key
    }
    states = [sa.inspect(obj).dict for obj in objects]
    keys = [key for key in columns if any(key in state for state in states)]
    rows = [
        {key: state[key] if key in state else _default(columns[key]) for key in keys}
        for state in states
    ]
    statement = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
    ids = db.session.scalars(statement, rows).all()
    for obj, new_id in zip(objects, ids, strict=True):
        obj.id = new_id
    audit.record_inserted(db.session, objects)
