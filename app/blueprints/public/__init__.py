"""Public pages: no sign-in. The web-to-lead form that websites embed."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.blueprints.public import views  # noqa: E402,F401
