"""Sales: leads and their conversion, opportunities and the pipeline board, the product
catalogue and its price books."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("sales", __name__)


@bp.before_request
@login_required
def _staff_only():
    """Every page here needs a signed-in user; each view checks the record rights."""


from app.blueprints.sales import assignment, leads, opportunities, products  # noqa: E402,F401
