"""The quote page a customer's contact reaches through the signed link in the quote email:
view the newest version they were sent, download its PDF, accept it (which makes the order)
or decline it. No login: the signed token is the authorisation, so pages are kept out of
search engines and the token out of Referer headers, and the posts are rate-limited."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template, request, send_file
from flask_babel import gettext as _

from app.audit import Actor, set_actor
from app.blueprints.portal import bp
from app.blueprints.portal.forms import AcceptForm, DeclineForm, LanguageForm
from app.blueprints.portal.session import current_portal_user
from app.extensions import db, limiter
from app.models.orders import Order, Quote, QuoteStatus
from app.services import quotes
from app.services.validation import RecordInvalid

DEFAULT_RATE_LIMIT = "10 per minute; 100 per hour"


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_PORTAL_RATE_LIMIT") or DEFAULT_RATE_LIMIT


@bp.before_request
def _portal_actor():
    """Changes made here are the customer's, not a signed-in colleague's."""
    set_actor(db.session, None, source="portal", ip=request.remote_addr)
    portal_user = current_portal_user()
    if portal_user is not None:
        label = f"portal:{portal_user.email}"
        db.session.info["actor"] = Actor(label=label, source="portal", ip=request.remote_addr)


@bp.context_processor
def _portal_context():
    return {"portal_user": current_portal_user(), "language_form": LanguageForm(formdata=None)}


@bp.after_request
def _private(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.errorhandler(404)
def _not_found(error):
    if "token" not in (request.view_args or {}):
        text = _("There is nothing here, or it is not yours to see.")
        return _message(_("Page not found"), text, 404)
    return _message(
        _("Quote not found"),
        _("This link is not valid. Please use the link from the email you received."),
        404,
    )


@bp.errorhandler(429)
def _too_many(error):
    text = _("Too many attempts from your address. Please try again in a few minutes.")
    return _message(_("Too many requests"), text, 429)


def _message(title: str, text: str, status: int = 200):
    return render_template("portal/message.html", title=title, text=text), status


def _quote_or_404(token: str) -> tuple[Quote, Quote]:
    """(the version the link names, the version to show): the newest one sent."""
    linked = quotes.quote_for_token(token)
    if linked is None:
        abort(404)
    shown = quotes.latest_shown_version(linked)
    if shown.status is QuoteStatus.DRAFT:
        abort(404)
    return linked, shown


def _page(token: str, accept_form=None, decline_form=None, status: int = 200, message=""):
    linked, quote = _quote_or_404(token)
    context = {
        "message": message,
        "quote": quote,
        "token": quotes.portal_token(quote),
        "superseded": linked.id != quote.id,
        "expired": quotes.is_expired(quote),
        "order": _order_of(quote),
        "status_labels": quotes.STATUS_LABELS,
        "accept_form": accept_form or AcceptForm(formdata=None),
        "decline_form": decline_form or DeclineForm(formdata=None),
    }
    return render_template("portal/quote.html", **context), status


def _order_of(quote: Quote) -> Order | None:
    if quote.status is not QuoteStatus.ACCEPTED:
        return None
    return db.session.scalar(sa.select(Order).where(Order.quote_id == quote.id))


@bp.get("/quotes/<token>")
def quote(token: str):
    return _page(token)


def _decider_actor(name: str) -> None:
    """Audit entries name the person who decided, as they typed it."""
    label = " ".join(name.split())[:200] or "portal"
    db.session.info["actor"] = Actor(label=label, source="portal", ip=request.remote_addr)


def _refused(token: str, invalid: RecordInvalid, **forms):
    """The page again: with the reason when the quote can no longer be decided (expired,
    decided meanwhile), else with the form's errors."""
    if isinstance(invalid, quotes.QuoteLocked):
        return _page(token, status=409, message=invalid.message)
    form = next(iter(forms.values()))
    for name, text in invalid.errors.items():
        target = form._fields.get(name, form.name)
        target.errors = [*target.errors, text]
    return _page(token, status=422, **forms)


@bp.post("/quotes/<token>/accept")
@limiter.limit(_rate_limit, methods=["POST"])
def quote_accept(token: str):
    linked, shown = _quote_or_404(token)
    if linked.id != shown.id:
        return _page(token)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _page(token, accept_form=form, status=422)
    _decider_actor(form.name.data)
    try:
        order = quotes.accept(shown, form.name.data)
    except RecordInvalid as invalid:
        db.session.rollback()
        return _refused(token, invalid, accept_form=form)
    db.session.commit()
    return render_template("portal/accepted.html", quote=shown, order=order, token=token)


@bp.post("/quotes/<token>/decline")
@limiter.limit(_rate_limit, methods=["POST"])
def quote_decline(token: str):
    linked, shown = _quote_or_404(token)
    if linked.id != shown.id:
        return _page(token)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(token, decline_form=form, status=422)
    _decider_actor(form.name.data)
    try:
        quotes.decline(shown, form.name.data, form.reason.data or "")
    except RecordInvalid as invalid:
        db.session.rollback()
        return _refused(token, invalid, decline_form=form)
    db.session.commit()
    return render_template("portal/declined.html", quote=shown, token=token)


@bp.get("/quotes/<token>/pdf")
def quote_pdf(token: str):
    from app.services import quote_pdf

    _, shown = _quote_or_404(token)
    path = quote_pdf.ensure_pdf(shown)
    db.session.commit()
    return send_file(
        path,
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"{shown.reference.replace(' ', '-')}.pdf",
        max_age=0,
    )
