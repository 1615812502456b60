"""Home page, language switch and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from app.blueprints.main import dashboard, views  # noqa: E402,F401
