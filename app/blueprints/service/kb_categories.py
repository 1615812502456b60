"""The knowledge base's categories: add, rename, reorder and delete (when empty), for those
who may edit every article."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app import permissions
from app.blueprints.service import bp
from app.blueprints.service.kb_forms import CategoryForm
from app.extensions import db
from app.models.service import KbCategory
from app.services import kb
from app.services.validation import RecordInvalid


def _may_manage() -> None:
    if not kb.may_manage_categories(current_user):
        raise permissions.PermissionDenied()


def _category_or_404(category_id: int) -> KbCategory:
    _may_manage()
    category = db.session.get(KbCategory, category_id)
    if category is None:
        abort(404)
    return category


def _page(form: CategoryForm | None = None, status: int = 200):
    html = render_template(
        "service/kb_categories.html",
        categories=kb.categories(),
        form=form or CategoryForm(formdata=None),
        action_form=FlaskForm(),
    )
    return html, status


def _save(change, success: str):
    """Run `change()`, commit and go back to the list; refused input is flashed."""
    try:
        change()
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(str(message) for message in invalid.errors.values()), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("service.kb_categories"))


@bp.get("/kb/categories")
def kb_categories():
    _may_manage()
    return _page()


@bp.post("/kb/categories")
def kb_category_create():
    _may_manage()
    form = CategoryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        category = kb.create_category(current_user, form.name.data)
    except RecordInvalid as invalid:
        db.session.rollback()
        form.show_errors(invalid.errors)
        return _page(form)
    db.session.commit()
    flash(_("The category %(name)s is added.", name=category.name), "success")
    return redirect(url_for("service.kb_categories"))


@bp.post("/kb/categories/<int:category_id>/rename")
def kb_category_rename(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryForm()
    if not form.validate_on_submit():
        abort(400)
    return _save(
        lambda: kb.rename_category(category, current_user, form.name.data),
        _("The category is renamed."),
    )


@bp.post("/kb/categories/<int:category_id>/move")
def kb_category_move(category_id: int):
    category = _category_or_404(category_id)
    if not FlaskForm().validate_on_submit() or request.form.get("direction") not in ("up", "down"):
        abort(400)
    step = -1 if request.form["direction"] == "up" else 1
    return _save(lambda: kb.move_category(category, current_user, step), _("The order is saved."))


@bp.post("/kb/categories/<int:category_id>/delete")
def kb_category_delete(category_id: int):
    category = _category_or_404(category_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    return _save(lambda: kb.delete_category(category, current_user), _("The category is deleted."))
