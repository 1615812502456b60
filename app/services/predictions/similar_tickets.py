"""Possible duplicates of a ticket: the other tickets most like it by BM25 over their
subject (weighing twice) and description, among those the viewer may read.

The similarity is a ticket's BM25 score divided by the score the ticket would get against
itself, so 1.0 means the same words as often and the threshold reads the same whatever the
words; below it nothing is offered. The index covers the newest POOL tickets and is built
in process (about a second for 5,000 tickets). Tickets opened since are scored one by one
with the index's statistics, so a new ticket does not rebuild it; it is rebuilt after
REFRESH_SECONDS (taking in edited subjects and descriptions), when more tickets have come in
since than it holds or than MAX_NEWER, or when its tickets are no longer the same (one
deleted). Replies and status changes, which touch tickets all day, never rebuild it.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.service import Ticket
from app.services import ticket_merge
from app.services.predictions.text_index import TextIndex, tokens
from app.services.validation import RecordInvalid

POOL = 5_000
DESCRIPTION_CHARS = 1_000
THRESHOLD = 0.3
REFRESH_SECONDS = 900
MAX_NEWER = 500
CANDIDATES = 50
_lock = threading.Lock()
_cache: dict[str, _Kept] = {}


@dataclasses.dataclass(frozen=True)
class SimilarTicket:
    """Another ticket like this one and how alike they are (0-1)."""

    ticket: Ticket
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


@dataclasses.dataclass(frozen=True)
class _Kept:
    index: TextIndex
    fingerprint: tuple
    built: float


def ticket_terms(subject: str | None, description: str | None) -> list[str]:
    """A ticket's terms: the subject counts twice, as it says what the ticket is about."""
    subject_terms = tokens(subject)
    return subject_terms + subject_terms + tokens((description or "")[:DESCRIPTION_CHARS])


def _columns():
    return Ticket.id, Ticket.subject, sa.func.substr(Ticket.description, 1, DESCRIPTION_CHARS)


def _fingerprint(first_id: int, last_id: int) -> tuple:
    """What the indexed id range holds now: a deleted or replaced ticket changes it."""
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(Ticket.created_at)).where(
            Ticket.id.between(first_id, last_id)
        )
    ).one()
    return (first_id, last_id, row[0], str(row[1]))


def _build() -> _Kept:
    rows = db.session.execute(sa.select(*_columns()).order_by(Ticket.id.desc()).limit(POOL)).all()
    index = TextIndex.build([r[0] for r in rows], [ticket_terms(r[1], r[2]) for r in rows])
    ids = [r[0] for r in rows] or [0]
    return _Kept(index, _fingerprint(min(ids), max(ids)), time.monotonic())


def _newer(kept: _Kept) -> list | None:
    """The tickets opened since the index was built, or None when they are too many."""
    rows = db.session.execute(
        sa.select(*_columns())
        .where(Ticket.id > kept.fingerprint[1])
        .order_by(Ticket.id)
        .limit(MAX_NEWER + 1)
    ).all()
    # Scored with the index's statistics, they must stay few beside the indexed ones.
    return None if len(rows) > min(MAX_NEWER, kept.index.documents) else rows


def current() -> tuple[TextIndex, list]:
    """The index of the newest tickets and the tickets opened since it was built
    [(id, subject, description)] (rebuilt when needed, see the module doc)."""
    where = str(db.engine.url)
    with _lock:
        kept = _cache.get(where)
    fresh = kept is not None and time.monotonic() - kept.built < REFRESH_SECONDS
    if fresh and _fingerprint(*kept.fingerprint[:2]) == kept.fingerprint:
        newer = _newer(kept)
        if newer is not None:
            return kept.index, newer
    kept = _build()
    with _lock:
        _cache[where] = kept
    return kept.index, []


def current_index() -> TextIndex:
    """The index itself (its size is shown on the Models page)."""
    return current()[0]


def forget() -> None:
    """Drop the kept indexes (the next look-up rebuilds)."""
    with _lock:
        _cache.clear()


def similar(
    ticket: Ticket, viewer, limit: int = 5, threshold: float = THRESHOLD
) -> list[SimilarTicket]:
    """The tickets most like `ticket` that `viewer` may read, most alike first, at least
    `threshold` alike; neither the ticket itself nor one already merged into it or it into."""
    terms = ticket_terms(ticket.subject, ticket.description)
    if not terms:
        return []
    index, newer = current()
    best = index.self_score(terms)
    if best <= 0:
        return []
    query = set(terms)
    ranked = index.ranked(sorted(query), limit=CANDIDATES + 1)
    ranked += [(row[0], index.score_document(query, ticket_terms(row[1], row[2]))) for row in newer]
    ranked.sort(key=lambda pair: (-pair[1], -pair[0]))
    alike = {
        ticket_id: min(score / best, 1.0)
        for ticket_id, score in ranked[: CANDIDATES + 1]
        if ticket_id != ticket.id and score > 0 and score / best >= threshold
    }
    if not alike:
        return []
    readable = sa.select(Ticket).where(
        Ticket.id.in_(alike),
        permissions.visible(viewer, "ticket", Ticket.owner_id, team_column=Ticket.team_id),
        sa.or_(Ticket.merged_into_id.is_(None), Ticket.merged_into_id != ticket.id),
    )
    if ticket.merged_into_id is not None:
        readable = readable.where(Ticket.id != ticket.merged_into_id)
    found = db.session.scalars(readable).all()
    found.sort(key=lambda other: (-alike[other.id], -other.id))
    return [SimilarTicket(other, alike[other.id]) for other in found[:limit]]


def may_merge(target: Ticket, duplicate: Ticket, actor) -> bool:
    """Whether `actor` may merge `duplicate` into `target` (the ticket merge's own rules)."""
    if not (
        permissions.can(actor, "edit", "ticket", target)
        and permissions.can(actor, "edit", "ticket", duplicate)
    ):
        return False
    try:
        ticket_merge.check(target, [duplicate])
    except RecordInvalid:
        return False
    return True
