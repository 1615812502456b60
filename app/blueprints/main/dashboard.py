"""The home dashboard's pieces: the context of the panel grid (the home view renders it),
one panel's fragment (loaded lazily, refreshed, reloaded when the period changes) and the
page where a user chooses and orders their panels (app.services.dashboards,
app.services.dashboard_cache)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from app import queues
from app.blueprints.main import bp
from app.blueprints.record_forms import save_valid_form
from app.jobs import dashboards as dashboard_jobs
from app.services import dashboard_cache, dashboard_export, dashboards, exports
from app.services.reports.filters import PERIODS

REFRESH_SECONDS = 120
RENDER_TIMEOUT = 300  # seconds a dashboard PDF may take (a dozen panels)


def home_context() -> dict:
    """The home grid: the reader's panels and the period they are shown for."""
    return {
        "panels": dashboards.layout(current_user),
        "period": dashboards.period_of(request.args.get("period")),
        "periods": {key: PERIODS[key] for key in dashboards.PERIODS},
        "refresh_seconds": REFRESH_SECONDS,
    }


@bp.get("/home/panels/<key>")
@login_required
def dashboard_panel(key: str):
    panel = dashboards.get(key)
    if panel is None or not dashboards.may_read(current_user, panel):
        abort(404)
    shown = dashboard_cache.show(
        panel, current_user, request.args.get("period"), fresh=request.args.get("fresh") == "1"
    )
    return render_template("main/_panel.html", shown=shown)


@bp.post("/home/pdf")
@login_required
def dashboard_pdf():
    """Queue the PDF of the reader's dashboard over the period shown; answer with the
    job's progress bar."""
    job = queues.enqueue(
        dashboard_jobs.render_dashboard_pdf,
        dashboards.period_of(request.form.get("period")),
        actor=current_user,
        title=_("PDF of your dashboard"),
        queue_name="reports",
        job_timeout=RENDER_TIMEOUT,
    )
    return render_template("jobs/_progress.html", job=job)


@bp.get("/home.csv")
@login_required
def dashboard_csv():
    period = request.args.get("period")
    header, rows = dashboard_export.csv_table(current_user, period)
    name = dashboard_export.download_name(period)
    return Response(
        exports.csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


class PanelChoice(Form):
    key = HiddenField()
    shown = BooleanField(_l("Show"))
    position = IntegerField(
        _l("Position"),
        validators=[Optional(), NumberRange(1, 99, message=_l("Enter a position from 1 to 99."))],
    )


class CustomizeForm(FlaskForm):
    panels = FieldList(FormField(PanelChoice), max_entries=50)

    def chosen(self) -> list[str]:
        """The keys of the panels ticked, by position (unnumbered ones last, as listed)."""
        ticked = [
            (entry.position.data or 100, index, entry.key.data)
            for index, entry in enumerate(self.panels)
            if entry.shown.data
        ]
        return [key for _position, _index, key in sorted(ticked)]

    def show_errors(self, errors: dict) -> None:
        self.form_errors.extend(errors.values())


def _fill(form: CustomizeForm) -> None:
    """The user's panels first, numbered in their order, then the others they may add."""
    chosen = [panel.key for panel in dashboards.layout(current_user)]
    others = [p.key for p in dashboards.offered(current_user) if p.key not in chosen]
    for position, key in enumerate(chosen, 1):
        form.panels.append_entry({"key": key, "shown": True, "position": position})
    for key in others:
        form.panels.append_entry({"key": key, "shown": False, "position": None})


def _save(form: CustomizeForm) -> bool:
    if request.form.get("reset"):
        dashboards.reset_layout(current_user)
    else:
        dashboards.save_layout(current_user, form.chosen())
    return True


@bp.route("/home/customize", methods=["GET", "POST"])
@login_required
def customize():
    form = CustomizeForm()
    if request.method == "GET":
        _fill(form)
    elif save_valid_form(form, lambda: _save(form)):
        flash(_("Your dashboard is saved."), "success")
        return redirect(url_for("main.home"))
    return render_template(
        "main/customize.html",
        form=form,
        panels=dashboards.PANELS,
        own_layout=dashboards.has_own_layout(current_user),
    )
