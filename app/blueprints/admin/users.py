"""Administration of staff users: list and search, create, edit, deactivate, reactivate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.forms import ROLE_LABELS, EditUserForm, NewUserForm, UserFilters
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.identity import User
from app.services import accounts


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _show_refusal(form, refusal) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    field = getattr(refusal, "field", None)
    message = str(refusal.description if hasattr(refusal, "description") else refusal)
    (form[field].errors if field in form else form.form_errors).append(message)


@bp.get("/users")
def users():
    filters = UserFilters(request.args)
    results = accounts.find_users(current_user, **filters.criteria())
    pager = {
        "first_url": filters.url() if filters.after.data else None,
        "next_url": filters.url(after=results.next_after) if results.next_after else None,
    }
    return render_page_or_fragment(
        "admin/users.html",
        "admin/_user_rows.html",
        filters=filters,
        results=results,
        pager=pager,
        role_labels=ROLE_LABELS,
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                actor=current_user,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data or None,
                team=form.team,
                locale=form.locale.data,
                time_zone=form.time_zone.data,
            )
        except (accounts.AccountError, accounts.RoleAboveOwn) as refusal:
            _show_refusal(form, refusal)
        else:
            db.session.commit()
            if form.password.data:
                flash(_("%(name)s can now sign in.", name=user.name), "success")
            else:
                accounts.send_password_link(user, actor=current_user)
                flash(
                    _("%(email)s will get a link to choose a password.", email=user.email),
                    "success",
                )
            return redirect(url_for("admin.users"))
    return render_template("admin/users_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user)
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                actor=current_user,
                name=form.name.data,
                email=form.email.data,
                role=form.role.data,
                team=form.team,
                locale=form.locale.data,
                time_zone=form.time_zone.data,
                is_active=form.is_active.data,
            )
        except (accounts.AccountError, accounts.RoleAboveOwn) as refusal:
            db.session.rollback()
            _show_refusal(form, refusal)
        else:
            db.session.commit()
            flash(_("The changes to %(name)s are saved.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users_form.html", form=form, user=user)


def _set_active(user_id: int, active: bool):
    user = _user_or_404(user_id)
    try:
        accounts.update_user(user, actor=current_user, is_active=active)
    except accounts.AccountError as refusal:
        db.session.rollback()
        message, category = str(refusal), "error"
    else:
        db.session.commit()
        message = (
            _("%(name)s is active again.", name=user.name)
            if active
            else _("%(name)s is deactivated and signed out everywhere.", name=user.name)
        )
        category = "success"
    if wants_fragment():
        return render_template(
            "admin/_user_row.html",
            user=user,
            role_labels=ROLE_LABELS,
            message=message,
            category=category,
        )
    flash(message, category)
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int):
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/password-link")
def user_password_link(user_id: int):
    user = _user_or_404(user_id)
    try:
        accounts.send_password_link(user, actor=current_user)
    except accounts.AccountError as refusal:
        flash(str(refusal), "error")
    else:
        flash(_("%(email)s will get a link to choose a password.", email=user.email), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
