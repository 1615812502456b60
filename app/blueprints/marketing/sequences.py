"""Drip sequence pages: the list (trigger, status, people in, completed and left), the
sequence form, the sequence page with its steps as a vertical flow (each step's people and,
for email steps, its campaign's figures; steps added, changed, moved and removed by HTMX
round trips), its enrollments table (each person's step) with enrolling by search and
removing, deletion, and a person's sequences on their contact or lead page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.marketing import bp
from app.blueprints.marketing import sequence_forms as forms
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.customers import Contact
from app.models.marketing import (
    EmailTemplate,
    Segment,
    Sequence,
    SequenceEnrollment,
    SequenceStep,
    WebForm,
)
from app.models.sales import Lead
from app.services import segments, sequence_lists, sequence_steps, sequences
from app.services.validation import RecordInvalid

PEOPLE = {"contact": Contact, "lead": Lead}


def _sequence_or_404(sequence_id: int, action: str = "read") -> Sequence:
    sequence = db.session.get(Sequence, sequence_id)
    if sequence is None or not permissions.can(current_user, "read", "sequence", sequence):
        abort(404)
    permissions.require(current_user, action, "sequence", sequence)
    return sequence


def labels() -> dict:
    return {
        "triggers": sequences.TRIGGER_LABELS,
        "statuses": sequences.STATUS_LABELS,
        "status_kinds": sequences.STATUS_KINDS,
        "steps": sequence_steps.STEP_LABELS,
        "enrollments": sequences.ENROLLMENT_LABELS,
        "exits": sequences.EXIT_LABELS,
        "entities": forms.ENTITY_LABELS,
        "branch_on": sequence_steps.BRANCH_ON,
    }


@bp.get("/sequences")
def sequences_index():
    permissions.require(current_user, "read", "sequence")
    rows, next_cursor = sequence_lists.sequence_page(current_user, request.args.get("cursor"))
    pager = {
        "first_url": url_for("marketing.sequences_index") if "cursor" in request.args else None,
        "next_url": url_for("marketing.sequences_index", cursor=next_cursor)
        if next_cursor
        else None,
    }
    return render_page_or_fragment(
        "marketing/sequences_index.html",
        "marketing/_sequence_rows.html",
        rows=rows,
        counts=sequence_lists.enrollment_counts([row.id for row in rows]),
        pager=pager,
        labels=labels(),
    )


@bp.route("/sequences/new", methods=["GET", "POST"])
def sequence_new():
    permissions.require(current_user, "create", "sequence")
    form = forms.SequenceForm(actor=current_user)
    sequence = save_valid_form(
        form, lambda: sequences.create_sequence(current_user, **form.values())
    )
    if sequence is not None:
        flash(_("The sequence %(name)s is created: now add its steps.", name=sequence.name),
              "success")  # fmt: skip
        return redirect(url_for("marketing.sequence_show", sequence_id=sequence.id))
    return render_template("marketing/sequences_form.html", form=form, sequence=None)


@bp.route("/sequences/<int:sequence_id>/edit", methods=["GET", "POST"])
def sequence_edit(sequence_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    form = forms.SequenceForm(obj=sequence, actor=current_user, editing=True)
    saved = save_valid_form(
        form, lambda: sequences.update_sequence(sequence, current_user, **form.values())
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=saved.name), "success")
        return redirect(url_for("marketing.sequence_show", sequence_id=saved.id))
    return render_template("marketing/sequences_form.html", form=form, sequence=sequence)


@bp.route("/sequences/<int:sequence_id>/delete", methods=["GET", "POST"])
def sequence_delete(sequence_id: int):
    sequence = _sequence_or_404(sequence_id, "delete")
    if request.method == "POST":
        name = sequence.name
        try:
            sequences.delete_sequence(sequence, current_user)
        except RecordInvalid as refused:
            db.session.rollback()
            flash(" ".join(refused.errors.values()), "error")
            return redirect(url_for("marketing.sequence_show", sequence_id=sequence_id))
        db.session.commit()
        flash(_("The sequence %(name)s is deleted.", name=name), "success")
        return redirect(url_for("marketing.sequences_index"))
    return render_template("marketing/sequences_delete.html", sequence=sequence)


def _steps_context(sequence: Sequence, failed: dict | None = None) -> dict:
    """The flow's context; `failed` maps a step id to its form as posted, with errors."""
    may_edit = permissions.can(current_user, "edit", "sequence", sequence)
    views = sequence_lists.flow(sequence)
    steps = [view.step for view in views]
    templates = forms.templates_for(current_user) if may_edit else []
    step_forms = {}
    if may_edit:
        for step in steps:
            step_forms[step.id] = (failed or {}).get(step.id) or forms.StepForm(
                step, steps, templates
            )
    template_ids = {(s.settings or {}).get("template_id") for s in steps} - {None}
    names = db.session.execute(
        sa.select(EmailTemplate.id, EmailTemplate.name).where(EmailTemplate.id.in_(template_ids))
    )
    return {
        "sequence": sequence,
        "views": views,
        "template_names": dict(names.all()),
        "step_forms": step_forms,
        "problems": sequence_steps.problems(steps),
        "may_edit": may_edit and sequence.status.value != "ARCHIVED",
        "may_read_campaigns": permissions.can(current_user, "read", "campaign"),
        "labels": labels(),
        "step_title": forms.step_title,
    }


def _enrollments_context(sequence: Sequence) -> dict:
    filters = sequence_lists.EnrollmentFilters.from_args(request.args)
    rows, next_cursor = sequence_lists.enrollment_page(
        sequence, filters, request.args.get("cursor")
    )
    url = url_for("marketing.sequence_enrollments", sequence_id=sequence.id, **filters.as_args())
    steps = {step.position: step for step in sequence_steps.steps_of(sequence)}
    return {
        "sequence": sequence,
        "enrollments": rows,
        "filters": filters,
        "people": sequence_lists.people(current_user, rows),
        "steps_by_position": steps,
        "pager": {
            "first_url": url if request.args.get("cursor") else None,
            "next_url": url_for(
                "marketing.sequence_enrollments",
                sequence_id=sequence.id,
                cursor=next_cursor,
                **filters.as_args(),
            )
            if next_cursor
            else None,
        },
        "may_enrol": permissions.can(current_user, "edit", "sequence", sequence),
        "labels": labels(),
        "step_title": forms.step_title,
    }


@bp.get("/sequences/<int:sequence_id>")
def sequence_show(sequence_id: int):
    sequence = _sequence_or_404(sequence_id)
    segment = db.session.get(Segment, sequence.segment_id) if sequence.segment_id else None
    web_form = db.session.get(WebForm, sequence.form_id) if sequence.form_id else None
    return render_template(
        "marketing/sequences_show.html",
        segment=segment,
        web_form=web_form,
        counts=sequence_lists.enrollment_counts([sequence.id])[sequence.id],
        may_delete=permissions.can(current_user, "delete", "sequence", sequence),
        **(_steps_context(sequence) | _enrollments_context(sequence)),
    )


def _steps_response(sequence: Sequence, failed: dict | None = None):
    if not wants_fragment():
        return redirect(url_for("marketing.sequence_show", sequence_id=sequence.id))
    return render_template(
        "marketing/_sequence_steps.html", inline_messages=True, **_steps_context(sequence, failed)
    )


def _refused(invalid: RecordInvalid) -> None:
    db.session.rollback()
    flash(" ".join(invalid.errors.values()), "error")


def _step_or_404(sequence: Sequence, step_id: int) -> SequenceStep:
    step = db.session.get(SequenceStep, step_id)
    if step is None or step.sequence_id != sequence.id:
        abort(404)
    return step


@bp.post("/sequences/<int:sequence_id>/steps")
def sequence_step_add(sequence_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    position = request.form.get("position", type=int)
    try:
        sequence_steps.add_step(sequence, current_user, request.form.get("kind"), position)
    except RecordInvalid as invalid:
        _refused(invalid)
        return _steps_response(sequence)
    db.session.commit()
    return _steps_response(sequence)


@bp.post("/sequences/<int:sequence_id>/steps/<int:step_id>")
def sequence_step_save(sequence_id: int, step_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    step = _step_or_404(sequence, step_id)
    steps = sequence_steps.steps_of(sequence)
    form = forms.StepForm(step, steps, forms.templates_for(current_user), request.form)
    try:
        sequence_steps.update_step(step, current_user, form.settings())
    except RecordInvalid as invalid:
        db.session.rollback()
        step = _step_or_404(sequence, step_id)
        form = forms.StepForm(step, sequence_steps.steps_of(sequence),
                              forms.templates_for(current_user), request.form)  # fmt: skip
        form.show_errors(invalid.errors)
        return _steps_response(sequence, {step.id: form})
    db.session.commit()
    return _steps_response(sequence)


@bp.post("/sequences/<int:sequence_id>/steps/<int:step_id>/move")
def sequence_step_move(sequence_id: int, step_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    step = _step_or_404(sequence, step_id)
    try:
        sequence_steps.move_step(step, current_user, -1 if request.form.get("to") == "up" else 1)
    except RecordInvalid as invalid:
        _refused(invalid)
        return _steps_response(sequence)
    db.session.commit()
    return _steps_response(sequence)


@bp.post("/sequences/<int:sequence_id>/steps/<int:step_id>/delete")
def sequence_step_delete(sequence_id: int, step_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    step = _step_or_404(sequence, step_id)
    try:
        sequence_steps.remove_step(step, current_user)
    except RecordInvalid as invalid:
        _refused(invalid)
        return _steps_response(sequence)
    db.session.commit()
    return _steps_response(sequence)


@bp.get("/sequences/<int:sequence_id>/enrollments")
def sequence_enrollments(sequence_id: int):
    sequence = _sequence_or_404(sequence_id)
    if not wants_fragment():
        return redirect(url_for("marketing.sequence_show", sequence_id=sequence.id, **request.args))
    return render_template("marketing/_sequence_enrollments.html", **_enrollments_context(sequence))


def _enrollments_response(sequence: Sequence):
    if not wants_fragment():
        return redirect(url_for("marketing.sequence_show", sequence_id=sequence.id))
    return render_template(
        "marketing/_sequence_enrollments.html", inline_messages=True,
        **_enrollments_context(sequence),
    )  # fmt: skip


@bp.get("/sequences/<int:sequence_id>/candidates")
def sequence_candidates(sequence_id: int):
    """Contacts or leads to enrol by hand: a search among those the user may read."""
    sequence = _sequence_or_404(sequence_id, "edit")
    rows = sequence_lists.candidates(sequence, current_user, request.args.get("q", ""))
    return render_template("marketing/_sequence_candidates.html", sequence=sequence, rows=rows)


@bp.post("/sequences/<int:sequence_id>/enrollments")
def sequence_enrol(sequence_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    entity = segments.permission_entity(sequence.entity)
    person = db.session.get(PEOPLE[entity], request.form.get("entity_id", type=int) or 0)
    if person is None or not permissions.can(current_user, "read", entity, person):
        abort(404)
    try:
        sequences.enrol(sequence, person, actor=current_user)
    except RecordInvalid as invalid:
        _refused(invalid)
        return _enrollments_response(sequence)
    db.session.commit()
    flash(_("%(name)s is enrolled.", name=person.full_name), "success")
    return _enrollments_response(sequence)


@bp.post("/sequences/<int:sequence_id>/enrollments/<int:enrollment_id>/remove")
def sequence_unenrol(sequence_id: int, enrollment_id: int):
    sequence = _sequence_or_404(sequence_id, "edit")
    enrollment = db.session.get(SequenceEnrollment, enrollment_id)
    if enrollment is None or enrollment.sequence_id != sequence.id:
        abort(404)
    sequences.remove(enrollment, current_user)
    db.session.commit()
    return _enrollments_response(sequence)


@bp.get("/people/<entity>/<int:person_id>/sequences")
def person_sequences(entity: str, person_id: int):
    """The sequences a contact or lead is or was in, with the step they are at."""
    model = PEOPLE.get(entity)
    person = db.session.get(model, person_id) if model else None
    if person is None:
        abort(404)
    permissions.require(current_user, "read", entity, person)
    rows = []
    if permissions.can(current_user, "read", "sequence"):
        rows = [
            (enrollment, sequence, _step_at(sequence, enrollment))
            for enrollment, sequence in sequence_lists.person_enrollments(entity, person_id)
            if permissions.can(current_user, "read", "sequence", sequence)
        ]
    return render_template(
        "marketing/_person_sequences.html", entity=entity, person=person, rows=rows,
        labels=labels(), step_title=forms.step_title,
    )  # fmt: skip


def _step_at(sequence: Sequence, enrollment: SequenceEnrollment) -> SequenceStep | None:
    return db.session.scalar(
        sa.select(SequenceStep).where(
            SequenceStep.sequence_id == sequence.id,
            SequenceStep.position == enrollment.position,
        )
    )
