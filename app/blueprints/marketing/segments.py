"""Segment pages: the list, the form with its condition builder (rows swapped in place
with HTMX, a live count while editing), the segment page with its conditions in words,
its count and its members, and a static list's add-by-search and remove."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.marketing import bp
from app.blueprints.marketing import segment_forms as forms
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.identity import User
from app.models.marketing import Segment, SegmentEntity, SegmentKind
from app.services import search, segment_rules, segments
from app.services.validation import RecordInvalid


def _segment_or_404(segment_id: int, action: str = "read") -> Segment:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        abort(404)
    permissions.require(current_user, action, "segment", segment)
    return segment


@bp.get("/segments")
def segments_index():
    permissions.require(current_user, "read", "segment")
    rows, next_cursor = segments.segment_page(current_user, request.args.get("cursor"))
    owner_ids = {row.owner_id for row in rows if row.owner_id}
    owners = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(owner_ids)))}
    pager = {
        "first_url": url_for("marketing.segments_index") if "cursor" in request.args else None,
        "next_url": url_for("marketing.segments_index", cursor=next_cursor)
        if next_cursor
        else None,
    }
    return render_page_or_fragment(
        "marketing/segments_index.html",
        "marketing/_segment_rows.html",
        rows=rows,
        owners=owners,
        pager=pager,
        entity_labels=forms.ENTITY_LABELS,
    )


def _form_page(form, segment, entity, kind, definition, errors=None):
    context = forms.builder_context(current_user, entity, definition, errors)
    return render_template(
        "marketing/segments_form.html", form=form, segment=segment, kind=kind, **context
    )


def _save(form, segment, entity, kind, save):
    """Shared by new and edit: a builder button re-renders; a save goes to the service."""
    definition = forms.definition_from(request.form, entity)
    action = request.form.get("builder_action")
    if action == "entity":
        return _form_page(form, segment, entity, kind, forms.blank_definition())
    if action:
        return _form_page(form, segment, entity, kind, forms.apply_action(definition, action))
    if form.validate_on_submit():
        try:
            saved = save(definition)
        except RecordInvalid as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
            return _form_page(form, segment, entity, kind, definition, invalid.errors)
        db.session.commit()
        flash(_("The segment %(name)s is saved.", name=saved.name), "success")
        return redirect(url_for("marketing.segment_show", segment_id=saved.id))
    return _form_page(form, segment, entity, kind, definition)


@bp.route("/segments/new", methods=["GET", "POST"])
def segment_new():
    permissions.require(current_user, "create", "segment")
    form = forms.SegmentForm()
    entity = forms.entity_of(request.values.get("entity"))
    kind = SegmentKind.STATIC if request.values.get("kind") == "STATIC" else SegmentKind.DYNAMIC
    if request.method == "GET":
        form.entity.data = entity.value
        return _form_page(form, None, entity, kind, forms.blank_definition())

    def create(definition):
        return segments.create_segment(
            current_user, **form.values(), entity=entity, kind=kind, definition=definition
        )

    return _save(form, None, entity, kind, create)


@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
def segment_edit(segment_id: int):
    segment = _segment_or_404(segment_id, "edit")
    form = forms.SegmentForm(obj=segment)
    if request.method == "GET":
        definition = segment.definition or {}
        if not definition.get("groups"):
            definition = forms.blank_definition()
        return _form_page(form, segment, segment.entity, segment.kind, definition)

    def update(definition):
        fields = form.values()
        if segment.kind is SegmentKind.DYNAMIC:
            fields["definition"] = definition
        return segments.update_segment(segment, current_user, **fields)

    return _save(form, segment, segment.entity, segment.kind, update)


@bp.post("/segments/builder")
def segment_builder():
    """The builder after one of its buttons (add or remove a condition or group, or a new
    entity), rebuilt from the posted form; nothing is saved."""
    permissions.require(current_user, "read", "segment")
    entity = forms.entity_of(request.form.get("entity"))
    action = request.form.get("builder_action", "")
    if action == "entity":
        definition = forms.blank_definition()
    else:
        definition = forms.apply_action(forms.definition_from(request.form, entity), action)
    context = forms.builder_context(current_user, entity, definition)
    return render_template("marketing/_segment_builder.html", **context)


@bp.get("/segments/builder/condition")
def segment_condition():
    """One condition row, re-rendered when its field or operator changes."""
    permissions.require(current_user, "read", "segment")
    prefix = request.args.get("prefix", "")
    if not forms.PREFIX.match(prefix):
        abort(400)
    entity = forms.entity_of(request.args.get("entity"))
    context = forms.builder_context(current_user, entity, forms.blank_definition())
    condition = forms.condition_row(entity, prefix, request.args)
    g, c = (int(n) for n in prefix[1:].split("c"))
    return render_template(
        "marketing/_segment_condition.html",
        prefix=prefix,
        g=g,
        c=c,
        condition=condition,
        recount=True,
        **context,
    )


def _count_fragment(entity: SegmentEntity, count=None, error=None, segment=None):
    return render_template(
        "marketing/_segment_count.html", entity=entity, count=count, error=error, segment=segment
    )


@bp.post("/segments/count")
def segment_count_preview():
    """The live count of the conditions being edited (nothing is saved)."""
    permissions.require(current_user, "read", "segment")
    entity = forms.entity_of(request.form.get("entity"))
    if request.form.get("kind") == SegmentKind.STATIC.value:
        return _count_fragment(entity)
    try:
        total = segments.count_definition(entity, forms.definition_from(request.form, entity))
    except RecordInvalid as invalid:
        return _count_fragment(entity, error=next(iter(invalid.errors.values())))
    return _count_fragment(entity, count=total)


@bp.post("/segments/<int:segment_id>/count")
def segment_count(segment_id: int):
    """Count a saved segment now (and keep it as its last count)."""
    segment = _segment_or_404(segment_id)
    try:
        total = segments.count(segment)
    except RecordInvalid as invalid:
        db.session.rollback()
        return _count_fragment(segment.entity, error=next(iter(invalid.errors.values())))
    db.session.commit()
    return _count_fragment(segment.entity, count=total, segment=segment)


def _members_context(segment: Segment) -> dict:
    rows, next_cursor = segments.member_page(
        segment, current_user, request.args.get("cursor"), limit=50
    )
    show_url = url_for("marketing.segment_show", segment_id=segment.id)
    return {
        "segment": segment,
        "members": rows,
        "pager": {
            "first_url": show_url if request.args.get("cursor") else None,
            "next_url": url_for("marketing.segment_show", segment_id=segment.id, cursor=next_cursor)
            if next_cursor
            else None,
        },
        "may_edit": permissions.can(current_user, "edit", "segment", segment),
        "static": segment.kind is SegmentKind.STATIC,
    }


@bp.get("/segments/<int:segment_id>")
def segment_show(segment_id: int):
    segment = _segment_or_404(segment_id)
    try:
        words = segment_rules.describe(segment.entity, segment.definition or {})
        problem = None
    except RecordInvalid as invalid:
        words, problem = None, " ".join(invalid.errors.values())
    return render_page_or_fragment(
        "marketing/segments_show.html",
        "marketing/_segment_members.html",
        words=words,
        problem=problem,
        entity_labels=forms.ENTITY_LABELS,
        may_delete=permissions.can(current_user, "delete", "segment", segment),
        may_copy=permissions.can(current_user, "create", "segment"),
        **_members_context(segment),
    )


@bp.route("/segments/<int:segment_id>/delete", methods=["GET", "POST"])
def segment_delete(segment_id: int):
    segment = _segment_or_404(segment_id, "delete")
    if request.method == "POST":
        name = segment.name
        segments.delete_segment(segment, current_user)
        db.session.commit()
        flash(_("The segment %(name)s is deleted.", name=name), "success")
        return redirect(url_for("marketing.segments_index"))
    return render_template("marketing/segments_delete.html", segment=segment)


@bp.post("/segments/<int:segment_id>/copy")
def segment_copy(segment_id: int):
    """Freeze the members as of now into a new static list."""
    segment = _segment_or_404(segment_id)
    copy = segments.copy_to_static(segment, current_user)
    db.session.commit()
    flash(_("The static list %(name)s is created.", name=copy.name), "success")
    return redirect(url_for("marketing.segment_show", segment_id=copy.id))


@bp.get("/segments/<int:segment_id>/candidates")
def segment_candidates(segment_id: int):
    """Contacts or leads to add to a static list: a search among those the user may read."""
    segment = _segment_or_404(segment_id, "edit")
    model = segments.model_for(segment.entity)
    match = search.matches(model, request.args.get("q", ""), db.session.get_bind().dialect.name)
    rows = []
    if match is not None and segment.kind is SegmentKind.STATIC:
        visible = permissions.visible(
            current_user, segments.permission_entity(segment.entity), model.owner_id
        )
        query = sa.select(model).where(match, visible, sa.not_(segments.member_clause(segment)))
        rows = db.session.scalars(query.order_by(model.last_name, model.id).limit(20)).all()
    return render_template("marketing/_segment_candidates.html", segment=segment, rows=rows)


def _members_response(segment: Segment):
    if not wants_fragment():
        return redirect(url_for("marketing.segment_show", segment_id=segment.id))
    return render_template("marketing/_segment_members.html", **_members_context(segment))


@bp.post("/segments/<int:segment_id>/members")
def segment_member_add(segment_id: int):
    segment = _segment_or_404(segment_id, "edit")
    try:
        added = segments.add_members(segment, current_user, request.form.getlist("entity_id"))
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(invalid.errors.values()), "error")
        return _members_response(segment)
    db.session.commit()
    if not wants_fragment():
        flash(_("%(count)d added to the list.", count=added), "success")
    return _members_response(segment)


@bp.post("/segments/<int:segment_id>/members/<int:entity_id>/remove")
def segment_member_remove(segment_id: int, entity_id: int):
    segment = _segment_or_404(segment_id, "edit")
    try:
        segments.remove_members(segment, current_user, [entity_id])
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(invalid.errors.values()), "error")
        return _members_response(segment)
    db.session.commit()
    return _members_response(segment)
