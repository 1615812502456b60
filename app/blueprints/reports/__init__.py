"""Reports: the catalogue of standard reports, each report's page (filters, chart, table,
definition) and its CSV; PDF exports and scheduled emails of them."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
@login_required
def _staff_only():
    """Every page here needs a signed-in user; each report checks the reader's rights."""


from app.blueprints.reports import (  # noqa: E402,F401
    builder,
    exports,
    forecasts,
    sales_costs,
    views,
)
