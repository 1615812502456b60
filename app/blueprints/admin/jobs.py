"""Background jobs for administrators: how busy each queue is, and the jobs that failed."""

from __future__ import annotations

import dataclasses

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from rq.exceptions import InvalidJobOperation
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry

from app import queues
from app.blueprints.admin import bp

FAILED_SHOWN = 50


@dataclasses.dataclass(frozen=True)
class FailedJob:
    """What an administrator needs to decide whether to retry a failed job."""

    id: str
    title: str
    queue: str
    failed_at: object
    error: str
    traceback: str


@dataclasses.dataclass(frozen=True)
class QueueState:
    """One queue's counts and its most recent failures."""

    name: str
    queued: int
    started: int
    failed: int
    failed_jobs: list[FailedJob]


def _failed(job: Job) -> FailedJob:
    result = job.latest_result()
    traceback = (result.exc_string if result else None) or ""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    return FailedJob(
        id=job.id,
        title=job.meta.get("title") or job.func_name,
        queue=job.origin,
        failed_at=job.ended_at or (result.created_at if result else None),
        error=lines[-1] if lines else "",
        traceback=traceback,
    )


def _queue_state(name: str) -> QueueState:
    queue = queues.queue(name)
    failed = FailedJobRegistry(queue=queue)
    # Most recently failed first; older ones stay reachable once these are dealt with.
    ids = failed.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
    jobs = [job for job in Job.fetch_many(ids, connection=queue.connection) if job]
    return QueueState(
        name=name,
        queued=queue.count,
        started=StartedJobRegistry(queue=queue).count,
        failed=failed.count,
        failed_jobs=[_failed(job) for job in jobs],
    )


def _job_or_404(job_id: str) -> Job:
    job = queues.fetch(job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/jobs")
def jobs():
    states = [_queue_state(name) for name in current_app.config["RQ_QUEUES"]]
    return render_template(
        "admin/jobs.html", states=states, shown=FAILED_SHOWN, kept=queues.outbox_pending()
    )


@bp.post("/jobs/<job_id>/retry")
def job_retry(job_id: str):
    job = _job_or_404(job_id)
    try:
        job.requeue()
    except InvalidJobOperation:
        flash(_("That job is no longer among the failed ones."), "error")
    else:
        flash(_("The job is queued again."), "success")
    return redirect(url_for("admin.jobs"))


@bp.post("/jobs/<job_id>/delete")
def job_delete(job_id: str):
    job = _job_or_404(job_id)
    # Only failed jobs: deleting a queued or running one would lose work silently.
    if job.is_failed:
        job.delete()
        flash(_("The job is deleted."), "success")
    else:
        flash(_("That job is no longer among the failed ones."), "error")
    return redirect(url_for("admin.jobs"))
