"""Customers and contacts: lists with search, filters, saved views and bulk actions, the
forms, and each record's page (the customer's 360-degree view)."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("customers", __name__)


@bp.before_request
@login_required
def _staff_only():
    """Every page here needs a signed-in user; each view checks the record rights."""


import app.blueprints.customers.portal_invites  # noqa: E402,F401
import app.blueprints.customers.predictions  # noqa: E402,F401
from app.blueprints.customers import contacts, customers, merge, saved_views  # noqa: E402,F401
