from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import permissions
from app.blueprints.tags import bp
from app.extensions import db
from app.htmx import wants_fragment
from app.redirects import safe_next
from app.services import tags


def _record_or_404(entity_type: str, entity_id: int):
    """The record being tagged; 404 when unknown, 403 when the user may not edit it."""
    try:
        return tags.record_for(current_user, entity_type, entity_id)
    except LookupError:
        abort(404)


def _editor(entity_type: str, entity_id: int, error: str | None = None):
    next_url = safe_next(request.form.get("next"), url_for("main.home"))
    if not wants_fragment():
        return redirect(next_url)
    return render_template(
        "tags/_editor.html",
        entity_type=entity_type,
        entity_id=entity_id,
        tags=tags.tags_for(entity_type, [entity_id])[entity_id],
        error=error,
        next_url=next_url,
    )


@bp.get("/suggest")
@login_required
def suggest():
    """<option>s for the editor's datalist; `q` (or the editor's `name` input) is the prefix."""
    permissions.require(current_user, "read", "tag")
    prefix = request.args.get("q", request.args.get("name", ""))
    return render_template("tags/_options.html", tags=tags.suggest(prefix))


@bp.post("/<entity_type>/<int:entity_id>")
@login_required
def add(entity_type: str, entity_id: int):
    _record_or_404(entity_type, entity_id)
    names = tags.split_names(request.form.get("name", ""))
    error = None if names else _("Enter a tag name.")
    if names:
        try:
            tags.add_tags(current_user, entity_type, entity_id, names)
            db.session.commit()
        except tags.TagError as refusal:
            db.session.rollback()
            error = str(refusal)
        except permissions.PermissionDenied:
            db.session.rollback()
            error = _("Only existing tags can be used; ask an administrator for a new one.")
    return _editor(entity_type, entity_id, error)


@bp.post("/<entity_type>/<int:entity_id>/<int:tag_id>/remove")
@login_required
def remove(entity_type: str, entity_id: int, tag_id: int):
    _record_or_404(entity_type, entity_id)
    tags.remove_tag(current_user, entity_type, entity_id, tag_id)
    db.session.commit()
    return _editor(entity_type, entity_id)
