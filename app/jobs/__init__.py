"""RQ entry points. Each job is a thin wrapper: load ids, call app.services, commit.

`@background_job` gives every job the same frame: the acting user is loaded fresh from the
database (and refused if deactivated), audit entries are attributed to them, the session
commits once at the end or rolls back on error, and progress goes to job.meta.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time

from flask import current_app
from rq import get_current_job

from app.audit import set_actor
from app.extensions import db
from app.models.identity import User
from app.observability import logs, metrics

log = logging.getLogger("rapport.jobs")


class ActorUnavailable(RuntimeError):
    """The user who queued the job no longer exists or has been deactivated."""


def report_progress(done: int, total: int, message: str = "") -> None:
    """Write progress (0-100) and a short message to the running job's meta."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = 100 if total <= 0 else min(100, int(done * 100 / total))
    job.meta["message"] = message
    job.save_meta()


def finish(result_url: str | None = None, message: str = "", **meta) -> None:
    """Mark the running job complete in its meta, with a link to what it produced.

    Extra `meta` is stored too, e.g. `result_file` and `download_name` for a file the jobs
    blueprint serves to the job's owner.
    """
    job = get_current_job()
    if job is None:
        return
    job.meta.update(progress=100, message=message, result_url=result_url, **meta)
    job.save_meta()


def background_job(func):
    """Run `func(..., actor=User|None)` in a unit of work attributed to the job's actor."""

    @functools.wraps(func)
    def run(*args, actor_id: int | None = None, **kwargs):
        if not current_app:
            raise RuntimeError("jobs run inside create_app()'s context (flask rapport worker)")
        with observed(f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"):
            return _run_as_actor(func, args, kwargs, actor_id)

    return run


@contextlib.contextmanager
def observed(name: str):
    """Log the job's start and end (with its duration, outcome, and the request id that
    queued it) and count it in the metrics."""
    job = get_current_job()
    request_id = job.meta.get("request_id") if job is not None else None
    tokens = (logs.request_id_var.set(request_id), logs.job_id_var.set(job and job.id))
    details = {"job": name, "job_id": job and job.id, "request_id": request_id}
    log.info("job started: %s", name, extra=details)
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "succeeded"
    finally:
        seconds = time.perf_counter() - started
        metrics.record_job(name, outcome, seconds)
        level = logging.INFO if outcome == "succeeded" else logging.ERROR
        log.log(
            level,
            "job %s: %s",
            outcome,
            name,
            extra={**details, "outcome": outcome, "duration_ms": round(seconds * 1000, 1)},
        )
        logs.request_id_var.reset(tokens[0])
        logs.job_id_var.reset(tokens[1])


def _run_as_actor(func, args, kwargs, actor_id: int | None):
    app = current_app._get_current_object()
    # A request context built on BASE_URL, so url_for(_external=True) works in jobs.
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        actor = None
        if actor_id is not None:
            actor = db.session.get(User, actor_id)
            if actor is None or not actor.is_active:
                raise ActorUnavailable(f"user {actor_id} can no longer run jobs")
        set_actor(db.session, actor, source="job")
        try:
            result = func(*args, actor=actor, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
