"""Progress of background jobs (an HTMX-polled bar) and the files they produce."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from app.blueprints.jobs import views  # noqa: E402,F401
