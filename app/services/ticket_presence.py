"""Who else has a ticket open: each open ticket page reports its viewer every few seconds
(`touch`), and shows the colleagues seen in the last VIEWING_SECONDS (`others_viewing`), so
two agents do not answer the same customer at once.

Kept in Redis, one sorted set per ticket (member: user id, score: when last seen), which
expires by itself once nobody looks at the ticket: nothing is written to the database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import queues
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import User
from app.models.service import TicketComment

VIEWING_SECONDS = 60
# A viewer's reply this recent is mentioned with the notice ("...and replied 3 minutes ago").
RECENT_REPLY = timedelta(minutes=30)


@dataclasses.dataclass(frozen=True)
class Viewer:
    name: str
    replied_at: datetime | None = None

    def minutes_since_reply(self, now: datetime | None = None) -> int | None:
        if self.replied_at is None:
            return None
        return max(0, int(((now or utcnow()) - self.replied_at).total_seconds() // 60))


def _key(ticket_id: int) -> str:
    return f"rapport:ticket-presence:{int(ticket_id)}"


def touch(ticket_id: int, user, now: float | None = None) -> None:
    """Record that `user` is viewing the ticket now (and forget viewers gone quiet)."""
    now = time.time() if now is None else now
    key = _key(ticket_id)
    pipe = queues.connection().pipeline()
    pipe.zadd(key, {str(user.id): now})
    pipe.zremrangebyscore(key, "-inf", now - VIEWING_SECONDS)
    pipe.expire(key, VIEWING_SECONDS)
    # Presence is a courtesy: without Redis the ticket simply shows no other viewers.
    with contextlib.suppress(*queues.REDIS_DOWN):
        pipe.execute()


def viewer_ids(ticket_id: int, now: float | None = None) -> list[int]:
    """The ids of everyone seen on the ticket in the last VIEWING_SECONDS, first seen first."""
    now = time.time() if now is None else now
    try:
        members = queues.connection().zrangebyscore(_key(ticket_id), now - VIEWING_SECONDS, "+inf")
    except queues.REDIS_DOWN:
        return []
    return [int(member) for member in members]


def others_viewing(ticket_id: int, user, now: float | None = None) -> list[str]:
    """The names of the active colleagues other than `user` viewing the ticket now."""
    return [viewer.name for viewer in viewers(ticket_id, user, now)]


def viewers(ticket_id: int, user, now: float | None = None) -> list[Viewer]:
    """The active colleagues other than `user` viewing the ticket now, each with when they
    last wrote on it (a reply or a note) if that was in the last RECENT_REPLY: two
    queries, whoever is looking."""
    ids = [ident for ident in viewer_ids(ticket_id, now) if ident != user.id]
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.name).where(User.id.in_(ids), User.is_active.is_(True))
    )
    names = dict(rows.tuples().all())
    if not names:
        return []
    replies = db.session.execute(
        sa.select(TicketComment.author_user_id, sa.func.max(TicketComment.created_at))
        .where(
            TicketComment.ticket_id == ticket_id,
            TicketComment.author_user_id.in_(list(names)),
            TicketComment.created_at >= utcnow() - RECENT_REPLY,
        )
        .group_by(TicketComment.author_user_id)
    )
    replied = dict(replies.tuples().all())
    return [Viewer(names[ident], replied.get(ident)) for ident in ids if ident in names]


def leave(ticket_id: int, user) -> None:
    """Forget that `user` is viewing the ticket (they moved on)."""
    with contextlib.suppress(*queues.REDIS_DOWN):
        queues.connection().zrem(_key(ticket_id), str(user.id))
