"""Activity endpoints: the list, the form fragment (new, edit), create and update, and a
customer's timeline fragment. Completing and snoozing live in tasks.py."""

from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import permissions, timezones
from app.blueprints.activities import bp
from app.blueprints.activities.forms import STATUS_LABELS, TIME_FIELDS, ActivityForm
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.htmx import hx_trigger, render_page_or_fragment, wants_fragment
from app.models.activities import ActivityKind, ActivityStatus
from app.models.customers import Customer
from app.redirects import safe_next
from app.services import activities, timeline


def activity_or_404(activity_id: int, action: str = "read"):
    """The activity if `current_user` may `action` it; 404 otherwise (existence stays secret)."""
    activity = activities.get_for(current_user, activity_id, action)
    if activity is None:
        abort(404)
    return activity


def _form_fragment(form: ActivityForm, activity=None, status: int = 200):
    kind = form.kind.data if form.kind.data in TIME_FIELDS else ActivityKind.CALL.value
    form.kind.data = kind
    if kind == ActivityKind.MEETING.value:
        form.occurred_at.label.text = _("Starts")
    return make_response(
        render_template(
            "activities/_form.html",
            form=form,
            activity=activity,
            kind=kind,
            time_fields=TIME_FIELDS[kind],
        ),
        status,
    )


def _service_fields(form: ActivityForm) -> dict:
    """The form's values for the service, times read in the signed-in user's zone."""
    return form.service_fields(timezones.user_zone(current_user))


def _saved(message: str, activity):
    """After a save: the form area says so, and the timeline and task list reload."""
    if not wants_fragment():
        return redirect(safe_next(request.form.get("next"), url_for("activities.tasks")))
    response = make_response(
        render_template("activities/_saved.html", message=message, activity=activity)
    )
    return hx_trigger(response, "timelineChanged", "tasksChanged")


@bp.get("/activities")
@login_required
def index():
    permissions.require(current_user, "read", "activity")
    filters = activities.ActivityFilters.from_args(request.args)
    cursor = timeline.decode_cursor(request.args.get("after"))
    rows, next_cursor = activities.activity_page(
        current_user, filters, cursor=(cursor[0], cursor[2]) if cursor else None
    )
    next_url = None
    if next_cursor:
        after = timeline.encode_cursor((next_cursor[0], "activities", next_cursor[1]))
        next_url = url_for("activities.index", **(request.args.to_dict() | {"after": after}))
    return render_page_or_fragment(
        "activities/index.html",
        "activities/_rows.html",
        rows=rows,
        filters=filters,
        next_url=next_url,
        kinds=list(ActivityKind),
        statuses=list(ActivityStatus),
        kind_labels=timeline.KIND_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.get("/activities/new")
@login_required
def new():
    permissions.require(current_user, "create", "activity")
    form = ActivityForm(formdata=None)
    form.kind.data = request.args.get("kind", ActivityKind.CALL.value)
    form.customer_id.data = request.args.get("customer_id", "")
    form.contact_id.data = request.args.get("contact_id", "")
    form.lead_id.data = request.args.get("lead_id", "")
    return _form_fragment(form)


@bp.post("/activities")
@login_required
def create():
    form = ActivityForm()
    activity = save_valid_form(
        form, lambda: activities.log_activity(current_user, **_service_fields(form))
    )
    if activity is not None:
        return _saved(_("“%(subject)s” is saved.", subject=activity.subject), activity)
    return _form_fragment(form)


@bp.get("/activities/<int:activity_id>/edit")
@login_required
def edit(activity_id: int):
    activity = activity_or_404(activity_id, "edit")
    form = ActivityForm.for_activity(activity, timezones.user_zone(current_user))
    return _form_fragment(form, activity)


@bp.post("/activities/<int:activity_id>")
@login_required
def update(activity_id: int):
    activity = activity_or_404(activity_id, "edit")
    form = ActivityForm()
    saved = save_valid_form(
        form, lambda: activities.update_activity(activity, current_user, **_service_fields(form))
    )
    if saved is not None:
        return _saved(_("“%(subject)s” is saved.", subject=activity.subject), activity)
    return _form_fragment(form, activity)


@bp.post("/activities/<int:activity_id>/delete")
@login_required
def delete(activity_id: int):
    activity = activity_or_404(activity_id, "delete")
    activities.delete_activity(activity, current_user)
    db.session.commit()
    if not wants_fragment():
        return redirect(url_for("activities.index"))
    return hx_trigger(make_response(""), "timelineChanged", "tasksChanged")


@bp.get("/customers/<int:customer_id>/timeline")
@login_required
def customer_timeline(customer_id: int):
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    permissions.require(current_user, "read", "customer", customer)
    before = timeline.decode_cursor(request.args.get("before"))
    items, next_cursor = timeline.customer_timeline(current_user, customer_id, before)
    template = "activities/_timeline_items.html" if before else "activities/_timeline.html"
    return render_template(
        template,
        customer=customer,
        items=items,
        next_cursor=timeline.encode_cursor(next_cursor),
        kind_labels=timeline.KIND_LABELS,
    )
