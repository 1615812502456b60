"""Choosing an import preset (a HubSpot or Salesforce export) on an upload's mapping page."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.blueprints.imports import bp
from app.extensions import db
from app.services import import_preset_rules, imports


@bp.context_processor
def _presets():
    return {"import_presets": import_preset_rules}


@bp.post("/<int:import_id>/preset")
@login_required
def choose_preset(import_id: int):
    try:
        data_import = imports.get_import(current_user, import_id)
    except LookupError:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        import_preset_rules.choose(data_import, current_user, request.form.get("preset") or None)
        db.session.commit()
    except imports.ImportFileError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("imports.show", import_id=import_id))
