"""The customer portal: pages customers' contacts open without a staff login. The quote
page a signed link leads to (views.py), and, with a portal account (account.py, its own
session in session.py), their tickets, quotes, orders and the public knowledge base."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from app.blueprints.portal import account, documents, kb, tickets, views  # noqa: E402,F401
from app.blueprints.portal import surveys as survey_pages  # noqa: E402,F401
