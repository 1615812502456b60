"""Saved views of the customer and contact lists: save the current one, delete one."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.customers import bp
from app.blueprints.customers.forms import SavedViewForm
from app.extensions import db
from app.services import saved_views
from app.services.validation import RecordInvalid

LIST_ENDPOINTS = {
    "customers": "customers.index",
    "contacts": "customers.contacts_index",
    "leads": "sales.leads_index",
}


@bp.post("/saved-views/<entity>")
def save_view(entity: str):
    if entity not in LIST_ENDPOINTS:
        abort(404)
    form = SavedViewForm()
    query = request.form.get("query", "")
    if form.validate_on_submit():
        try:
            view = saved_views.save_view(current_user, entity, form.name.data, query)
        except RecordInvalid as invalid:
            db.session.rollback()
            flash(" ".join(invalid.errors.values()), "error")
        else:
            db.session.commit()
            flash(_("The view “%(name)s” is saved.", name=view.name), "success")
            query = view.query
    return redirect(url_for(LIST_ENDPOINTS[entity]) + ("?" + query if query else ""))


@bp.post("/saved-views/<entity>/<int:view_id>/delete")
def delete_view(entity: str, view_id: int):
    if entity not in LIST_ENDPOINTS:
        abort(404)
    if saved_views.delete_view(current_user, view_id):
        db.session.commit()
        flash(_("The view is deleted."), "success")
    return redirect(url_for(LIST_ENDPOINTS[entity]))
