"""Data & privacy for administrators: the full export of every table, finding a person by
address, and erasing a person (GDPR art. 17) after typing their name or address."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app import queues
from app.blueprints.admin import bp
from app.extensions import db
from app.htmx import wants_fragment
from app.jobs.data_exports import export_all_data
from app.jobs.erasure import erase_person
from app.models.customers import Contact
from app.models.records import AuditEntry
from app.models.sales import Lead
from app.services import erasure, full_export
from app.services.person_records import KINDS

EXPORT_TIMEOUT = 6 * 3600
ERASURE_TIMEOUT = 3600
SHOW_ENDPOINTS = {"contact": ("customers.contact_show", "contact_id"),
                  "lead": ("sales.lead_show", "lead_id")}  # fmt: skip


class ExportForm(FlaskForm):
    """Only the CSRF token: starting an export is a POST."""


class ErasureForm(FlaskForm):
    confirmation = StringField(
        _l("Type the person's full name or email address to confirm"),
        validators=[DataRequired(_l("Type the name or email address shown above.")),
                    Length(max=254)],
    )  # fmt: skip


def record_url(kind: str, record_id: int) -> str:
    endpoint, key = SHOW_ENDPOINTS[kind]
    return url_for(endpoint, **{key: record_id})


def _matches(query: str) -> list[dict]:
    """Contacts and leads whose email address is `query` (the usual way a request arrives)."""
    address = query.strip().lower()
    if "@" not in address:
        return []
    found = []
    for kind, model in (("contact", Contact), ("lead", Lead)):
        rows = db.session.scalars(sa.select(model).where(model.email_key == address).limit(20))
        found += [{"kind": kind, "record": row, "url": record_url(kind, row.id)} for row in rows]
    return found


def _recent_erasures(limit: int = 10) -> list[AuditEntry]:
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type.in_(("contacts", "leads")),
               AuditEntry.label.like("Erased person #%"))
        .order_by(AuditEntry.id.desc())
        .limit(limit * 5)
    )  # fmt: skip
    entries = [entry for entry in db.session.scalars(query) if "rows_changed" in entry.changes]
    return entries[:limit]


@bp.get("/data")
def data():
    query = request.args.get("q", "")[:254]
    exports = [(entry, queues.fetch(entry.entity_id)) for entry in full_export.recent()]
    return render_template(
        "admin/data.html",
        export_form=ExportForm(),
        exports=exports,
        query=query,
        matches=_matches(query) if query else [],
        erasures=_recent_erasures(),
        excluded=full_export.excluded_columns(),
    )


@bp.post("/data/export")
def data_export():
    """Queue the full export; answer with its self-polling progress bar."""
    if not ExportForm().validate_on_submit():
        abort(400)
    # A large database takes minutes (about 10,000 rows a second): more than a report.
    job = queues.enqueue(
        export_all_data, actor=current_user, title=_("Full data export"), queue_name="reports",
        job_timeout=EXPORT_TIMEOUT,
    )  # fmt: skip
    full_export.record(current_user, job.id, {"export": [None, "all tables"]})
    db.session.commit()
    if wants_fragment():
        return render_template("jobs/_progress.html", job=job)
    return redirect(url_for("admin.data"))


def _erasure_page(kind: str, record_id: int, form: ErasureForm):
    try:
        person, counts = erasure.preview(current_user, kind, record_id)
    except LookupError:
        abort(404)
    others = [
        match for email in sorted(person.emails) for match in _matches(email)
        if not (match["kind"] == "contact" and match["record"].id in person.contact_ids)
        and not (match["kind"] == "lead" and match["record"].id in person.lead_ids)
    ]  # fmt: skip
    return render_template(
        "admin/data_erase.html", person=person, counts=counts, form=form, others=others,
        kind=kind, record_id=record_id, back_url=record_url(kind, record_id),
        erased=erasure.is_erased(kind, record_id),
    )  # fmt: skip


@bp.get("/data/erase/<kind>/<int:record_id>")
def data_erase(kind: str, record_id: int):
    if kind not in KINDS:
        abort(404)
    return _erasure_page(kind, record_id, ErasureForm(formdata=None))


@bp.post("/data/erase/<kind>/<int:record_id>")
def data_erase_confirm(kind: str, record_id: int):
    """Check the typed name or address, then queue the erasure; answer with its progress."""
    if kind not in KINDS:
        abort(404)
    form = ErasureForm()
    if not form.validate_on_submit():
        return _erasure_page(kind, record_id, form)
    try:
        erasure.check(current_user, kind, record_id, form.confirmation.data)
    except LookupError:
        abort(404)
    except erasure.ConfirmationMismatch as mismatch:
        form.confirmation.errors = [str(mismatch)]
        return _erasure_page(kind, record_id, form)
    # Neither the job's arguments nor its title (kept in Redis for days) name the person.
    job = queues.enqueue(
        erase_person, kind, record_id, actor=current_user, job_timeout=ERASURE_TIMEOUT,
        title=_("Erasure of %(kind)s #%(id)d", kind=kind, id=record_id),
    )  # fmt: skip
    return render_template("admin/data_erasing.html", job=job, back_url=record_url(kind, record_id))
