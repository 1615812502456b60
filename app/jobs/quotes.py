"""Jobs for quotes: render a quote's PDF, and send a quote by email with its PDF."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale, gettext

from app import permissions
from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.orders import Quote
from app.services import quote_pdf, quote_sending
from app.services.validation import RecordInvalid


def _quote(quote_id: int, actor, action: str) -> Quote:
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        raise LookupError(f"quote {quote_id} no longer exists")
    # Rights may have changed since the job was queued: check them again now.
    permissions.require(actor, action, "quote", quote)
    return quote


@background_job
def render_quote_pdf(quote_id: int, *, actor) -> str:
    """Make sure quote `quote_id` has an up-to-date PDF; the job links to it."""
    quote = _quote(quote_id, actor, "read")
    with force_locale(actor.locale):
        report_progress(0, 1, gettext("Rendering %(quote)s…", quote=quote.reference))
        quote_pdf.ensure_pdf(quote)
        finish(
            result_url=url_for("sales.quote_pdf", quote_id=quote.id),
            message=gettext("The PDF of %(quote)s is ready.", quote=quote.reference),
        )
    return quote.pdf_file


@background_job
def send_quote(quote_id: int, to: str, message: str, *, actor) -> None:
    """Email quote `quote_id` with its PDF to `to` and mark it sent."""
    quote = _quote(quote_id, actor, "edit")
    with force_locale(actor.locale):
        report_progress(0, 1, gettext("Sending %(quote)s…", quote=quote.reference))
        to = to or quote_sending.default_recipient(quote)
        try:
            quote_sending.send_quote(quote, actor, to, message)
        except RecordInvalid as invalid:
            # Fail the job with the reason shown under its progress bar.
            report_progress(0, 1, " ".join(str(m) for m in invalid.errors.values()))
            raise
        finish(
            result_url=url_for("sales.quote_pdf", quote_id=quote.id),
            message=gettext("%(quote)s was sent to %(to)s.", quote=quote.reference, to=to),
        )
