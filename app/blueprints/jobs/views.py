from flask import abort, render_template, send_file
from flask_login import current_user, login_required

from app import permissions, queues
from app.blueprints.jobs import bp
from app.services import exports


def _job_or_404(job_id: str):
    job = queues.fetch(job_id)
    if job is None:
        abort(404)
    # Jobs are owned by the user who queued them (job.meta["user_id"]).
    permissions.require(current_user, "read", "job", JobOwner(job.meta.get("user_id")))
    return job


class JobOwner:
    """Lets the permission layer read a job's owner like a record's."""

    def __init__(self, user_id):
        self.user_id = user_id


@bp.get("/<job_id>")
@login_required
def progress(job_id: str):
    """The progress bar; it polls itself until the job is finished or failed."""
    return render_template("jobs/_progress.html", job=_job_or_404(job_id))


@bp.get("/<job_id>/result")
@login_required
def result(job_id: str):
    job = _job_or_404(job_id)
    path = exports.result_path(job.meta.get("result_file"))
    if not job.is_finished or path is None:
        abort(404)
    # A private file (a full data export) is for the user who asked for it only.
    if job.meta.get("private") and job.meta.get("user_id") != current_user.id:
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.meta.get("download_name"))
