"""The forecast refresh: fit every bookings series again now, in a job. Managers and
administrators may ask for it (app.services.forecasts.may_refresh); one refresh runs at
a time, and asking again while it runs shows it rather than queueing another."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, queues
from app.blueprints.reports import bp
from app.jobs import forecasts as forecast_jobs
from app.services import forecasts

REFRESH_TIMEOUT = 600  # seconds: at the large seed a refresh takes under 30
RUNNING = "rapport:forecasts:refresh-job"  # the id of the refresh queued or running


def _running():
    """The refresh job queued or running now, if any."""
    job_id = queues.connection().get(RUNNING)
    job = queues.fetch(job_id.decode()) if job_id else None
    if job is None or job.is_finished or job.is_failed or job.is_stopped or job.is_canceled:
        return None
    return job


@bp.get("/forecasts/refresh")
def forecast_refresh_button():
    """The refresh button, for those who may use it (loaded into the report's toolbar)."""
    return render_template(
        "reports/_forecast_refresh.html",
        refresh=True,
        allowed=forecasts.may_refresh(current_user),
    )


@bp.post("/forecasts/refresh")
def forecast_refresh():
    """Queue the refresh (or find the one running); answer with its progress bar."""
    if not forecasts.may_refresh(current_user):
        raise permissions.PermissionDenied()
    job = _running()
    if job is not None and job.meta.get("user_id") != current_user.id:
        return render_template(
            "reports/_forecast_refresh.html", refresh=True, allowed=True, busy=True
        )
    if job is None:
        job = queues.enqueue(
            forecast_jobs.refresh_forecasts,
            actor=current_user,
            title=_("Refreshing the sales forecasts"),
            queue_name="reports",
            job_timeout=REFRESH_TIMEOUT,
        )
        queues.connection().set(RUNNING, job.id, ex=REFRESH_TIMEOUT)
    return render_template("jobs/_progress.html", job=job)
