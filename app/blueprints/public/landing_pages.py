"""Hosted landing pages of web forms, no sign-in: GET /f/<slug> shows a published form in
the visitor's language (Accept-Language, or ?lang=zh_Hant), as the variant a weighted draw
picks, kept per browser by a cookie; POST accepts the submission.

Like the web-to-lead form (views.py), the page is embedded on other sites (?embed=1 in an
iframe; CSP frame-ancestors from RAPPORT_LEAD_FORM_FRAME_ANCESTORS, set for the whole
blueprint), so the post is CSRF-exempt and guarded by a honeypot and a per-address rate
limit (RAPPORT_LEAD_FORM_RATE_LIMIT) instead.

The variant cookie is SameSite=Lax: inside an iframe on another site browsers treat it as
a third-party cookie and may not store or send it, so an embedded page may draw a variant
again on each load. The split still follows the weights; only stickiness is lost there.
Every page load counts as a view (reloads too); a re-shown page with errors does not.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, make_response, redirect, render_template, request
from flask_babel import force_locale, get_locale

from app.blueprints.public import bp
from app.blueprints.public.forms import HONEYPOT
from app.extensions import csrf, db, limiter
from app.models.marketing import FormVariant, WebForm
from app.services import form_submissions
from app.services.validation import RecordInvalid

DEFAULT_RATE_LIMIT = "5 per minute; 50 per hour"
COOKIE_AGE = 90 * 24 * 3600
# Carried from the page's address into hidden inputs, and back with the post.
CARRIED = (*form_submissions.UTM_KEYS, "vid", "campaign")
log = logging.getLogger("rapport.public")


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_LEAD_FORM_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _cookie_name(web_form: WebForm) -> str:
    return f"rp_form_{web_form.id}"


def _locale() -> str:
    wanted = request.values.get("lang", "")
    if wanted in current_app.config["LANGUAGES"]:
        return wanted
    return str(get_locale())


def _text(record, name: str, zh: bool) -> str:
    if zh and getattr(record, f"{name}_zh", ""):
        return getattr(record, f"{name}_zh")
    return getattr(record, name, "") or ""


def _published_or_404(slug: str) -> WebForm:
    web_form = form_submissions.published_form(slug[:80])
    if web_form is None:
        abort(404)
    return web_form


def _render(template: str, status: int = 200, **context):
    locale = _locale()
    with force_locale(locale):
        body = render_template(
            template, zh=locale == "zh_Hant", locale=locale, text=_text, **context
        )
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(web_form, variant, hidden, values=None, errors=None, consent=False):
    locale = _locale()
    return _render(
        "public/landing_page.html",
        web_form=web_form,
        variant=variant,
        hidden=hidden,
        values=values or {},
        errors=errors or {},
        consent=consent,
        embed=request.values.get("embed") == "1",
        countries=form_submissions.countries(locale),
    )


@bp.get("/f/<slug>")
def landing_page(slug: str):
    web_form = _published_or_404(slug)
    cookie = _cookie_name(web_form)
    variant = form_submissions.choose_variant(web_form, request.cookies.get(cookie))
    if variant is None:
        abort(404)
    form_submissions.count_view(variant)
    db.session.commit()
    hidden = {name: request.args.get(name, "")[:200] for name in CARRIED}
    hidden |= {"page_url": request.url, "referrer": request.referrer or ""}
    response = _page(web_form, variant, hidden)
    response.set_cookie(
        cookie,
        str(variant.id),
        max_age=COOKIE_AGE,
        path=f"/f/{web_form.slug}",
        samesite="Lax",
        secure=request.is_secure,
        httponly=True,
    )
    return response


@bp.post("/f/<slug>")
@csrf.exempt
@limiter.limit(_rate_limit, methods=["POST"])
def landing_submit(slug: str):
    web_form = _published_or_404(slug)
    if request.form.get(HONEYPOT):
        log.warning("Landing page honeypot filled from %s; nothing saved", request.remote_addr)
        return _thanks(web_form)
    variant = form_submissions.variant_of(web_form, request.form.get("variant"))
    visit = form_submissions.Visit.from_values(request.form, ip=request.remote_addr)
    try:
        form_submissions.submit(web_form, request.form, visit, variant)
    except RecordInvalid as invalid:
        db.session.rollback()
        carried = (*CARRIED, "page_url", "referrer")
        hidden = {name: request.form.get(name, "")[:1000] for name in carried}
        shown = variant or _first_variant(web_form)
        return _page(
            web_form,
            shown,
            hidden,
            values=request.form,
            errors=invalid.errors,
            consent=bool(request.form.get("consent")),
        )
    db.session.commit()
    return _thanks(web_form)


def _first_variant(web_form: WebForm) -> FormVariant | None:
    return form_submissions.choose_variant(web_form, draw=lambda: 0.0)


def _thanks(web_form: WebForm):
    """The form's thank-you message, or its own page to go to (set by staff, http(s))."""
    if web_form.redirect_url:
        return redirect(web_form.redirect_url, 303)
    return _render(
        "public/landing_thanks.html",
        web_form=web_form,
        embed=request.values.get("embed") == "1",
    )
