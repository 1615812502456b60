"""The survey emails: a CSAT question about a resolved ticket (five one-click links, 1-5)
and an NPS question (eleven, 0-10), in the contact's portal language when they have one.
Called by the jobs in app/jobs/surveys.py after the transaction that created the surveys
committed; each survey is emailed at most once (a Redis marker, as for acknowledgements)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext

from app import queues
from app.extensions import db
from app.models.customers import Contact
from app.models.service import PortalUser, SurveyKind, SurveyResponse, Ticket
from app.services import mail, surveys
from app.services.ticket_mail import support_address

_EMAILED = "rapport:survey-emailed:"
_MARK_DAYS = 45


def contact_locale(contact_id: int | None) -> str | None:
    """The language the contact chose on the portal, if they have an account there."""
    if contact_id is None:
        return None
    locale = db.session.scalar(
        sa.select(PortalUser.locale).where(PortalUser.contact_id == contact_id)
    )
    return locale if locale in current_app.config["LANGUAGES"] else None


def links(response: SurveyResponse) -> list[tuple[int, str]]:
    """(score, one-click URL) for every score the survey offers."""
    return [
        (
            score,
            url_for("portal.survey", token=surveys.answer_token(response, score), _external=True),
        )
        for score in surveys.scores_of(response.kind)
    ]


def build(response: SurveyResponse, contact: Contact) -> EmailMessage:
    locale = contact_locale(contact.id) or current_app.config["BABEL_DEFAULT_LOCALE"]
    ticket = db.session.get(Ticket, response.ticket_id) if response.ticket_id else None
    template = "survey_csat" if response.kind is SurveyKind.CSAT else "survey_nps"
    with force_locale(locale):
        context = {
            "response": response,
            "contact": contact,
            "ticket": ticket,
            "links": links(response),
            "csat_labels": surveys.CSAT_LABELS,
            "company": current_app.config.get("RAPPORT_COMPANY_NAME", ""),
        }
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        if ticket is not None:
            subject = gettext("[%(number)s] How did we do?", number=ticket.number)
        else:
            subject = gettext(
                "How likely are you to recommend %(company)s?", company=context["company"]
            )
    message = mail.build_message(contact.email, subject, text, html)
    if ticket is not None:
        del message["From"]
        message["From"] = formataddr(support_address())
        message["X-Rapport-Ticket"] = ticket.number
    # A machine's message: out-of-office replies stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    return message


def _recipient(response: SurveyResponse) -> Contact | None:
    contact = db.session.get(Contact, response.contact_id) if response.contact_id else None
    return contact if contact is not None and contact.email.strip() else None


def _claim(response_id: int) -> bool:
    return bool(
        queues.connection().set(f"{_EMAILED}{response_id}", 1, nx=True, ex=_MARK_DAYS * 86400)
    )


def _release(response_id: int) -> None:
    queues.connection().delete(f"{_EMAILED}{response_id}")


def send_batch(response_ids: list[int]) -> int:
    """Email every survey of `response_ids` not emailed yet and still unanswered, over one
    SMTP connection; returns how many went out."""
    responses = db.session.scalars(
        sa.select(SurveyResponse)
        .where(SurveyResponse.id.in_(response_ids), SurveyResponse.answered_at.is_(None))
        .order_by(SurveyResponse.id)
    ).all()
    work = [(r, c) for r in responses if (c := _recipient(r)) is not None]
    if not work:
        return 0
    sent = 0
    with mail.smtp_connection() as server:
        for response, contact in work:
            if not _claim(response.id):
                continue
            try:
                server.send_message(build(response, contact))
            except Exception:
                _release(response.id)
                raise
            sent += 1
    return sent
