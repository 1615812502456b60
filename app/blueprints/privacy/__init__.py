"""A person's own data (GDPR access and portability): the export offered on contact and
lead pages. Erasure is an administrator's page (app.blueprints.admin.data)."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

from app.blueprints.privacy import views  # noqa: E402,F401
