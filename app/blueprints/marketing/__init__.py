"""Marketing: segments and static lists, email templates, campaigns and their sends."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("marketing", __name__, url_prefix="/marketing")


@bp.before_request
@login_required
def _staff_only():
    """Every page here needs a signed-in user; each view checks the record rights."""


from app.blueprints.marketing import (  # noqa: E402,F401
    behaviour,
    campaign_links,
    campaign_sends,
    campaigns,
    email_templates,
    people,
    segments,
    sequences,
    sms_people,
    web_forms,
)
