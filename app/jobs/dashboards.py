"""The dashboard warm-up, every few minutes: compute the panels the active users' home
dashboards show (app.services.dashboard_cache) so their first view reads the cache."""

from __future__ import annotations

from app.jobs import background_job, finish, report_progress
from app.services import dashboard_cache


@background_job
def warm_dashboards(*, actor=None) -> dict[str, int]:
    """Cache the shared panels of every user who signed in lately, for the default period."""
    counts = dashboard_cache.warm_dashboards(progress=report_progress)
    finish(
        message=f"{counts['results']} panels for {counts['users']} users, {counts['failed']} failed"
    )
    return counts
