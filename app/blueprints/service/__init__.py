"""Customer service for staff: the ticket queues and ticket pages, the knowledge base, and
the service settings (categories, SLA policies, business calendars)."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("service", __name__)


@bp.before_request
@login_required
def _staff_only():
    """Every page here needs a signed-in colleague; each view checks the record rights."""


from app.blueprints.service import (  # noqa: E402,F401
    kb,
    queues,
    settings,
    surveys,
    ticket_suggestions,
    tickets,
)
