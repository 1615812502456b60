"""Activities: logging and planning them, a customer's timeline, My tasks and the
calendar feed."""

from flask import Blueprint

bp = Blueprint("activities", __name__)

from app.blueprints.activities import calendar, tasks, views  # noqa: E402,F401
