"""The sales forecasts fitted again (app.services.forecasts.refresh_all): nightly from the
cron schedule, and on demand from the sales forecast report. Safe to run twice: each run
replaces the stored forecasts."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale, gettext, ngettext

from app import permissions
from app.jobs import background_job, finish, report_progress
from app.services import forecasts


@background_job
def refresh_forecasts(*, actor=None) -> int:
    """Fit every bookings series again and store the runs; returns how many."""
    if actor is not None and not forecasts.may_refresh(actor):
        # Rights may have changed since the job was queued.
        raise permissions.PermissionDenied()
    locale = actor.locale if actor is not None else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):

        def progress(done: int, total: int, label: str) -> None:
            series = label or gettext("Whole company")
            report_progress(done, total, gettext("Fitting %(series)s…", series=series))

        count = forecasts.refresh_all(progress=progress)
        finish(
            result_url=url_for("reports.show", key="sales-forecast"),
            message=ngettext("%(num)d forecast fitted.", "%(num)d forecasts fitted.", count),
        )
    return count
