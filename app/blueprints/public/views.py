"""The web-to-lead form: GET shows it (standalone, so it also works in an iframe), POST
creates the lead. No session and no CSRF token exist on the embedding site, so the post is
CSRF-exempt and guarded instead by a honeypot field and a per-address rate limit."""

from __future__ import annotations

import logging

from flask import current_app, redirect, render_template, request
from flask_babel import gettext as _

from app.blueprints.public import bp
from app.blueprints.public.forms import HONEYPOT, LeadForm
from app.extensions import csrf, db, limiter
from app.services import lead_capture
from app.services.validation import RecordInvalid

DEFAULT_RATE_LIMIT = "5 per minute; 50 per hour"
log = logging.getLogger("rapport.public")


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_LEAD_FORM_RATE_LIMIT") or DEFAULT_RATE_LIMIT


@bp.after_request
def _allow_framing(response):
    """Sites embed the form in an iframe: CSP frame-ancestors (which browsers prefer to the
    app-wide X-Frame-Options: DENY) says which may."""
    ancestors = current_app.config.get("RAPPORT_LEAD_FORM_FRAME_ANCESTORS") or "*"
    response.headers.setdefault("Content-Security-Policy", f"frame-ancestors {ancestors}")
    return response


@bp.errorhandler(429)
def _too_many(error):
    message = _("Too many submissions from your address. Please try again in a few minutes.")
    return render_template("public/message.html", title=_("Too many requests"), text=message), 429


def _page(form: LeadForm, status: int = 200):
    return render_template("public/lead_form.html", form=form), status


@bp.get("/forms/lead")
def lead_form():
    form = LeadForm(request.args)
    form.page.data = form.page.data or request.referrer or ""
    return _page(form)


@bp.post("/forms/lead")
@csrf.exempt
@limiter.limit(_rate_limit, methods=["POST"])
def lead_submit():
    form = LeadForm(request.form)
    if form[HONEYPOT].data:
        log.warning("Web-to-lead honeypot filled from %s; nothing created", request.remote_addr)
        return _thanks(form)
    try:
        lead_capture.capture_lead(request.form, page=form.page.data or request.referrer or "")
    except RecordInvalid as invalid:
        db.session.rollback()
        for name, message in invalid.errors.items():
            target = form[name] if name in form.VISIBLE else form.description
            target.errors = [*target.errors, message]
        return _page(form)
    db.session.commit()
    return _thanks(form)


def _thanks(form: LeadForm):
    """The thank-you page, or the allowlisted page the form asked to return to."""
    allowlist = current_app.config.get("RAPPORT_LEAD_FORM_REDIRECTS") or ()
    target = lead_capture.allowed_redirect(form.next.data, allowlist)
    if target:
        return redirect(target, 303)
    return render_template(
        "public/message.html",
        title=_("Thank you"),
        text=_("We have received your details and will be in touch soon."),
    )
