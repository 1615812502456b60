"""Record history panels: any record page lazy-loads its audit entries from here."""

from flask import Blueprint

bp = Blueprint("history", __name__, url_prefix="/history")

from app.blueprints.history import views  # noqa: E402,F401
