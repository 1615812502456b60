"""Periodic housekeeping."""

from app import queues
from app.jobs import background_job
from app.services import exports

EXPORT_RETENTION_DAYS = 7


@background_job
def purge_old_exports(*, actor) -> int:
    """Remove exported files nobody downloaded within a week."""
    return exports.purge_older_than(EXPORT_RETENTION_DAYS)


@background_job
def drain_job_outbox(*, actor) -> int:
    """Queue the jobs kept in the database while Redis was unreachable."""
    return queues.drain_outbox()
