"""Portal accounts' pages: sign in and out, choose a password from an invitation or reset
link, ask for a reset, switch language, and the home page (open tickets, recent quotes
and orders)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.blueprints.portal import bp
from app.blueprints.portal.forms import (
    ForgotPasswordForm,
    LanguageForm,
    NewPasswordForm,
    SignInForm,
)
from app.blueprints.portal.session import (
    LOCALE_KEY,
    current_portal_user,
    portal_login_required,
    sign_in,
    sign_out,
)
from app.extensions import db
from app.models.orders import Order, Quote
from app.models.service import Ticket, TicketStatus
from app.redirects import safe_next
from app.services import orders, portal_access, portal_accounts, quotes, tickets
from app.services.validation import RecordInvalid

RECENT = 5
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_portal_user() is not None:
        return redirect(url_for("portal.home"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = portal_accounts.authenticate(
                form.email.data, form.password.data, request.remote_addr
            )
        except portal_accounts.SignInRefused as refusal:
            db.session.commit()
            form.password.errors.append(_(str(refusal)))
            return render_template("portal/login.html", form=form)
        db.session.commit()
        sign_in(user)
        return redirect(safe_next(request.args.get("next"), url_for("portal.home")))
    return render_template("portal/login.html", form=form)


@bp.post("/logout")
def logout():
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("portal.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        portal_accounts.request_reset(form.email.data)
        db.session.commit()
        flash(_("If that address belongs to an account, a reset link is on its way."), "info")
        return redirect(url_for("portal.login"))
    return render_template("portal/forgot_password.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    if portal_accounts.user_for_token(token) is None:
        flash(_("This link has expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("portal.forgot_password"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            portal_accounts.set_password(token, form.password.data)
        except RecordInvalid as invalid:
            db.session.rollback()
            form.password.errors.append(next(iter(invalid.errors.values())))
        else:
            db.session.commit()
            sign_out()
            flash(_("Your password is saved. Sign in with it."), "success")
            return redirect(url_for("portal.login"))
    return render_template("portal/set_password.html", form=form, token=token)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        user = current_portal_user()
        if user is not None:
            portal_accounts.set_locale(user, form.locale.data)
            db.session.commit()
        else:
            session[LOCALE_KEY] = form.locale.data
    back = request.form.get("next") or request.referrer
    return redirect(safe_next(back, url_for("portal.home")))


@bp.get("/")
@portal_login_required
def home():
    user = current_portal_user()
    open_tickets = db.session.scalars(
        portal_access.tickets_query(user)
        .where(Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(RECENT)
    ).all()
    recent_quotes = db.session.scalars(
        portal_access.quotes_query(user).order_by(Quote.id.desc()).limit(RECENT)
    ).all()
    recent_orders = db.session.scalars(
        portal_access.orders_query(user).order_by(Order.id.desc()).limit(RECENT)
    ).all()
    return render_template(
        "portal/home.html",
        portal_user=user,
        contact=portal_accounts.contact_of(user),
        tickets=open_tickets,
        quotes=recent_quotes,
        orders=recent_orders,
        ticket_status_labels=tickets.STATUS_LABELS,
        quote_status_labels=quotes.STATUS_LABELS,
        order_status_labels=orders.STATUS_LABELS,
    )
