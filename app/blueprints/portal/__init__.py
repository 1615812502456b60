"""The customer portal: pages customers' contacts open without a staff login. For now the
quote page a signed link leads to; portal accounts come with the service desk."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from app.blueprints.portal import views  # noqa: E402,F401
