"""The global audit log for administrators: filter, page back in time, export as CSV."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, Form, IntegerField, SearchField, SelectField, StringField
from wtforms.validators import Length, Optional

from app import queues, timezones
from app.blueprints.admin import bp
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.jobs.exports import export_audit_log
from app.models.identity import User
from app.models.records import AuditAction
from app.services import history

ACTION_LABELS = {
    AuditAction.CREATE: _l("Created"),
    AuditAction.UPDATE: _l("Changed"),
    AuditAction.DELETE: _l("Deleted"),
}
FILTER_NAMES = ("entity_type", "action", "actor", "date_from", "date_to", "entity_id", "q")


class AuditFilters(Form):
    """The log's filters, read from the query string (or the export form); bad values ignored."""

    entity_type = SelectField(_l("Record type"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    actor = SelectField(_l("Who"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    q = SearchField(_l("Record name contains"), validators=[Optional(), Length(max=100)])
    before = IntegerField(validators=[Optional()])

    def __init__(self, formdata):
        super().__init__(formdata)
        self.entity_type.choices = [("", _l("All record types"))] + [
            (name, name) for name in history.audited_entity_types()
        ]
        self.action.choices = [("", _l("All actions"))] + [
            (action.value, label) for action, label in ACTION_LABELS.items()
        ]
        users = db.session.execute(sa.select(User.id, User.name).order_by(User.name, User.id))
        self.actor.choices = [("", _l("Anyone"))] + [(str(uid), name) for uid, name in users]
        self.validate()

    def value(self, name: str):
        """A filter's value, or None when it is empty or invalid."""
        field = self[name]
        return None if field.errors or field.data in (None, "") else field.data

    def criteria(self) -> history.Filters:
        action, actor = self.value("action"), self.value("actor")
        return history.Filters(
            entity_type=self.value("entity_type"),
            action=AuditAction(action) if action else None,
            actor_id=int(actor) if actor else None,
            date_from=self.value("date_from"),
            date_to=self.value("date_to"),
            entity_id=(self.value("entity_id") or "").strip() or None,
            text=(self.value("q") or "").strip() or None,
            time_zone=timezones.zone_name(current_user),
        )

    def url(self, **changes) -> str:
        """This log's URL with the same filters, and `changes` applied."""
        args = {name: self.value(name) for name in FILTER_NAMES} | changes
        return url_for("admin.audit", **{k: v for k, v in args.items() if v not in (None, "")})


@bp.get("/audit")
def audit():
    filters = AuditFilters(request.args)
    page = history.search(current_user, filters.criteria(), filters.value("before"))
    pager = {
        "first_url": filters.url() if filters.value("before") else None,
        "next_url": filters.url(before=page.next_before_id) if page.has_more else None,
    }
    return render_page_or_fragment(
        "admin/audit.html",
        "admin/_audit_rows.html",
        filters=filters,
        log=page,
        pager=pager,
    )


@bp.post("/audit/export")
def audit_export():
    """Queue a CSV of the log as filtered now; answer with a self-polling progress bar."""
    filters = AuditFilters(request.form)
    job = queues.enqueue(
        export_audit_log,
        filters.criteria().as_dict(),
        actor=current_user,
        title=_("Audit log export"),
        queue_name="reports",
    )
    if wants_fragment():
        return render_template("jobs/_progress.html", job=job)
    return render_template("admin/audit_export.html", job=job)


@bp.get("/audit/record/<entity_type>/<entity_id>")
def audit_record(entity_type: str, entity_id: str):
    """One record's history, even after the record is gone (administrators only)."""
    before = request.args.get("before", type=int)
    if len(entity_type) > 40 or len(entity_id) > 64:
        abort(404)
    page = history.record_history(entity_type, entity_id, before_id=before)
    return render_template(
        "history/_entries.html",
        page=page,
        endpoint="admin.audit_record",
        entity_type=entity_type,
        entity_id=entity_id,
    )
