"""Export of one person's data as a JSON download (a POST: it is audited)."""

from flask import Response, abort
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app import permissions
from app.blueprints.privacy import bp
from app.extensions import db
from app.services import person_export


@bp.post("/<kind>/<int:record_id>/export")
@login_required
def export(kind: str, record_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        document = person_export.build(current_user, kind, record_id)
    except LookupError:
        abort(404)
    except permissions.PermissionDenied:
        db.session.rollback()
        raise
    db.session.commit()
    response = Response(document.content, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
