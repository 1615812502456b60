"""Import pages (upload, mapping, preview, run, progress, report) and list exports."""

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import permissions, queues
from app.blueprints.imports import bp
from app.blueprints.imports.forms import UploadForm, mapping_form, wanted_mapping
from app.extensions import db
from app.htmx import wants_fragment
from app.jobs.imports import run_import
from app.jobs.list_exports import export_list
from app.models.records import ImportStatus
from app.services import imports, list_exports


def _import_or_404(import_id: int):
    """The import, for the user who uploaded it; everyone else gets a 404."""
    try:
        return imports.get_import(current_user, import_id)
    except LookupError:
        abort(404)


@bp.get("/")
@login_required
def index():
    form = UploadForm(entity_type=request.args.get("entity", "customer"))
    return render_template(
        "imports/index.html", form=form, recent=imports.recent_imports(current_user)
    )


@bp.post("/")
@login_required
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            data_import = imports.start_import(
                current_user, form.entity_type.data, form.file.data.filename, form.file.data.read()
            )
            db.session.commit()
            return redirect(url_for("imports.show", import_id=data_import.id))
        except imports.ImportFileError as error:
            db.session.rollback()
            form.file.errors = [str(error)]
    return render_template(
        "imports/index.html", form=form, recent=imports.recent_imports(current_user)
    )


@bp.get("/<int:import_id>")
@login_required
def show(import_id: int):
    data_import = _import_or_404(import_id)
    form = mapping_form(data_import) if data_import.status is ImportStatus.MAPPING else None
    return render_template("imports/show.html", data_import=data_import, form=form)


@bp.post("/<int:import_id>/preview")
@login_required
def preview(import_id: int):
    """Save the mapping and show the first rows as the import would treat them."""
    data_import = _import_or_404(import_id)
    form = mapping_form(data_import, request.form)
    queues.require_available()  # the import is committed before its job is queued
    try:
        imports.set_mapping(data_import, current_user, wanted_mapping(form), form.duplicates.data)
        rows = imports.preview(data_import, current_user)
        db.session.commit()
    except imports.ImportFileError as error:
        db.session.rollback()
        return render_template("imports/_preview.html", data_import=data_import, error=str(error))
    return render_template("imports/_preview.html", data_import=data_import, rows=rows)


@bp.post("/<int:import_id>/run")
@login_required
def run(import_id: int):
    data_import = _import_or_404(import_id)
    form = mapping_form(data_import, request.form)
    queues.require_available()  # the import is committed before its job is queued
    try:
        imports.set_mapping(data_import, current_user, wanted_mapping(form), form.duplicates.data)
        imports.submit(data_import, current_user)
    except imports.ImportFileError as error:
        db.session.rollback()
        form = mapping_form(data_import)
        form.form_errors.append(str(error))
        return render_template("imports/show.html", data_import=data_import, form=form)
    db.session.commit()
    job = queues.enqueue(
        run_import, data_import.id, actor=current_user, title=_("CSV import"), queue_name="reports"
    )
    data_import.job_id = job.id
    db.session.commit()
    return redirect(url_for("imports.show", import_id=data_import.id))


@bp.get("/<int:import_id>/status")
@login_required
def status(import_id: int):
    """The progress bar while the job runs; the summary once it is done (stops polling)."""
    return render_template("imports/_status.html", data_import=_import_or_404(import_id))


@bp.get("/<int:import_id>/report")
@login_required
def report(import_id: int):
    data_import = _import_or_404(import_id)
    path = imports.report_path(data_import)
    if path is None:
        abort(404)
    name = f"import-{data_import.id}-report.csv"
    return send_file(path, as_attachment=True, download_name=name, mimetype="text/csv")


@bp.post("/export/<entity_type>")
@login_required
def export(entity_type: str):
    """Queue a CSV of the list as filtered now; answer with a self-polling progress bar."""
    if entity_type not in list_exports.ENTITY_TYPES:
        abort(404)
    permissions.require(current_user, "read", entity_type)
    args = {key: values for key, values in request.form.lists() if key != "csrf_token"}
    title = list_exports.title(entity_type)
    job = queues.enqueue(
        export_list, entity_type, args, actor=current_user, title=title, queue_name="reports"
    )
    if wants_fragment():
        return render_template("jobs/_progress.html", job=job)
    return render_template("imports/export.html", job=job, title=title)
