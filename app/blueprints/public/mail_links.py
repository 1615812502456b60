"""The links in marketing emails, no sign-in: the open pixel, tracked links (a redirect
only to the URL signed into the token: no open redirect), unsubscribe (GET only asks, so
link scanners that follow every link unsubscribe nobody; POST acts, including RFC 8058
one-click), the preferences page, and the bounce webhook of a mail provider.

The signed token is the authority, so the unsubscribe confirmation and the one-click POST
are CSRF-exempt (a mail provider's one-click POST has no session); the preferences form
keeps its CSRF token, and the webhook is authenticated by an HMAC signature."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from app.blueprints.public import bp
from app.extensions import csrf, db, limiter
from app.models.marketing import CampaignRecipient, MarketingTopic
from app.services import (
    bounces,
    email_preferences,
    mail_tracking,
    tracking_tokens,
    web_visitors,
)
from app.services.tracking_tokens import TokenInvalid

# The smallest transparent GIF (43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
TOPIC_LABELS = {
    MarketingTopic.NEWSLETTER: _l("Newsletter"),
    MarketingTopic.PRODUCT: _l("Product news"),
    MarketingTopic.EVENTS: _l("Events and webinars"),
    MarketingTopic.OFFERS: _l("Offers and promotions"),
}
PER_TOKEN_LIMIT = "10 per minute"


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_MAIL_LINK_RATE_LIMIT") or "300 per minute"


def _token_key() -> str:
    return "mail-link:" + str((request.view_args or {}).get("token", ""))[:200]


def _private(response):
    """Mail pages are personal: never cached, indexed, framed or named in a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _page(template: str, status: int = 200, locale: str = "", **context):
    if locale:
        with force_locale(locale):
            body = render_template(template, **context)
    else:
        body = render_template(template, **context)
    return _private(make_response(body, status))


def _not_found():
    return _page(
        "public/mail_message.html",
        404,
        title=_("Link not valid"),
        text=_("This link is not valid or has expired. Nothing was changed."),
    )


@bp.get("/m/o/<token>.gif")
def mail_open(token: str):
    try:
        recipient_id = tracking_tokens.read_open_token(token)
    except TokenInvalid:
        recipient_id = None
    if recipient_id is not None and mail_tracking.record_open(recipient_id):
        db.session.commit()
    response = make_response(PIXEL)
    response.headers["Content-Type"] = "image/gif"
    return _private(response)


def _safe_target(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    return not any(ord(char) < 32 or char in "\\ " for char in url)


@bp.get("/m/c/<token>")
def mail_click(token: str):
    try:
        recipient_id, url = tracking_tokens.read_click_token(token)
    except TokenInvalid:
        return _not_found()
    if not _safe_target(url):
        return _not_found()
    if mail_tracking.record_click(recipient_id, url):
        db.session.commit()
    # A tracked site (RAPPORT_TRACKED_SITES) gets the recipient's identity token (rp_t).
    return _private(redirect(web_visitors.with_identity(url, recipient_id), 302))


def _recipient(token: str) -> CampaignRecipient | None:
    try:
        recipient_id = tracking_tokens.read_unsubscribe_token(token)
    except TokenInvalid:
        return None
    recipient = db.session.get(CampaignRecipient, recipient_id)
    return recipient if recipient is not None and recipient.email else None


def _locale_of(email: str) -> str:
    pref = email_preferences.preference(email)
    return pref.locale if pref is not None else ""


@bp.route("/m/u/<token>", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_rate_limit, methods=["POST"])
@limiter.limit(PER_TOKEN_LIMIT, methods=["POST"], key_func=_token_key)
def mail_unsubscribe(token: str):
    recipient = _recipient(token)
    if recipient is None:
        return _not_found()
    email = recipient.email
    context = {
        "masked": email_preferences.masked(email),
        "preferences_url": url_for(
            "public.mail_preferences", token=tracking_tokens.preferences_token(email)
        ),
    }
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    confirmed = request.form.get("confirm") == "yes"
    if request.method == "GET" or not (one_click or confirmed):
        # A blind POST (a scanner submitting whatever it finds) only gets the question.
        return _page("public/mail_unsubscribe.html", locale=_locale_of(email), **context)
    email_preferences.unsubscribe(
        email,
        source="list_unsubscribe" if one_click else "unsubscribe_link",
        ip=request.remote_addr,
        recipient=recipient,
    )
    db.session.commit()
    return _page("public/mail_unsubscribed.html", locale=_locale_of(email), **context)


class PreferencesForm(FlaskForm):
    subscription = RadioField(
        _l("Marketing email"),
        choices=[
            SelectChoice("subscribed", _l("Send me marketing email")),
            SelectChoice("unsubscribed", _l("Unsubscribe from all marketing email")),
        ],
    )
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("en", "English"), SelectChoice("zh_Hant", "繁體中文")]
    )


def _preferences_form(pref, data=None) -> PreferencesForm:
    form_class = type("TopicsPreferencesForm", (PreferencesForm,), {})
    opted_out = set(pref.topics_opted_out or []) if pref is not None else set()
    for topic, label in TOPIC_LABELS.items():
        setattr(
            form_class,
            f"topic_{topic.value}",
            BooleanField(label, default=topic.value not in opted_out),
        )
    subscribed = pref is not None and pref.consent and pref.unsubscribed_at is None
    return form_class(
        formdata=data,
        subscription="subscribed" if subscribed else "unsubscribed",
        locale=(pref.locale if pref is not None and pref.locale else "en"),
    )


@bp.route("/m/p/<token>", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
@limiter.limit(PER_TOKEN_LIMIT, methods=["POST"], key_func=_token_key)
def mail_preferences(token: str):
    try:
        email = tracking_tokens.read_preferences_token(token)
    except TokenInvalid:
        return _not_found()
    pref = email_preferences.preference(email)
    form = _preferences_form(pref, request.form if request.method == "POST" else None)
    saved = False
    if request.method == "POST" and form.validate():
        email_preferences.apply_preferences(
            email,
            subscribed=form.subscription.data == "subscribed",
            opted_out={t for t in TOPIC_LABELS if not form[f"topic_{t.value}"].data},
            locale=form.locale.data,
            ip=request.remote_addr,
        )
        db.session.commit()
        pref, saved = email_preferences.preference(email), True
    return _page(
        "public/mail_preferences.html",
        locale=pref.locale if pref is not None else "",
        form=form,
        topics=[form[f"topic_{t.value}"] for t in TOPIC_LABELS],
        masked=email_preferences.masked(email),
        pref=pref,
        saved=saved,
    )


def _json_error(message: str, status: int = 400):
    return current_app.response_class(
        json.dumps({"error": {"code": "bad_request", "message": message}}),
        status=status,
        mimetype="application/json",
    )


@bp.post("/m/bounces")
@csrf.exempt
def mail_bounce_webhook():
    secret = current_app.config.get("RAPPORT_BOUNCE_WEBHOOK_SECRET") or ""
    if not secret:
        abort(404)
    body = request.get_data(cache=False)
    if not bounces.webhook_signature_ok(
        secret,
        body,
        request.headers.get("X-Rapport-Signature", ""),
        request.headers.get("X-Rapport-Timestamp", ""),
    ):
        return _json_error("bad or stale signature", 401)
    try:
        items = bounces.parse_webhook(body)
    except bounces.WebhookInvalid as invalid:
        return _json_error(str(invalid))
    bounces.apply_webhook(items)
    db.session.commit()
    return "", 204
