"""Email template pages: the list (search, sort, keyset pages), the two-language form with
the merge-field list, the template page with its preview (a chosen contact or lead and
language, rendered with HTMX into a sandboxed frame), duplicate and delete. Marketing and
managers keep templates, sales reps read them, support does not see them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers.lists import sort_url
from app.blueprints.marketing import bp
from app.blueprints.marketing.email_template_forms import EmailTemplateForm
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.marketing import EmailTemplate
from app.services import email_templates, merge_fields
from app.services.record_checks import owner_names
from app.services.validation import RecordInvalid

LOCALES = ("en", "zh_Hant")


def _template_or_404(template_id: int, action: str = "read") -> EmailTemplate:
    template = db.session.get(EmailTemplate, template_id)
    if template is None:
        abort(404)
    permissions.require(current_user, action, "email_template", template)
    return template


@bp.get("/templates")
def templates_index():
    permissions.require(current_user, "read", "email_template")
    filters = email_templates.TemplateFilters.from_args(request.args)
    rows, next_cursor = email_templates.template_page(
        current_user, filters, request.args.get("cursor")
    )
    args = filters.as_args()
    pager = {
        "first_url": url_for("marketing.templates_index", **args)
        if "cursor" in request.args
        else None,
        "next_url": url_for("marketing.templates_index", **args, cursor=next_cursor)
        if next_cursor
        else None,
    }
    return render_page_or_fragment(
        "marketing/templates_index.html",
        "marketing/_template_rows.html",
        filters=filters,
        rows=rows,
        owners=owner_names(rows),
        pager=pager,
        sort_url=lambda column: sort_url("marketing.templates_index", filters, column),
    )


def _form_page(form: EmailTemplateForm, template: EmailTemplate | None):
    return render_template(
        "marketing/templates_form.html",
        form=form,
        template=template,
        fields=merge_fields.FIELDS,
    )


@bp.route("/templates/new", methods=["GET", "POST"])
def template_new():
    permissions.require(current_user, "create", "email_template")
    form = EmailTemplateForm()
    if request.method == "GET":
        form.sender_name.data = current_user.name
    saved = save_valid_form(
        form, lambda: email_templates.create_template(current_user, **form.values())
    )
    if saved is not None:
        flash(_("The template %(name)s is created.", name=saved.name), "success")
        return redirect(url_for("marketing.template_show", template_id=saved.id))
    return _form_page(form, None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
def template_edit(template_id: int):
    template = _template_or_404(template_id, "edit")
    form = EmailTemplateForm(obj=template)
    saved = save_valid_form(
        form, lambda: email_templates.update_template(template, current_user, **form.values())
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=saved.name), "success")
        return redirect(url_for("marketing.template_show", template_id=saved.id))
    return _form_page(form, template)


@bp.get("/templates/<int:template_id>")
def template_show(template_id: int):
    """The template with its preview: as the chosen person (the most recently changed
    contact or lead at first) in the chosen language."""
    template = _template_or_404(template_id)
    people = email_templates.preview_people(current_user)
    key = request.args.get("person", people[0][0] if people else "")
    locale = request.args.get("locale") if request.args.get("locale") in LOCALES else "en"
    return render_template(
        "marketing/templates_show.html",
        template=template,
        owner=owner_names([template]).get(template.owner_id, ""),
        people=people,
        person_key=key,
        locale=locale,
        rendered=email_templates.preview(template, locale, _preview_person(key), current_user),
        may_edit=permissions.can(current_user, "edit", "email_template", template),
        may_delete=permissions.can(current_user, "delete", "email_template", template),
        may_create=permissions.can(current_user, "create", "email_template"),
    )


def _preview_person(key: str | None):
    kind, person_id = email_templates.parse_person_key(key)
    return email_templates.preview_person(current_user, kind, person_id)


@bp.get("/templates/<int:template_id>/preview")
def template_preview(template_id: int):
    """The preview panel for the chosen person and language (an HTMX fragment)."""
    template = _template_or_404(template_id)
    key = request.args.get("person", "")
    locale = request.args.get("locale") if request.args.get("locale") in LOCALES else "en"
    rendered = email_templates.preview(template, locale, _preview_person(key), current_user)
    return render_template(
        "marketing/_template_preview.html",
        template=template,
        rendered=rendered,
        person_key=key,
        locale=locale,
    )


@bp.get("/templates/preview-people")
def template_preview_people():
    """The contacts and leads matching a search, as the options of the preview's select."""
    permissions.require(current_user, "read", "email_template")
    people = email_templates.preview_people(current_user, request.args.get("q", ""))
    return render_template(
        "marketing/_template_people.html", people=people, person_key=request.args.get("person")
    )


@bp.post("/templates/<int:template_id>/duplicate")
def template_duplicate(template_id: int):
    template = _template_or_404(template_id)
    copy = email_templates.duplicate_template(template, current_user)
    db.session.commit()
    flash(_("The template is copied to %(name)s.", name=copy.name), "success")
    return redirect(url_for("marketing.template_edit", template_id=copy.id))


@bp.route("/templates/<int:template_id>/delete", methods=["GET", "POST"])
def template_delete(template_id: int):
    template = _template_or_404(template_id, "delete")
    if request.method == "POST":
        name = template.name
        try:
            email_templates.delete_template(template, current_user)
        except RecordInvalid as refused:
            db.session.rollback()
            flash(" ".join(refused.errors.values()), "error")
            return redirect(url_for("marketing.template_show", template_id=template_id))
        db.session.commit()
        flash(_("The template %(name)s is deleted.", name=name), "success")
        return redirect(url_for("marketing.templates_index"))
    return render_template(
        "marketing/templates_delete.html",
        template=template,
        campaigns=email_templates.campaigns_using(template),
    )
