"""The record history fragment, for anyone who may read the record."""

from flask import abort, render_template, request
from flask_login import current_user, login_required

from app import permissions
from app.blueprints.history import bp
from app.services import history


@bp.get("/<entity_type>/<entity_id>")
@login_required
def record(entity_type: str, entity_id: str):
    """A page of one record's history, for whoever may read that record."""
    kind = history.record_type(entity_type)
    found = history.find_record(entity_type, entity_id)
    if kind is None or found is None:
        abort(404)
    permissions.require(current_user, "read", kind.permission_entity, found)
    page = history.record_history(
        entity_type, entity_id, before_id=request.args.get("before", type=int)
    )
    return render_template(
        "history/_entries.html",
        page=page,
        endpoint="history.record",
        entity_type=entity_type,
        entity_id=entity_id,
    )
