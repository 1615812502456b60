"""CSV import (upload, mapping, preview, run, report) and CSV export of record lists."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from app.blueprints.imports import presets, views  # noqa: E402,F401
