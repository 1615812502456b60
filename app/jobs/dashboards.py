"""Home dashboard jobs: the warm-up, every few minutes (compute the panels the active
users' dashboards show, app.services.dashboard_cache, so their first view reads the
cache), and a dashboard's PDF made for the reader who asked."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from app.jobs import background_job, finish, report_progress
from app.services import dashboard_cache, dashboard_export, report_pdf


@background_job
def warm_dashboards(*, actor=None) -> dict[str, int]:
    """Cache the shared panels of every user who signed in lately, for the default period."""
    counts = dashboard_cache.warm_dashboards(progress=report_progress)
    finish(
        message=f"{counts['results']} panels for {counts['users']} users, {counts['failed']} failed"
    )
    return counts


@background_job
def render_dashboard_pdf(period: str, *, actor) -> str:
    """Make the PDF of `actor`'s home dashboard over `period` (their rights now, their
    language); the job links to the file."""
    with force_locale(actor.locale):
        report_progress(0, 2, gettext("Counting the records…"))
        data = dashboard_export.render_pdf(actor, period)
        report_progress(1, 2, gettext("Laying out the PDF…"))
        name = report_pdf.store(data)
        finish(
            message=gettext("The PDF of your dashboard is ready."),
            result_file=name,
            download_name=f"{dashboard_export.download_name(period)}.pdf",
        )
    return name
