"""Periodic housekeeping."""

from app.jobs import background_job
from app.services import exports

EXPORT_RETENTION_DAYS = 7


@background_job
def purge_old_exports(*, actor) -> int:
    """Remove exported files nobody downloaded within a week."""
    return exports.purge_older_than(EXPORT_RETENTION_DAYS)
