"""The SMS provider's webhooks, no sign-in: inbound messages (POST /sms/inbound, answered
with TwiML) and delivery reports (POST /sms/status). The provider has no session, so both
are CSRF-exempt; each post must carry a valid X-Twilio-Signature made with the auth token
(403 otherwise, nothing changed). Only with the development provider, outside production,
are unsigned posts taken, so the flows can be tried without a provider."""

from __future__ import annotations

from flask import abort, current_app, request

from app.audit import set_actor
from app.blueprints.public import bp
from app.extensions import csrf, db, limiter
from app.services.sms import inbound, messages, providers, signatures


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_SMS_WEBHOOK_RATE_LIMIT") or "600 per minute"


def _signature_required() -> bool:
    config = current_app.config
    return providers.provider_name() != "dev" or config.get("ENV_NAME") == "production"


def _check_signature() -> None:
    """403 unless the post is signed with the auth token (see the module's notes)."""
    if not _signature_required():
        return
    public_url = current_app.config["BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    valid = signatures.is_valid(
        current_app.config.get("RAPPORT_SMS_AUTH_TOKEN") or "",
        [public_url, request.url],
        request.form.items(multi=True),
        request.headers.get("X-Twilio-Signature", ""),
    )
    if not valid:
        abort(403)


@bp.post("/sms/inbound")
@csrf.exempt
@limiter.limit(_rate_limit)
def sms_inbound():
    _check_signature()
    # What an inbound message changes (an opt-out, say) is the public's doing, via the SMS
    # provider: audited so.
    set_actor(db.session, None, source="sms", ip=request.remote_addr)
    form = request.form
    result = inbound.receive(
        from_number=form.get("From", ""),
        to_number=form.get("To", ""),
        body=form.get("Body", ""),
        provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
        ip=request.remote_addr,
    )
    db.session.commit()
    response = current_app.response_class(signatures.twiml(result.reply), mimetype="text/xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sms/status")
@csrf.exempt
@limiter.limit(_rate_limit)
def sms_status():
    _check_signature()
    set_actor(db.session, None, source="sms", ip=request.remote_addr)
    form = request.form
    provider_id = form.get("MessageSid") or form.get("SmsSid") or ""
    if not provider_id:
        abort(400)
    messages.apply_status(
        provider_id,
        form.get("MessageStatus") or form.get("SmsStatus") or "",
        form.get("ErrorCode", ""),
        form.get("ErrorMessage", ""),
    )
    db.session.commit()
    return "", 204
