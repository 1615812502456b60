"""Administration: users, teams, roles and permissions, custom fields, audit log, jobs."""

from flask import Blueprint
from flask_login import current_user, login_required

from app import permissions

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _administrators_only():
    permissions.require_admin(current_user)


from app.blueprints.admin import (  # noqa: E402,F401
    audit,
    backups,
    custom_fields,
    data,
    jobs,
    lead_scoring,
    models,
    roles,
    sms,
    teams,
    users,
    webhooks,
)
