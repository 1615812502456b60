"""Home page, language switch, the health check and the metrics for Prometheus."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from app.blueprints.main import dashboard, views  # noqa: E402,F401
