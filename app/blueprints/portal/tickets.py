"""The customer's tickets on the portal: the list, a ticket's public conversation with the
reply form (replying reopens it), its files, and opening a ticket, preceded by the help bot
that offers matching public articles first. Everything is looked up through
`portal_access`, so another customer's ticket is a 404."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.blueprints.portal import bp
from app.blueprints.portal.forms import NewTicketForm, ReplyForm
from app.blueprints.portal.session import current_portal_user, portal_login_required
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.service import Ticket, TicketChannel
from app.services import kb, portal_access, portal_accounts, ticket_attachments, tickets
from app.services.predictions import kb_retrieval
from app.services.validation import RecordInvalid

LIST_LIMIT = 100
HELP_ANSWERS = 5
QUESTION_LENGTH = 2000


def _ticket_or_404(ticket_id: int) -> Ticket:
    found = portal_access.ticket(current_portal_user(), ticket_id)
    if found is None:
        abort(404)
    return found


def _files(form) -> list:
    return [f for f in (form.files.data or []) if getattr(f, "filename", "")]


def _attach(ticket: Ticket, contact, files, comment=None) -> None:
    for upload in files:
        ticket_attachments.save_attachment(
            ticket, upload.filename, upload.stream, by_contact=contact, comment=comment
        )


def _show_errors(form, invalid: RecordInvalid, default: str) -> None:
    for name, text in invalid.errors.items():
        target = form._fields.get(name) or form._fields[default]
        target.errors = [*target.errors, text]


@bp.get("/tickets")
@portal_login_required
def tickets_index():
    rows = db.session.scalars(
        portal_access.tickets_query(current_portal_user())
        .order_by(Ticket.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return render_template("portal/tickets.html", tickets=rows, status_labels=tickets.STATUS_LABELS)


def _ticket_page(ticket: Ticket, form: ReplyForm, status: int = 200):
    return render_template(
        "portal/ticket.html",
        ticket=ticket,
        comments=portal_access.conversation(ticket),
        attachments=portal_access.attachments(ticket),
        form=form,
        status_labels=tickets.STATUS_LABELS,
    ), status


@bp.get("/tickets/<int:ticket_id>")
@portal_login_required
def ticket_show(ticket_id: int):
    return _ticket_page(_ticket_or_404(ticket_id), ReplyForm(formdata=None))


@bp.post("/tickets/<int:ticket_id>/reply")
@portal_login_required
def ticket_reply(ticket_id: int):
    ticket = _ticket_or_404(ticket_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket, form, 422)
    contact = portal_accounts.contact_of(current_portal_user())
    try:
        comment = tickets.add_comment(
            ticket, None, form.body.data, by_contact=contact, channel=TicketChannel.WEB
        )
        _attach(ticket, contact, _files(form), comment)
    except RecordInvalid as invalid:
        db.session.rollback()
        _show_errors(form, invalid, "body")
        return _ticket_page(_ticket_or_404(ticket_id), form, 422)
    db.session.commit()
    return redirect(url_for("portal.ticket_show", ticket_id=ticket_id) + "#ticket-conversation")


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@portal_login_required
def ticket_attachment(ticket_id: int, attachment_id: int):
    found = portal_access.attachment(current_portal_user(), ticket_id, attachment_id)
    if found is None:
        abort(404)
    _, attachment = found
    return send_file(
        ticket_attachments.attachment_path(attachment),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=ticket_attachments.download_name(attachment),
        max_age=0,
    )


def _question() -> str:
    return (request.args.get("q") or "").strip()[:QUESTION_LENGTH]


def _answers(question: str) -> list:
    """Public articles for the question, those in the reader's language first."""
    if not question:
        return []
    locale = current_portal_user().locale
    found = kb_retrieval.answers(question, language=locale, limit=HELP_ANSWERS)
    if not found:
        found = kb.search(question, None, public_only=True)
    found.sort(key=lambda article: article.language != locale)  # stable: relevance kept
    return found[:HELP_ANSWERS]


@bp.get("/help")
@portal_login_required
def help_bot():
    question = _question()
    return render_page_or_fragment(
        "portal/help.html", "portal/_help_answers.html",
        question=question, answers=_answers(question), asked=bool(question),
    )  # fmt: skip


@bp.route("/tickets/new", methods=["GET", "POST"])
@portal_login_required
def ticket_new():
    form = NewTicketForm()
    if request.method == "GET":
        question = _question()
        form.subject.data = " ".join(question.split())[:120]
        form.description.data = question
    if form.validate_on_submit():
        contact = portal_accounts.contact_of(current_portal_user())
        try:
            ticket = tickets.create_ticket(
                None,
                by_contact=contact,
                subject=form.subject.data,
                description=form.description.data,
            )
            _attach(ticket, contact, _files(form))
        except RecordInvalid as invalid:
            db.session.rollback()
            _show_errors(form, invalid, "description")
        else:
            db.session.commit()
            return redirect(url_for("portal.ticket_show", ticket_id=ticket.id))
    return render_template("portal/ticket_new.html", form=form), 422 if form.errors else 200


@bp.get("/help/answered")
@portal_login_required
def help_answered():
    text = _("We are glad the article helped. You can ask another question at any time.")
    return render_template("portal/message.html", title=_("Glad we could help"), text=text)
