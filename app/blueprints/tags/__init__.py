"""Tags on any record: the HTMX tag editor's endpoints and tag autocomplete."""

from flask import Blueprint

bp = Blueprint("tags", __name__, url_prefix="/tags")

from app.blueprints.tags import views  # noqa: E402,F401
