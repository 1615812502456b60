"""A quote's PDF and its sending by email: both run as background jobs, answered with a
self-polling progress bar; the PDF itself is served to whoever may read the quote."""

from __future__ import annotations

from flask import abort, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, queues
from app.blueprints.sales import bp
from app.blueprints.sales.quote_document_forms import SendQuoteForm
from app.extensions import db
from app.jobs import quotes as quote_jobs
from app.models.orders import Quote
from app.services import quote_pdf as pdfs
from app.services import quote_sending
from app.services.validation import RecordInvalid

RENDER_TIMEOUT = 120  # seconds: a quote that takes longer to lay out is stopped


def _quote_or_404(quote_id: int, action: str = "read") -> Quote:
    """The quote, if the user may see it (404 otherwise) and do `action` (403)."""
    quote = db.session.get(Quote, quote_id)
    if quote is None or not permissions.can(current_user, "read", "quote", quote):
        abort(404)
    permissions.require(current_user, action, "quote", quote)
    return quote


@bp.post("/quotes/<int:quote_id>/pdf")
def quote_pdf_render(quote_id: int):
    """Queue the PDF's rendering; answer with the job's progress bar."""
    quote = _quote_or_404(quote_id)
    job = queues.enqueue(
        quote_jobs.render_quote_pdf,
        quote.id,
        actor=current_user,
        title=_("PDF of %(quote)s", quote=quote.reference),
        queue_name="reports",
        job_timeout=RENDER_TIMEOUT,
    )
    return render_template("jobs/_progress.html", job=job)


@bp.get("/quotes/<int:quote_id>/pdf")
def quote_pdf(quote_id: int):
    """The last rendered PDF, shown in the browser (404 before the first rendering)."""
    quote = _quote_or_404(quote_id)
    path = pdfs.pdf_path(quote)
    if path is None:
        abort(404)
    response = send_file(
        path, mimetype="application/pdf", download_name=f"{quote.reference}.pdf", max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/quotes/<int:quote_id>/send", methods=["GET", "POST"])
def quote_send(quote_id: int):
    """The send form (prefilled with the contact's address and a cover note); a valid post
    queues the email and answers with its progress bar."""
    quote = _quote_or_404(quote_id, "edit")
    form = SendQuoteForm()
    general_errors: list[str] = []
    if not form.is_submitted():
        form.to.data = quote_sending.default_recipient(quote)
        form.message.data = quote_sending.default_message(quote, current_user)
    elif form.validate():
        try:
            to, message = quote_sending.check_send(quote, form.to.data, form.message.data)
        except RecordInvalid as invalid:
            for name, error in invalid.errors.items():
                if name in form:
                    form[name].errors = [*form[name].errors, error]
                else:
                    general_errors.append(error)
        else:
            job = queues.enqueue(
                quote_jobs.send_quote,
                quote.id,
                to,
                message,
                actor=current_user,
                title=_("Sending %(quote)s", quote=quote.reference),
                queue_name="mail",
                job_timeout=RENDER_TIMEOUT,
            )
            return render_template("jobs/_progress.html", job=job)
    return render_template(
        "sales/_quote_send_form.html", quote=quote, form=form, general_errors=general_errors
    )
