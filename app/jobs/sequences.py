"""The drip sequence tick, every minute: enrol the newcomers of SEGMENT_JOIN segments,
then advance every due enrollment (app.services.sequence_runner). Safe to run twice or
in parallel: enrolment is one INSERT ... SELECT per sequence that skips people already in
it, and each enrollment is claimed by its version before it moves."""

from __future__ import annotations

from flask_babel import gettext

from app.jobs import background_job, finish
from app.models.base import utcnow
from app.services import sequence_runner


@background_job
def advance_sequences(*, actor=None) -> dict[str, int]:
    """One tick; returns how many joined, moved on, completed and left, and emails queued."""
    now = utcnow()
    joined = sequence_runner.scan_segment_joins(now)
    tally = sequence_runner.advance_due(now)
    finish(
        message=gettext(
            "%(joined)d enrolled, %(advanced)d moved on, %(emails)d emails",
            joined=joined,
            advanced=tally.advanced,
            emails=tally.emails,
        )
    )
    return {
        "joined": joined,
        "advanced": tally.advanced,
        "completed": tally.completed,
        "exited": tally.exited,
        "emails": tally.emails,
        "tasks": tally.tasks,
        "failed": tally.failed,
    }
