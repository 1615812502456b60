"""Work that must wait until the database has committed: queueing a job about a row that
the current transaction is still writing (an email about a new reply, say).

`call_after_commit(func)` runs `func()` right after the session's next successful commit;
if the transaction rolls back (or the session closes without committing), `func` is
dropped. A savepoint rolled back inside a transaction that later commits does not drop it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

_KEY = "rapport_after_commit"
log = logging.getLogger(__name__)


def call_after_commit(func: Callable[[], object], session: Session | None = None) -> None:
    """Run `func()` once the current transaction of `session` (db.session) commits."""
    session = session if session is not None else db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback or close before any SQL still drops `func`
    session.info.setdefault(_KEY, []).append(func)


def pending(session: Session | None = None) -> int:
    """How many calls wait for the commit (for tests and diagnostics)."""
    session = session if session is not None else db.session()
    return len(session.info.get(_KEY, ()))


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    calls = session.info.pop(_KEY, [])
    for func in calls:
        try:
            func()
        except Exception:
            # The data is committed already: one failed follow-up must not hide the others.
            log.exception("after-commit call %r failed", func)


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction) -> None:
    # The outermost transaction ended without running the calls: it rolled back or closed.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_KEY, None)
