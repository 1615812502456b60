"""Public pages: no sign-in. The web-to-lead form that websites embed, and the links in
marketing emails (open pixel, tracked links, unsubscribe, preferences, bounce webhook)."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.blueprints.public import (  # noqa: E402,F401
    landing_pages,
    mail_links,
    sms_webhooks,
    views,
    web_tracking,
)
