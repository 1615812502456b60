"""The custom report builder: pick an entity, columns, filters, a grouping and an
aggregate; save and share the report with a team; export it. Every page runs the report
with the reader's own rights (app.services.report_builder, app.services.saved_reports)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, queues
from app.blueprints.reports import bp
from app.blueprints.reports import builder_forms as forms
from app.extensions import db
from app.jobs import reports as report_jobs
from app.models.identity import Team, User
from app.services import exports, report_builder, report_entities, report_queries, saved_reports
from app.services.validation import RecordInvalid

Heading, NoPeriod = saved_reports.Heading, saved_reports.NoPeriod


def _report_or_404(report_id: int, action: str = "read"):
    report = saved_reports.get(current_user, report_id)
    if report is None:
        abort(404)
    if action != "read":
        permissions.require(current_user, action, "report", report)
    return report


def _may_build() -> None:
    if not any(
        permissions.scope_for(current_user, "report", action) is not permissions.Scope.NONE
        for action in ("create", "edit")
    ):
        raise permissions.PermissionDenied()


@bp.get("/custom")
def custom_index():
    permissions.require(current_user, "read", "report")
    rows = saved_reports.readable(current_user)
    owners, teams = saved_reports.owner_and_team_names(rows)
    return render_template(
        "reports/custom_index.html",
        rows=rows,
        owners=owners,
        teams=teams,
        entity_labels={key: entity.label for key, entity in report_entities.ENTITIES.items()},
    )


def _form_page(form, report, entity_key: str, definition: dict, errors=None):
    context = forms.builder_context(current_user, entity_key, definition, errors)
    return render_template("reports/custom_form.html", form=form, report=report, **context)


def _definition_errors(errors: dict) -> dict:
    return {
        key.removeprefix("definition."): message
        for key, message in errors.items()
        if key.startswith("definition") or key == "entity"
    }


def _submit(form, report, save):
    """Shared by new and edit: a builder button re-renders; a save goes to the service."""
    entity_key = forms.entity_key(current_user, request.form.get("entity"))
    action = request.form.get("builder_action")
    if action == "entity":
        return _form_page(form, report, entity_key, forms.blank_definition(entity_key))
    definition = forms.definition_from(request.form)
    if action:
        return _form_page(form, report, entity_key, forms.apply_action(definition, action))
    if not form.validate_on_submit():
        return _form_page(form, report, entity_key, definition)
    try:
        saved = save(entity=entity_key, definition=definition, **form.values())
    except RecordInvalid as invalid:
        db.session.rollback()
        form.show_errors(invalid.errors)
        return _form_page(form, report, entity_key, definition, _definition_errors(invalid.errors))
    db.session.commit()
    flash(_("The report %(name)s is saved.", name=saved.name), "success")
    return redirect(url_for("reports.custom_show", report_id=saved.id))


@bp.route("/custom/new", methods=["GET", "POST"])
def custom_new():
    permissions.require(current_user, "create", "report")
    form = forms.CustomReportForm()
    if request.method == "GET":
        entity_key = forms.entity_key(current_user, request.args.get("entity"))
        return _form_page(form, None, entity_key, forms.blank_definition(entity_key))

    def create(**fields):
        return saved_reports.create_report(current_user, **fields)

    return _submit(form, None, create)


@bp.route("/custom/<int:report_id>/edit", methods=["GET", "POST"])
def custom_edit(report_id: int):
    report = _report_or_404(report_id, "edit")
    form = forms.CustomReportForm(obj=report, shared=report.team_id is not None)
    if request.method == "GET":
        definition = dict(forms.blank_definition(report.entity), **(report.definition or {}))
        if not definition["filters"]:
            definition["filters"] = [forms.blank_filter()]
        return _form_page(form, report, report.entity, definition)

    def update(**fields):
        return saved_reports.update_report(report, current_user, **fields)

    return _submit(form, report, update)


@bp.post("/custom/builder")
def custom_builder():
    """The builder after one of its buttons (add or remove a filter, another record type),
    rebuilt from the posted form; nothing is saved."""
    _may_build()
    entity_key = forms.entity_key(current_user, request.form.get("entity"))
    action = request.form.get("builder_action", "")
    if action == "entity":
        definition = forms.blank_definition(entity_key)
    else:
        definition = forms.apply_action(forms.definition_from(request.form), action)
    context = forms.builder_context(current_user, entity_key, definition)
    return render_template("reports/_custom_builder.html", **context)


@bp.get("/custom/builder/filter")
def custom_filter():
    """One filter row, re-rendered when its field or operator changes."""
    _may_build()
    prefix = request.args.get("prefix", "")
    if not forms.PREFIX.match(prefix):
        abort(400)
    entity_key = forms.entity_key(current_user, request.args.get("entity"))
    context = forms.builder_context(current_user, entity_key, forms.blank_definition(entity_key))
    condition = forms.filter_row(context["fields"], prefix, request.args)
    return render_template(
        "reports/_custom_filter.html",
        prefix=prefix,
        n=int(prefix[1:]),
        condition=condition,
        refresh=True,
        **context,
    )


@bp.post("/custom/preview")
def custom_preview():
    """The report being built, run now for its reader (nothing is saved)."""
    _may_build()
    entity_key = forms.entity_key(current_user, request.form.get("entity"))
    try:
        result, words = report_builder.run_and_describe(
            entity_key, forms.definition_from(request.form), current_user
        )
    except RecordInvalid as invalid:
        return render_template("reports/_custom_preview.html", problems=invalid.errors)
    heading = Heading("custom-preview", _("Preview"), words)
    return render_template(
        "reports/_custom_preview.html", problems={}, report=heading, result=result, filters=NoPeriod
    )


def _result(report):
    """(the report's Result or None, its definition in words, the problems found)."""
    try:
        result, words = report_builder.run_and_describe(
            report.entity, report.definition or {}, current_user
        )
    except RecordInvalid as invalid:
        return None, "", invalid.errors
    return result, words, {}


@bp.get("/custom/<int:report_id>")
def custom_show(report_id: int):
    report = _report_or_404(report_id)
    result, words, problems = _result(report)
    return render_template(
        "reports/custom_show.html",
        saved=report,
        report=Heading(f"custom-{report.id}", report.name, words),
        result=result,
        problems=problems,
        filters=NoPeriod,
        owner=db.session.get(User, report.owner_id) if report.owner_id else None,
        team=db.session.get(Team, report.team_id) if report.team_id else None,
        entity_label=report_entities.ENTITIES[report.entity].label
        if report.entity in report_entities.ENTITIES
        else "",
        may_edit=permissions.can(current_user, "edit", "report", report),
        may_delete=permissions.can(current_user, "delete", "report", report),
    )


@bp.post("/custom/<int:report_id>/pdf")
def custom_pdf(report_id: int):
    """Queue the report's PDF; answer with the job's progress bar (the job runs it again
    with the reader's rights)."""
    report = _report_or_404(report_id)
    job = queues.enqueue(
        report_jobs.render_custom_report_pdf,
        report.id,
        actor=current_user,
        title=_("PDF of %(report)s", report=report.name),
        queue_name="reports",
        job_timeout=300,
    )
    return render_template("jobs/_progress.html", job=job)


@bp.get("/custom/<int:report_id>.csv")
def custom_csv(report_id: int):
    report = _report_or_404(report_id)
    try:
        result = saved_reports.run(report, current_user, report_queries.EXPORT_LIMIT)
    except RecordInvalid:
        abort(404)
    header, rows = result.table()
    return Response(
        exports.csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="custom-report-{report.id}.csv"'},
    )


@bp.route("/custom/<int:report_id>/delete", methods=["GET", "POST"])
def custom_delete(report_id: int):
    report = _report_or_404(report_id, "delete")
    if request.method == "POST":
        name = report.name
        saved_reports.delete_report(report, current_user)
        db.session.commit()
        flash(_("The report %(name)s is deleted.", name=name), "success")
        return redirect(url_for("reports.custom_index"))
    return render_template("reports/custom_delete.html", saved=report)
