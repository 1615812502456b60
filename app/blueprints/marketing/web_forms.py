"""Web form pages: the list (name search, status filter, each form's views, submissions and
conversion), the designer (settings and field rows rebuilt on the server by HTMX), the
form page with its share panel (hosted URL, embed snippet), A/B results per variant and
the latest submissions, the variant editor, and deletion. Marketing and managers write;
sales reps read; support sees nothing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.marketing import bp
from app.blueprints.marketing import web_form_forms as forms
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.marketing import FormStatus, FormVariant, WebForm
from app.services import ab_testing, web_form_variants, web_forms
from app.services.record_lists import enum_member
from app.services.validation import RecordInvalid
from app.services.web_form_fields import DEFAULT_FIELDS, FIELD_TYPES


def _form_or_404(form_id: int, action: str = "read") -> WebForm:
    web_form = db.session.get(WebForm, form_id)
    if web_form is None or not permissions.can(current_user, "read", "web_form", web_form):
        abort(404)
    permissions.require(current_user, action, "web_form", web_form)
    return web_form


def _variant_or_404(web_form: WebForm, variant_id: int) -> FormVariant:
    variant = db.session.get(FormVariant, variant_id)
    if variant is None or variant.form_id != web_form.id:
        abort(404)
    return variant


@bp.get("/forms")
def forms_index():
    permissions.require(current_user, "read", "web_form")
    q = " ".join((request.args.get("q") or "").split())
    status = enum_member(FormStatus, request.args.get("status"))
    rows, next_cursor = web_forms.form_page(current_user, q, status, request.args.get("cursor"))
    args = {k: v for k, v in {"q": q, "status": status.value if status else ""}.items() if v}
    pager = {
        "first_url": url_for("marketing.forms_index", **args) if "cursor" in request.args else None,
        "next_url": url_for("marketing.forms_index", **args, cursor=next_cursor)
        if next_cursor
        else None,
    }
    return render_page_or_fragment(
        "marketing/forms_index.html",
        "marketing/_form_rows.html",
        rows=rows,
        totals=web_forms.totals_for(rows),
        q=q,
        status_filter=status,
        pager=pager,
        status_labels=web_forms.STATUS_LABELS,
        status_kinds=web_forms.STATUS_KINDS,
    )


def _designer(form, web_form, fields, errors=None):
    return render_template(
        "marketing/forms_form.html",
        form=form,
        web_form=web_form,
        **_builder_context(fields, errors),
    )


def _builder_context(fields, errors=None) -> dict:
    return {
        "fields": fields,
        "errors": errors or {},
        "field_types": FIELD_TYPES,
        "mapping_labels": web_forms.mapping_labels(),
        "choices_text": forms.choices_text,
    }


def _save(form, web_form, save):
    """Shared by new and edit: a builder button redraws; a save goes to the service."""
    fields = forms.fields_from(request.form)
    action = request.form.get("field_action")
    if action:
        return _designer(form, web_form, forms.apply_action(fields, action))
    if form.validate_on_submit():
        try:
            saved = save(fields)
        except RecordInvalid as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
            return _designer(form, web_form, fields, invalid.errors)
        db.session.commit()
        flash(_("The form %(name)s is saved.", name=saved.name), "success")
        return redirect(url_for("marketing.form_show", form_id=saved.id))
    return _designer(form, web_form, fields)


@bp.route("/forms/new", methods=["GET", "POST"])
def form_new():
    permissions.require(current_user, "create", "web_form")
    form = forms.WebFormForm(actor=current_user)
    if request.method == "GET":
        return _designer(form, None, [dict(f) for f in DEFAULT_FIELDS])
    return _save(
        form,
        None,
        lambda fields: web_forms.create_form(current_user, **form.values(), fields=fields),
    )


@bp.route("/forms/<int:form_id>/edit", methods=["GET", "POST"])
def form_edit(form_id: int):
    web_form = _form_or_404(form_id, "edit")
    form = forms.WebFormForm(obj=web_form, actor=current_user)
    if request.method == "GET":
        form.status.data = web_form.status.value
        return _designer(form, web_form, list(web_form.fields or []))

    def update(fields):
        return web_forms.update_form(web_form, current_user, **form.values(), fields=fields)

    return _save(form, web_form, update)


@bp.post("/forms/builder")
def form_builder():
    """The field rows after one of the builder's buttons, rebuilt from the post; nothing
    is saved."""
    if not (
        permissions.can(current_user, "create", "web_form")
        or permissions.can(current_user, "edit", "web_form")
    ):
        abort(403)
    fields = forms.apply_action(forms.fields_from(request.form), request.form.get("field_action"))
    return render_template("marketing/_form_fields.html", **_builder_context(fields))


def _show_context(web_form: WebForm) -> dict:
    submissions, next_cursor = web_forms.submission_page(web_form, request.args.get("cursor"))
    return {
        "web_form": web_form,
        "submissions": submissions,
        "submissions_next": url_for(
            "marketing.form_submissions", form_id=web_form.id, cursor=next_cursor
        )
        if next_cursor
        else None,
    }


@bp.get("/forms/<int:form_id>")
def form_show(form_id: int):
    web_form = _form_or_404(form_id)
    landing_url = web_forms.landing_url(web_form)
    return render_template(
        "marketing/forms_show.html",
        **_show_context(web_form),
        results=web_form_variants.results(web_form),
        verdicts=ab_testing.Verdict,
        minimums={"views": ab_testing.MIN_VIEWS, "conversions": ab_testing.MIN_CONVERSIONS},
        landing_url=landing_url,
        embed_url=landing_url + "?embed=1",
        mapping_labels=web_forms.mapping_labels(),
        field_types=FIELD_TYPES,
        status_labels=web_forms.STATUS_LABELS,
        status_kinds=web_forms.STATUS_KINDS,
        may_edit=permissions.can(current_user, "edit", "web_form", web_form),
        may_delete=permissions.can(current_user, "delete", "web_form", web_form),
    )


@bp.get("/forms/<int:form_id>/submissions")
def form_submissions(form_id: int):
    """The next page of the latest submissions (appended by htmx, or a page of its own)."""
    web_form = _form_or_404(form_id)
    return render_page_or_fragment(
        "marketing/forms_submissions.html",
        "marketing/_form_submission_rows.html",
        **_show_context(web_form),
    )


def _variant_page(form, web_form, variant):
    return render_template(
        "marketing/forms_variant.html", form=form, web_form=web_form, variant=variant
    )


@bp.route("/forms/<int:form_id>/variants/new", methods=["GET", "POST"])
def variant_new(form_id: int):
    web_form = _form_or_404(form_id, "edit")
    form = forms.VariantForm()
    if request.method == "GET":
        form.weight.data, form.is_active.data = "50", True
    elif form.validate_on_submit():
        try:
            variant = web_form_variants.add_variant(web_form, current_user, **form.values())
        except RecordInvalid as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
        else:
            db.session.commit()
            flash(_("The variant %(name)s is added.", name=variant.name), "success")
            return redirect(url_for("marketing.form_show", form_id=form_id) + "#variant-results")
    return _variant_page(form, web_form, None)


@bp.route("/forms/<int:form_id>/variants/<int:variant_id>/edit", methods=["GET", "POST"])
def variant_edit(form_id: int, variant_id: int):
    web_form = _form_or_404(form_id, "edit")
    variant = _variant_or_404(web_form, variant_id)
    form = forms.VariantForm(obj=variant)
    if form.validate_on_submit():
        try:
            web_form_variants.update_variant(variant, current_user, **form.values())
        except RecordInvalid as invalid:
            db.session.rollback()
            form.show_errors(invalid.errors)
        else:
            db.session.commit()
            flash(_("The variant %(name)s is saved.", name=variant.name), "success")
            return redirect(url_for("marketing.form_show", form_id=form_id) + "#variant-results")
    return _variant_page(form, web_form, variant)


@bp.post("/forms/<int:form_id>/variants/<int:variant_id>/delete")
def variant_delete(form_id: int, variant_id: int):
    web_form = _form_or_404(form_id, "edit")
    variant = _variant_or_404(web_form, variant_id)
    name = variant.name
    try:
        web_form_variants.remove_variant(variant, current_user)
    except RecordInvalid as refused:
        db.session.rollback()
        flash(" ".join(refused.errors.values()), "error")
    else:
        db.session.commit()
        flash(_("The variant %(name)s is removed.", name=name), "success")
    return redirect(url_for("marketing.form_show", form_id=form_id) + "#variant-results")


@bp.route("/forms/<int:form_id>/delete", methods=["GET", "POST"])
def form_delete(form_id: int):
    web_form = _form_or_404(form_id, "delete")
    if request.method == "POST":
        name = web_form.name
        try:
            web_forms.delete_form(web_form, current_user)
        except RecordInvalid as refused:
            db.session.rollback()
            flash(" ".join(refused.errors.values()), "error")
            return redirect(url_for("marketing.form_show", form_id=form_id))
        db.session.commit()
        flash(_("The form %(name)s is deleted.", name=name), "success")
        return redirect(url_for("marketing.forms_index"))
    return render_template(
        "marketing/forms_delete.html",
        web_form=web_form,
        has_submissions=web_forms.has_submissions(web_form),
    )
