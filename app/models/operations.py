"""What keeps Rapport's background work from being lost: jobs queued while Redis was
unreachable wait here, in the database, until a worker can take them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, utcnow


class JobOutbox(db.Model):
    """One job that could not reach Redis: the function's import path, its arguments and
    RQ options (all JSON), and when it may run. `queues.drain_outbox` hands it to RQ."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(sa.String(40))
    function: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list] = mapped_column(JSONType, default=list)
    kwargs: Mapped[dict] = mapped_column(JSONType, default=dict)
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    # Set while one process hands the row to RQ, so two drains never queue it twice.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
