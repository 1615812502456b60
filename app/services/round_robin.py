"""Round-robin turns within a team, for anything handed out in turn (leads, tickets): each
kind keeps its own cursor table with columns team_id (primary key) and last_user_id."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def take_turn(cursor_model, team_id: int, candidates: list[int]) -> int | None:
    """The candidate (user ids in ascending order) after the one who had the team's last
    turn, recorded as the new last; None when there is no candidate.

    The team's cursor row is created if missing and locked before it is read: SELECT ...
    FOR UPDATE on PostgreSQL; on SQLite the insert opens the write transaction, which
    serialises writers. So two records arriving together go to two people."""
    if not candidates:
        return None
    _ensure_cursor(cursor_model, team_id)
    where = cursor_model.team_id == team_id
    last = db.session.scalar(sa.select(cursor_model.last_user_id).where(where).with_for_update())
    chosen = next((user_id for user_id in candidates if user_id > (last or 0)), candidates[0])
    db.session.execute(
        sa.update(cursor_model).where(where).values(last_user_id=chosen),
        execution_options={"synchronize_session": False},
    )
    return chosen


def _ensure_cursor(cursor_model, team_id: int) -> None:
    """Insert the team's cursor unless it exists, without failing when another transaction
    inserts it at the same moment."""
    table = cursor_model.__table__
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        where = cursor_model.team_id == team_id
        if db.session.scalar(sa.select(cursor_model.team_id).where(where)) is None:
            db.session.execute(sa.insert(table).values(team_id=team_id))
        return
    db.session.execute(
        insert(table)
        .values(team_id=team_id, last_user_id=None)
        .on_conflict_do_nothing(index_elements=["team_id"])
    )
