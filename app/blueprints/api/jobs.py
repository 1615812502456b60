"""Background jobs over the API: an endpoint that starts one answers 202 with the job's id
and status URL (`accepted`), and the job's owner polls that URL until it is finished.

A job of someone else answers 404, like one that does not exist (ids cannot be probed),
as the jobs pages do through the "job" permission entity. A finished job's `result_url`
is an API URL where a resource registered one for that kind of job (the link a job stores
for the pages needs a browser session), else the job's own link.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin

import marshmallow as ma
from flask import request, url_for
from flask_babel import gettext
from flask_smorest import abort

from app import permissions, queues
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint

bp = ApiBlueprint("api_jobs", __name__, tag="Jobs", description="Background jobs you started.")


class JobAcceptedSchema(ma.Schema):
    job_id = ma.fields.String(required=True)
    status_url = ma.fields.String(
        required=True, metadata={"description": "Absolute URL of the job's status."}
    )


class JobSchema(ma.Schema):
    id = ma.fields.String()
    status = ma.fields.String(
        metadata={"description": "queued, started, deferred, scheduled, finished or failed."}
    )
    progress = ma.fields.Integer(metadata={"description": "0-100."})
    message = ma.fields.String()
    result_url = ma.fields.String(
        allow_none=True, metadata={"description": "Where what the job made is, once finished."}
    )


_RESULT_URLS: dict[str, Callable] = {}


def register_result_url(func_name: str, result_url: Callable) -> None:
    """Link jobs of `func_name` ("app.jobs.quotes.render_quote_pdf") to what they made in
    the API: `result_url(job)` gives the absolute URL."""
    _RESULT_URLS[func_name] = result_url


def _result_url(job) -> str | None:
    if job.func_name in _RESULT_URLS:
        return _RESULT_URLS[job.func_name](job)
    url = job.meta.get("result_url")
    return urljoin(request.host_url, url) if url else None


class _JobOwner:
    """Lets the permission layer read a job's owner like a record's."""

    def __init__(self, user_id):
        self.user_id = user_id


def accepted(job) -> dict:
    """The 202 body for a job just queued."""
    return {
        "job_id": job.id,
        "status_url": url_for("api_jobs.show", job_id=job.id, _external=True),
    }


@bp.get("/jobs/<job_id>")
@bp.response(200, JobSchema)
def show(job_id: str):
    """The status of a job the caller started."""
    job = queues.fetch(job_id)
    owner = _JobOwner(job.meta.get("user_id")) if job is not None else None
    if job is None or not permissions.can(acting_user(), "read", "job", owner):
        abort(404, message=gettext("No such job."))
    status = job.get_status(refresh=False)
    done = job.is_finished
    return {
        "id": job.id,
        "status": getattr(status, "value", str(status or "")),
        "progress": 100 if done else int(job.meta.get("progress") or 0),
        "message": str(job.meta.get("message") or ""),
        "result_url": _result_url(job) if done else None,
    }
