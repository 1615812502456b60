"""My tasks: the signed-in user's open tasks and meetings, completed and snoozed in place."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions, timezones
from app.blueprints.activities import bp
from app.blueprints.activities.views import activity_or_404
from app.extensions import db
from app.htmx import hx_trigger, render_page_or_fragment, wants_fragment
from app.models.base import utcnow
from app.services import activities, agenda
from app.services.validation import RecordInvalid

SNOOZE_DAYS = (1, 7)


@bp.get("/tasks")
@login_required
def tasks():
    permissions.require(current_user, "read", "activity")
    items = agenda.agenda(current_user)
    return render_page_or_fragment(
        "tasks/index.html",
        "tasks/_groups.html",
        agenda=items,
        customer_names=agenda.customer_names(current_user, items.items),
        now=utcnow(),
    )


@bp.post("/activities/<int:activity_id>/complete")
@login_required
def complete(activity_id: int):
    activity = activity_or_404(activity_id)
    activities.complete(activity, current_user)
    db.session.commit()
    if not wants_fragment():
        return redirect(url_for("activities.tasks"))
    # The row swaps itself out; the group counts and the timeline reload.
    return hx_trigger(make_response(""), "timelineChanged", "tasksChanged")


@bp.post("/activities/<int:activity_id>/snooze")
@login_required
def snooze(activity_id: int):
    activity = activity_or_404(activity_id)
    days = request.form.get("days", type=int)
    error = None
    if days in SNOOZE_DAYS:
        try:
            until = activities.snooze_target(activity, days, zone=timezones.user_zone(current_user))
            activities.snooze(activity, current_user, until)
            db.session.commit()
        except RecordInvalid as invalid:
            db.session.rollback()
            error = next(iter(invalid.errors.values()))
    if not wants_fragment():
        return redirect(url_for("activities.tasks"))
    response = make_response(
        render_template(
            "tasks/_row.html",
            item=activity,
            customer_names=agenda.customer_names(current_user, [activity]),
            now=utcnow(),
            error=error,
        )
    )
    # The row shows its new time at once; the groups then reload to move it if it must.
    return hx_trigger(response, "timelineChanged", "tasksChanged")
