"""Administration of custom fields (per record type) and of the shared tag vocabulary."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.blueprints.admin import bp
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.records import CustomField, FieldType, Tag
from app.services import custom_fields as custom_field_service
from app.services import tags as tag_service
from app.services.custom_fields import ENTITY_TYPES, FIELD_TYPE_LABELS, CustomFieldError


class CustomFieldForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    label_zh = StringField(_l("Chinese label"), validators=[Length(max=120)])
    field_type = SelectField(
        _l("Type"), choices=[SelectChoice(t.value, label) for t, label in FIELD_TYPE_LABELS.items()]
    )
    choices = TextAreaField(
        _l("Choices"), description=_l("One per line; used by choice fields only.")
    )
    required = BooleanField(_l("Required"))


def _entity_type(value: str | None) -> str:
    entity_type = value or next(iter(ENTITY_TYPES))
    if entity_type not in ENTITY_TYPES:
        abort(404)
    return entity_type


def _field_or_404(field_id: int) -> CustomField:
    field = db.get_or_404(CustomField, field_id)
    if field.entity_type not in ENTITY_TYPES:
        abort(404)
    return field


def _show_error(form: FlaskForm, error: CustomFieldError) -> None:
    target = getattr(form, error.field or "", None)
    (target.errors if target is not None else form.form_errors).append(str(error))


def _choices(form: CustomFieldForm) -> list[str]:
    return (form.choices.data or "").splitlines()


def _list_page(entity_type: str, form: CustomFieldForm):
    return render_page_or_fragment(
        "admin/custom_fields.html",
        "admin/_custom_fields.html",
        entity_type=entity_type,
        entity_types=ENTITY_TYPES,
        fields=custom_field_service.fields_for(entity_type, include_inactive=True),
        field_type_labels=FIELD_TYPE_LABELS,
        form=form,
    )


# Endpoints here all start with "custom_fields", so the admin nav marks its tab.
@bp.get("/custom-fields")
def custom_fields():
    return _list_page(_entity_type(request.args.get("entity")), CustomFieldForm())


@bp.post("/custom-fields")
def custom_fields_create():
    entity_type = _entity_type(request.args.get("entity"))
    form = CustomFieldForm()
    if form.validate_on_submit():
        try:
            field = custom_field_service.define_field(
                current_user,
                entity_type,
                form.label.data,
                form.field_type.data,
                choices=_choices(form),
                required=form.required.data,
                label_zh=form.label_zh.data,
            )
        except CustomFieldError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The field “%(label)s” is added.", label=field.label), "success")
            return redirect(url_for(".custom_fields", entity=entity_type))
    return _list_page(entity_type, form)


@bp.route("/custom-fields/<int:field_id>/edit", methods=["GET", "POST"])
def custom_fields_edit(field_id: int):
    field = _field_or_404(field_id)
    form = CustomFieldForm(
        data={
            "label": field.label,
            "label_zh": field.label_zh,
            "field_type": field.field_type.value,
            "choices": "\n".join(field.choices or []),
            "required": field.required,
        }
    )
    if form.validate_on_submit():
        try:
            custom_field_service.update_field(
                current_user,
                field,
                form.label.data,
                label_zh=form.label_zh.data,
                choices=_choices(form),
                required=form.required.data,
            )
        except CustomFieldError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The field “%(label)s” is saved.", label=field.label), "success")
            return redirect(url_for(".custom_fields", entity=field.entity_type))
    return render_template(
        "admin/custom_field_edit.html",
        definition=field,
        form=form,
        entity_label=ENTITY_TYPES[field.entity_type],
        is_choice=field.field_type is FieldType.CHOICE,
    )


def _table_or_redirect(entity_type: str):
    if not wants_fragment():
        return redirect(url_for(".custom_fields", entity=entity_type))
    return render_template(
        "admin/_custom_fields_table.html",
        entity_type=entity_type,
        fields=custom_field_service.fields_for(entity_type, include_inactive=True),
        field_type_labels=FIELD_TYPE_LABELS,
    )


@bp.post("/custom-fields/<int:field_id>/active")
def custom_fields_active(field_id: int):
    field = _field_or_404(field_id)
    custom_field_service.set_active(current_user, field, request.form.get("active") == "1")
    db.session.commit()
    return _table_or_redirect(field.entity_type)


@bp.post("/custom-fields/<int:field_id>/move")
def custom_fields_move(field_id: int):
    field = _field_or_404(field_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    custom_field_service.move(current_user, field, offset)
    db.session.commit()
    return _table_or_redirect(field.entity_type)


def _tags_page(notice: str | None = None, error: str | None = None):
    search = request.values.get("q", "")
    if request.method == "POST" and not wants_fragment():
        flash(error or notice, "error" if error else "success")
        return redirect(url_for(".tags", q=search or None))
    return render_page_or_fragment(
        "admin/custom_field_tags.html",
        "admin/_custom_field_tags.html",
        rows=tag_service.usage(search),
        search=search,
        notice=notice,
        error=error,
    )


@bp.get("/tags")
def tags():
    return _tags_page()


@bp.post("/tags/<int:tag_id>")
def tags_update(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    try:
        tag_service.update_tag(
            current_user, tag, request.form.get("name", ""), request.form.get("color") or None
        )
    except tag_service.TagError as error:
        db.session.rollback()
        return _tags_page(error=str(error))
    db.session.commit()
    return _tags_page(notice=_("The tag “%(name)s” is saved.", name=tag.name))


@bp.post("/tags/<int:tag_id>/merge")
def tags_merge(tag_id: int):
    source = db.get_or_404(Tag, tag_id)
    into = request.form.get("into", "")
    try:
        target = tag_service.by_name(into)
        if target is None:
            raise tag_service.TagError(_("There is no tag named “%(name)s”.", name=into.strip()))
        name = source.name
        tag_service.merge_tags(current_user, source, target)
    except tag_service.TagError as error:
        db.session.rollback()
        return _tags_page(error=str(error))
    db.session.commit()
    return _tags_page(
        notice=_("“%(source)s” is merged into “%(target)s”.", source=name, target=target.name)
    )


@bp.post("/tags/<int:tag_id>/delete")
def tags_delete(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    name = tag.name
    tag_service.delete_tag(current_user, tag)
    db.session.commit()
    return _tags_page(notice=_("The tag “%(name)s” is deleted.", name=name))
