"""Sales: leads and their conversion, opportunities and the pipeline board, the product
catalogue and its price books, quotes and orders, targets and the sales dashboard."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("sales", __name__)


@bp.before_request
@login_required
def _staff_only():
    """Every page here needs a signed-in user; each view checks the record rights."""


from app.blueprints.sales import (  # noqa: E402,F401
    assignment,
    dashboard,
    deal_predictions,
    leads,
    opportunities,
    orders,
    products,
    quote_documents,
    quotes,
    targets,
)
