"""The ticket queues: tabs per view with counts that refresh themselves, the filter bar, a
sortable keyset-paged table, bulk actions on the ticked rows, and the "also viewing this
ticket" notice the ticket page loads."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app import permissions
from app.blueprints.service import bp
from app.extensions import db
from app.htmx import hx_trigger, render_page_or_fragment, wants_fragment
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.service import Ticket, TicketCategory
from app.services import record_checks, ticket_bulk, ticket_queues, tickets
from app.services import ticket_presence as presence
from app.services.validation import RecordInvalid

VIEW_LABELS = {
    "mine": _l("My tickets"),
    "unassigned": _l("Unassigned"),
    "team": _l("My team"),
    "breaching": _l("Breaching soon"),
    "all": _l("All"),
}
SORT_LABELS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "priority": _l("Priority (urgent first)"),
    "due": _l("Due soonest"),
    "updated": _l("Recently updated"),
}
EMPTY_STATES = {
    "mine": _l("Nothing assigned to you is waiting. Pick one up from the unassigned queue."),
    "unassigned": _l("Every ticket has an assignee."),
    "team": _l("Your team's queue is empty."),
    "breaching": _l("No ticket is close to missing its due time."),
    "all": _l("No tickets yet. Log one when a customer calls."),
}
STATUS_KINDS = {
    "OPEN": "info", "IN_PROGRESS": "warning", "PENDING": "neutral",
    "RESOLVED": "success", "CLOSED": "neutral",
}  # fmt: skip
PRIORITY_KINDS = {"URGENT": "danger", "HIGH": "warning", "MEDIUM": "info", "LOW": "neutral"}


def _ticket_page_url(ticket_id: int) -> str:
    """The ticket page, also while its endpoint (built by the ticket pages) is missing."""
    if "service.ticket_show" in current_app.view_functions:
        return url_for("service.ticket_show", ticket_id=ticket_id)
    return f"/tickets/{ticket_id}"


def _new_ticket_url() -> str:
    if "service.ticket_new" in current_app.view_functions:
        return url_for("service.ticket_new")
    return "/tickets/new"


def _customer_names(rows) -> dict[int, str]:
    ids = {row.customer_id for row in rows if row.customer_id}
    if not ids:
        return {}
    query = sa.select(Customer.id, Customer.name).where(Customer.id.in_(ids))
    return dict(db.session.execute(query).tuples().all())


def _tabs_context(filters, counts: dict) -> dict:
    views = [v for v in ticket_queues.VIEWS if v != "team" or current_user.team_id is not None]
    return {
        "filters": filters,
        "views": views,
        "view_labels": VIEW_LABELS,
        "counts": {view: ticket_queues.count_label(counts[view]) for view in views},
    }


def _rows_context(filters, message: str = "", message_kind: str = "success") -> dict:
    rows, next_cursor = ticket_queues.queue_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    args = filters.as_args()
    return {
        "filters": filters,
        "rows": rows,
        "now": utcnow(),
        "next_due": ticket_queues.next_due,
        "owners": record_checks.owner_names(rows),
        "customers": _customer_names(rows),
        "ticket_url": _ticket_page_url,
        "new_ticket_url": _new_ticket_url(),
        "state": urlencode(args),
        "sort_url": lambda sort: url_for("service.queue", **args | {"sort": sort}),
        "pager": {
            "first_url": url_for("service.queue", **args) if request.args.get("cursor") else None,
            "next_url": url_for("service.queue", **args, cursor=next_cursor)
            if next_cursor
            else None,
        },
        "status_labels": tickets.STATUS_LABELS,
        "priority_labels": tickets.PRIORITY_LABELS,
        "status_kinds": STATUS_KINDS,
        "priority_kinds": PRIORITY_KINDS,
        "empty_message": EMPTY_STATES[filters.view],
        "message": message,
        "message_kind": message_kind,
        "may_edit": permissions.can(current_user, "edit", "ticket"),
    }


@bp.get("/tickets")
def queue():
    permissions.require(current_user, "read", "ticket")
    filters = ticket_queues.TicketFilters.from_args(request.args)
    context = _rows_context(filters)
    if not wants_fragment():
        context |= _tabs_context(filters, ticket_queues.view_counts(current_user))
        context |= {
            "assignable": record_checks.assignable_users(current_user, "ticket"),
            "categories": db.session.execute(
                sa.select(TicketCategory.id, TicketCategory.name).order_by(TicketCategory.name)
            ).all(),
            "channel_labels": tickets.CHANNEL_LABELS,
            "sort_labels": SORT_LABELS,
        }
    return render_page_or_fragment(
        "service/queue_index.html", "service/_queue_rows.html", **context
    )


@bp.get("/tickets/counts")
def queue_counts():
    """The tabs with their counts (polled, and reloaded on ticketsChanged)."""
    permissions.require(current_user, "read", "ticket")
    filters = ticket_queues.TicketFilters.from_args(request.args)
    context = _tabs_context(filters, ticket_queues.view_counts(current_user))
    return render_template("service/_queue_tabs.html", **context)


@bp.post("/tickets/bulk")
def queue_bulk():
    """Assign, resolve or close the ticked tickets, each checked on its own; the queue is
    drawn again with how many changed and how many were skipped."""
    permissions.require(current_user, "read", "ticket")
    state = request.form.get("state", "")
    filters = ticket_queues.TicketFilters.from_args(MultiDict(parse_qsl(state)))
    action = request.form.get("action", "")
    assignee = current_user.id if action == "assign_me" else request.form.get("assignee_id")
    kind = "success"
    if not request.form.getlist("ids"):
        message, kind = _("Tick the tickets to change first."), "error"
    else:
        try:
            outcome = ticket_bulk.apply(
                current_user, request.form.getlist("ids"), action.removesuffix("_me"), assignee
            )
        except RecordInvalid as invalid:
            db.session.rollback()
            message, kind = " ".join(invalid.errors.values()), "error"
        else:
            db.session.commit()
            message = _result_message(outcome)
            kind = "success" if outcome.changed else "error"
    if not wants_fragment():
        flash(message, kind)
        return redirect(url_for("service.queue", **filters.as_args()))
    html = render_template("service/_queue_rows.html", **_rows_context(filters, message, kind))
    return hx_trigger(current_app.make_response(html), "ticketsChanged")


def _result_message(outcome) -> str:
    if outcome.skipped:
        return _(
            "%(changed)d changed, %(skipped)d skipped: you may not change those, or they "
            "cannot move so.",
            changed=outcome.changed,
            skipped=outcome.skipped,
        )
    return _("%(changed)d changed.", changed=outcome.changed)


@bp.get("/tickets/<int:ticket_id>/presence")
def ticket_presence(ticket_id: int):
    """Note that the current user has the ticket open; who else does (polled by the page)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not permissions.can(current_user, "read", "ticket", ticket):
        abort(404)
    presence.touch(ticket.id, current_user)
    viewers = presence.viewers(ticket.id, current_user)
    return render_template(
        "service/_ticket_presence.html", ticket=ticket, viewers=viewers, now=utcnow()
    )
