"""Administration > SMS: which provider is active, the development provider's outbox (what
would have been texted, when messages are only recorded) and the log of every message in
and out, filtered by direction and status, newest first, page by page."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app.blueprints.admin import bp
from app.htmx import render_page_or_fragment
from app.models.sms import SmsDirection, SmsStatus
from app.services.sms import messages, providers

DEV_PAGE = 20
DIRECTION_LABELS = {SmsDirection.OUT: _l("Outgoing"), SmsDirection.IN: _l("Incoming")}
STATUS_LABELS = {
    SmsStatus.QUEUED: _l("Queued"),
    SmsStatus.SENDING: _l("Being sent"),
    SmsStatus.SENT: _l("Sent"),
    SmsStatus.DELIVERED: _l("Delivered"),
    SmsStatus.FAILED: _l("Failed"),
    SmsStatus.RECEIVED: _l("Received"),
}
STATUS_KINDS = {
    "QUEUED": "neutral",
    "SENDING": "info",
    "SENT": "info",
    "DELIVERED": "success",
    "FAILED": "danger",
    "RECEIVED": "info",
}


def _member(enum_cls, raw):
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


@bp.get("/sms")
def sms():
    direction = _member(SmsDirection, request.args.get("direction"))
    status = _member(SmsStatus, request.args.get("status"))
    before = request.args.get("before", type=int)
    page = messages.log_page(direction=direction, status=status, before=before)
    filters = {
        "direction": direction.value if direction else None,
        "status": status.value if status else None,
    }
    filters = {key: value for key, value in filters.items() if value}
    pager = {
        "first_url": url_for("admin.sms", **filters) if before else None,
        "next_url": url_for("admin.sms", **filters, before=page.next_before)
        if page.next_before
        else None,
    }
    is_dev = providers.provider_name() == "dev"
    return render_page_or_fragment(
        "admin/sms.html",
        "admin/_sms_rows.html",
        log=page,
        pager=pager,
        filters=filters,
        provider=providers.provider_name(),
        is_dev=is_dev,
        recorded=providers.DevelopmentProvider.recorded(0, DEV_PAGE) if is_dev else [],
        recorded_count=providers.DevelopmentProvider.recorded_count() if is_dev else 0,
        direction_labels=DIRECTION_LABELS,
        status_labels=STATUS_LABELS,
        status_kinds=STATUS_KINDS,
    )


@bp.get("/sms/outbox")
def sms_outbox():
    """The development outbox, further back (DEV_PAGE at a time)."""
    start = max(0, request.args.get("start", 0, type=int))
    return render_template(
        "admin/_sms_outbox.html",
        recorded=providers.DevelopmentProvider.recorded(start, DEV_PAGE),
        recorded_count=providers.DevelopmentProvider.recorded_count(),
        start=start,
        page_size=DEV_PAGE,
    )
