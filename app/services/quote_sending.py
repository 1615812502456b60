"""Sending a quote: mark it sent, email its PDF to the customer's contact with the signed
portal link where they can view, accept or decline it."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext
from werkzeug.routing import BuildError

from app import permissions
from app.extensions import db
from app.models.customers import Contact
from app.models.orders import Quote, QuoteStatus
from app.services import mail, quote_pdf, quotes
from app.services.record_checks import check_email
from app.services.validation import RecordInvalid

MESSAGE_LENGTH = 5_000


def default_recipient(quote: Quote) -> str:
    """The quote contact's email address, or "" when it has none."""
    contact = db.session.get(Contact, quote.contact_id) if quote.contact_id else None
    return contact.email if contact is not None else ""


def default_message(quote: Quote, actor) -> str:
    """The cover note the send form starts with, in the actor's language."""
    contact = db.session.get(Contact, quote.contact_id) if quote.contact_id else None
    with force_locale(actor.locale):
        greeting = (
            gettext("Dear %(name)s,", name=contact.full_name)
            if contact is not None
            else gettext("Hello,")
        )
        body = gettext(
            "Please find attached our quote %(quote)s: %(title)s. You can view it, accept it "
            "or decline it online with the link below.",
            quote=quote.reference,
            title=quote.title,
        )
        return f"{greeting}\n\n{body}\n\n{gettext('Kind regards,')}\n{actor.name}"


def portal_link(quote: Quote) -> str:
    """The signed link to the quote on the customer portal."""
    token = quotes.portal_token(quote)
    try:
        return url_for("portal.quote", token=token, _external=True)
    except BuildError:
        # Until the portal's page exists, the link it will have.
        return current_app.config["BASE_URL"].rstrip("/") + "/portal/quotes/" + token


def check_send(quote: Quote, to: str | None, message: str | None) -> tuple[str, str]:
    """The recipient and the message as they will be sent, or RecordInvalid (also for a
    quote that cannot be sent: decided, superseded or without lines)."""
    errors: dict[str, str] = {}
    fields = {"to": to if to not in (None, "") else default_recipient(quote)}
    address = check_email(fields, "to", errors)
    if not address and "to" not in errors:
        errors["to"] = gettext("Enter the email address to send the quote to.")
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        errors["quote"] = gettext(
            "%(quote)s is %(status)s and can no longer be sent; revise it to make a new version.",
            quote=quote.reference,
            status=str(quotes.STATUS_LABELS[quote.status]).lower(),
        )
    elif not quote.lines:
        errors["lines"] = gettext("Add at least one line before sending the quote.")
    text = str(message or "").replace("\r\n", "\n").strip()
    if len(text) > MESSAGE_LENGTH:
        errors["message"] = gettext("Use at most %(max)d characters.", max=MESSAGE_LENGTH)
    if errors:
        raise RecordInvalid(errors)
    return address, text


def send_quote(quote: Quote, actor, to: str | None, message: str | None) -> None:
    """Mark `quote` sent, then email its PDF and portal link to `to` (by default the
    quote's contact), in the actor's language. Flushes; the caller commits."""
    permissions.require(actor, "edit", "quote", quote)
    address, text = check_send(quote, to, message)
    quotes.mark_sent(quote, actor)
    with force_locale(actor.locale):
        path = quote_pdf.ensure_pdf(quote)
        link = portal_link(quote)
        company = current_app.config.get("RAPPORT_COMPANY_NAME", "")
        subject = gettext(
            "Quote %(quote)s from %(company)s", quote=quote.reference, company=company
        )
        context = {"quote": quote, "message": text, "link": link, "sender": actor,
                   "company": company}  # fmt: skip
        body = render_template("email/quote.txt", **context)
        html = render_template("email/quote.html", **context)
    email = mail.build_message(address, subject, body, html)
    if actor.email:
        email["Reply-To"] = actor.email
    with open(path, "rb") as fh:
        email.add_attachment(
            fh.read(),
            maintype="application",
            subtype="pdf",
            filename=f"{quote.reference}.pdf",
        )
    mail.send(email)
