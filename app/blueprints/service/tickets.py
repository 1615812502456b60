"""A ticket's own pages: the new-ticket form (a call, a chat, a social post logged by an
agent), the ticket page with its conversation (public replies and internal notes; htmx
re-renders it in place after a reply), status and assignment buttons, the edit form, the
merge of duplicates and attachment downloads."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.service import bp
from app.blueprints.service.ticket_forms import (
    AssignForm,
    MergeForm,
    ReplyForm,
    TicketForm,
    agent_choices,
    uploaded_files,
)
from app.extensions import db
from app.htmx import hx_trigger, wants_fragment
from app.models.customers import Contact, Customer
from app.models.identity import Team, User
from app.models.service import Ticket, TicketCategory, TicketStatus
from app.services import ticket_attachments, ticket_merge, tickets
from app.services.sms import ticket_notices
from app.services.validation import RecordInvalid


def ticket_or_404(ticket_id, action: str = "read") -> Ticket:
    """The ticket if the user may read it (404 otherwise, as for any record), and may do
    `action` to it (403)."""
    ticket = db.session.get(Ticket, int(ticket_id)) if str(ticket_id).isdigit() else None
    if ticket is None or not permissions.can(current_user, "read", "ticket", ticket):
        abort(404)
    permissions.require(current_user, action, "ticket", ticket)
    return ticket


def show_url(ticket: Ticket, anchor: str = "") -> str:
    return url_for("service.ticket_show", ticket_id=ticket.id) + anchor


def _labels() -> dict:
    return {
        "status_labels": tickets.STATUS_LABELS,
        "priority_labels": tickets.PRIORITY_LABELS,
        "channel_labels": tickets.CHANNEL_LABELS,
        "TicketStatus": TicketStatus,
    }


def _conversation_context(ticket: Ticket, reply_form: ReplyForm | None = None) -> dict:
    files = ticket_attachments.attachments_of(ticket)
    by_comment: dict[int | None, list] = {}
    for attachment in files:
        by_comment.setdefault(attachment.comment_id, []).append(attachment)
    return {
        "ticket": ticket,
        "comments": tickets.comments_of(ticket, include_internal=True),
        "files_by_comment": by_comment,
        "attachments": files,
        "reply_form": reply_form or ReplyForm(formdata=None),
        "may_edit": permissions.can(current_user, "edit", "ticket", ticket),
        "sms_number": ticket_notices.offer_masked(ticket),
        "sms_by_comment": ticket_notices.by_comment(ticket),
    }


def _page_context(ticket: Ticket) -> dict:
    assign_form = AssignForm(formdata=None, data={"owner_id": ticket.owner_id})
    assign_form.owner_id.choices = agent_choices(_("Unassigned (the team's queue)"))
    return {
        **_conversation_context(ticket),
        **_labels(),
        "customer": db.session.get(Customer, ticket.customer_id) if ticket.customer_id else None,
        "contact": db.session.get(Contact, ticket.contact_id) if ticket.contact_id else None,
        "category": db.session.get(TicketCategory, ticket.category_id)
        if ticket.category_id
        else None,
        "team": db.session.get(Team, ticket.team_id) if ticket.team_id else None,
        "assignee": db.session.get(User, ticket.owner_id) if ticket.owner_id else None,
        "merged_into": ticket_merge.merged_into(ticket),
        "assign_form": assign_form,
        "merge_form": MergeForm(formdata=None),
        "next_statuses": _next_statuses(ticket),
    }


def _next_statuses(ticket: Ticket) -> list[TicketStatus]:
    """The status buttons to offer: a closed ticket only reopens; a merged one never moves."""
    if ticket.merged_into_id is not None:
        return []
    if ticket.status is TicketStatus.CLOSED:
        return [TicketStatus.OPEN]
    return [status for status in TicketStatus if status is not ticket.status]


@bp.get("/tickets/<int:ticket_id>")
def ticket_show(ticket_id: int):
    ticket = ticket_or_404(ticket_id)
    return render_template("service/ticket_show.html", **_page_context(ticket))


def _form(ticket: Ticket | None) -> TicketForm:
    form = TicketForm(obj=ticket if request.method == "GET" else None)
    if ticket is None and request.method == "GET":
        form.customer_id.data = request.args.get("customer_id", type=int)
        contact = db.session.get(Contact, request.args.get("contact_id", 0, type=int))
        if contact is not None and permissions.can(current_user, "read", "contact", contact):
            form.contact_id.data = contact.id
            form.customer_id.data = form.customer_id.data or contact.customer_id
    if ticket is not None and request.method == "GET":
        form.priority.data = ticket.priority.value
        form.channel.data = ticket.channel.value
    form.set_choices(current_user, ticket)
    return form


def _create(form: TicketForm) -> Ticket:
    """The ticket and its files, all or nothing (a refused file refuses the ticket)."""
    ticket = tickets.create_ticket(current_user, **form.values())
    for upload in uploaded_files(form.attachments):
        ticket_attachments.save_attachment(
            ticket, upload.filename, upload.stream, actor=current_user
        )
    return ticket


@bp.route("/tickets/new", methods=["GET", "POST"])
def ticket_new():
    permissions.require(current_user, "create", "ticket")
    form = _form(None)
    ticket = save_valid_form(form, lambda: _create(form))
    if ticket is not None:
        flash(_("The ticket %(number)s is opened.", number=ticket.number), "success")
        return redirect(show_url(ticket))
    return render_template("service/ticket_form.html", form=form, ticket=None)


@bp.get("/tickets/customer-fields")
def ticket_customer_fields():
    """The contact picker for the customer chosen on the ticket form."""
    permissions.require(current_user, "create", "ticket")
    form = TicketForm(formdata=None)
    form.set_contact_choices(current_user, request.args.get("customer_id", type=int))
    return render_template("service/_ticket_contact_field.html", form=form)


@bp.route("/tickets/<int:ticket_id>/edit", methods=["GET", "POST"])
def ticket_edit(ticket_id: int):
    ticket = ticket_or_404(ticket_id, "edit")
    form = _form(ticket)
    saved = save_valid_form(
        form, lambda: tickets.update_ticket(ticket, current_user, **form.values(False))
    )
    if saved is not None:
        flash(_("The changes to %(number)s are saved.", number=ticket.number), "success")
        return redirect(show_url(ticket))
    return render_template("service/ticket_form.html", form=form, ticket=ticket)


def _reply(ticket: Ticket, form: ReplyForm):
    comment = tickets.add_comment(
        ticket, current_user, form.body.data, internal=bool(form.internal.data)
    )
    for upload in uploaded_files(form.attachments):
        ticket_attachments.save_attachment(
            ticket, upload.filename, upload.stream, actor=current_user, comment=comment
        )
    if form.notify_sms.data:
        ticket_notices.queue_reply_notice(comment, current_user)
    return comment


@bp.post("/tickets/<int:ticket_id>/reply")
def ticket_reply(ticket_id: int):
    """A public reply or an internal note, with files; htmx gets the conversation back
    (with the form's errors, or emptied), a plain post goes back to the page."""
    ticket = ticket_or_404(ticket_id, "edit")
    form = ReplyForm()
    comment = save_valid_form(form, lambda: _reply(ticket, form))
    if comment is not None:
        form = ReplyForm(formdata=None)
    if wants_fragment():
        context = _conversation_context(ticket, form)
        html = render_template("service/_ticket_replied.html", **context)
        return hx_trigger(make_response(html), "ticketChanged") if comment else html
    if comment is not None:
        message = _("The note is added.") if comment.is_internal else _("The reply is sent.")
        flash(message, "success")
    else:
        flash(" ".join(form.body.errors + form.attachments.errors + form.form_errors), "error")
    return redirect(show_url(ticket, "#ticket-conversation"))


def _change(ticket: Ticket, action, message: str):
    try:
        action()
    except RecordInvalid as refused:
        db.session.rollback()
        flash(" ".join(str(text) for text in refused.errors.values()), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(show_url(ticket))


@bp.post("/tickets/<int:ticket_id>/status")
def ticket_status(ticket_id: int):
    ticket = ticket_or_404(ticket_id, "edit")
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    wanted = request.form.get("status", "")
    return _change(
        ticket,
        lambda: tickets.set_status(ticket, current_user, wanted),
        _("The ticket's status is changed."),
    )


@bp.post("/tickets/<int:ticket_id>/assign")
def ticket_assign(ticket_id: int):
    """Assign to a colleague chosen in the picker, or to me (`me=1`)."""
    ticket = ticket_or_404(ticket_id, "edit")
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    user_id = current_user.id if request.form.get("me") else form.owner_id.data
    return _change(
        ticket,
        lambda: tickets.assign(ticket, current_user, user_id),
        _("The ticket is assigned.") if user_id else _("The ticket is back in the queue."),
    )


@bp.route("/tickets/<int:ticket_id>/merge", methods=["GET", "POST"], endpoint="ticket_merge")
def merge_duplicates(ticket_id: int):
    """Merge duplicates (named by number) into this ticket."""
    ticket = ticket_or_404(ticket_id, "edit")
    form = MergeForm()
    if form.validate_on_submit():
        found, missing = ticket_merge.find_by_numbers(form.numbers.data or "")
        readable = [t for t in found if permissions.can(current_user, "read", "ticket", t)]
        missing += [t.number for t in found if t not in readable]
        if missing:
            form.numbers.errors.append(
                _("No such ticket: %(numbers)s.", numbers=", ".join(missing))
            )
        else:
            merged = save_valid_form(
                form, lambda: ticket_merge.merge(ticket, readable, current_user)
            )
            if merged is not None:
                numbers = ", ".join(t.number for t in readable)
                flash(
                    _("%(numbers)s merged into %(number)s.", numbers=numbers, number=ticket.number),
                    "success",
                )
                return redirect(show_url(ticket))
    return render_template("service/ticket_merge.html", ticket=ticket, merge_form=form)


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
def ticket_attachment(ticket_id: int, attachment_id: int):
    """A file of a ticket the user may read, always as a download (never shown inline)."""
    ticket = ticket_or_404(ticket_id)
    attachment = ticket_attachments.attachment_of(ticket, attachment_id)
    if attachment is None:
        abort(404)
    response = send_file(
        ticket_attachments.attachment_path(attachment),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=ticket_attachments.download_name(attachment),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
