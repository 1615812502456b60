from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
)
from app.extensions import db
from app.models.identity import TokenScope
from app.redirects import safe_next
from app.services import accounts, api_tokens


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
        except accounts.SignInRefused as refusal:
            db.session.commit()
            form.password.errors.append(_(str(refusal)))
            return render_template("auth/login.html", form=form), 200
        db.session.commit()
        session.clear()  # a fresh session: nothing from before sign-in carries over
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If that address belongs to an account, a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = accounts.user_for_reset_token(token)
    if user is None:
        flash(_("This reset link has expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot_password"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_user(
                current_user,
                actor=current_user,
                name=form.name.data,
                locale=form.locale.data,
                time_zone=form.time_zone.data,
            )
        except accounts.AccountError as refusal:
            db.session.rollback()
            errors = form[refusal.field].errors if refusal.field in form else form.name.errors
            errors.append(str(refusal))
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=ChangePasswordForm(prefix="pw")
    )


@bp.post("/profile/password")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is not right."))
        else:
            accounts.reset_password(current_user, form.password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # this session stays; others end
            flash(_("Your password is changed; your other sessions are signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=ProfileForm(obj=current_user), password_form=form
    )


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        token, new_token = api_tokens.issue(
            current_user, name=form.name.data, scope=TokenScope(form.scope.data)
        )
        db.session.commit()
    return render_template(
        "auth/tokens.html",
        form=form,
        new_token=new_token,
        tokens=api_tokens.for_user(current_user),
    )


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    api_tokens.revoke(token_id, actor=current_user)
    db.session.commit()
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.tokens"))
