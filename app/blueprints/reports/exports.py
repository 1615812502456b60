"""PDF exports of reports (rendered in a job, answered with its progress bar) and the
reader's scheduled report emails: their list, a form to add one (from a report's page,
with its current filters, or from the list), deletion. The rules live in
app.services.report_pdf and app.services.report_schedules."""

from __future__ import annotations

from babel.dates import get_day_names
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app import queues
from app.blueprints.reports import bp
from app.blueprints.reports.views import report_or_404
from app.extensions import db
from app.jobs import reports as report_jobs
from app.models.analytics import ScheduleFrequency
from app.services import report_pdf, report_schedules, reports
from app.services.reports.filters import PERIODS
from app.services.validation import RecordInvalid

RENDER_TIMEOUT = 120  # seconds: a report that takes longer to lay out is stopped
# The report page's filter fields (reports/_filters.html) a PDF or a schedule takes over.
FILTER_ARGS = ("period", "start", "end", "dates_for", "group", "team", "owner", "product",
               "region", "channel", "segment")  # fmt: skip


class ScheduleForm(FlaskForm):
    """When to email a report; the report page adds its filters, the list page a period."""

    report_key = SelectField(_l("Report"), validate_choice=False)
    frequency = SelectField(
        _l("How often"),
        choices=[
            SelectChoice(f.value, label) for f, label in report_schedules.FREQUENCY_LABELS.items()
        ],
        default=ScheduleFrequency.WEEKLY.value,
        validate_choice=False,
    )
    weekday = SelectField(_l("Day of the week (weekly)"), validate_choice=False)
    day_of_month = SelectField(
        _l("Day of the month (monthly)"),
        choices=[SelectChoice(str(day), str(day)) for day in range(1, 29)],
        validate_choice=False,
    )
    hour = SelectField(
        _l("At"),
        choices=[SelectChoice(str(hour), f"{hour:02d}:00") for hour in range(24)],
        default="7",
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="schedule", **kwargs)
        names = get_day_names("wide", locale=get_locale())
        self.weekday.choices = [SelectChoice(str(day), names[day]) for day in range(7)]
        self.report_key.choices = [
            SelectChoice(report.key, str(report.title)) for report in reports.readable(current_user)
        ]


def _filter_args() -> dict[str, str]:
    """The page's filters as posted (each value cut short: a filter is a word, a date or
    an id); the report reads and checks them."""
    return {name: request.form[name][:100] for name in FILTER_ARGS if request.form.get(name)}


@bp.post("/<key>/pdf")
def pdf(key: str):
    """Queue the PDF of the report with the page's filters; answer with the job's
    progress bar (the job checks the reader's rights again when it runs)."""
    report = report_or_404(key)
    job = queues.enqueue(
        report_jobs.render_report_pdf,
        report.key,
        _filter_args(),
        actor=current_user,
        title=_("PDF of %(report)s", report=report.title),
        queue_name="reports",
        job_timeout=RENDER_TIMEOUT,
    )
    return render_template("jobs/_progress.html", job=job)


def _create(form: ScheduleForm) -> tuple[object | None, dict[str, str]]:
    """Save the posted schedule: (the schedule, {}) or (None, the messages that belong to
    none of the form's fields; the others are set on their fields)."""
    try:
        schedule = report_schedules.create_schedule(
            current_user,
            form.report_key.data,
            form.frequency.data,
            form.hour.data,
            weekday=form.weekday.data,
            day_of_month=form.day_of_month.data,
            filter_args=_filter_args(),
        )
    except RecordInvalid as invalid:
        db.session.rollback()
        # Messages of the form's own fields show under them; the filters' above the form.
        general = {}
        for name, message in invalid.errors.items():
            if name in form:
                form[name].errors = [message]
            else:
                general[name] = message
        return None, general
    db.session.commit()
    return schedule, {}


@bp.get("/<key>/schedule")
def schedule_form(key: str):
    """The "email me this report" form of a report's page (loaded when it is opened)."""
    report = report_or_404(key)
    form = ScheduleForm(data={"report_key": report.key})
    return render_template("reports/_export.html", report=report, form=form, errors={})


@bp.route("/schedules", methods=["GET", "POST"])
def schedules():
    """The reader's scheduled reports and a form to add one. Posted from a report's page,
    the answer is that page's export controls, saying what was scheduled or what is wrong."""
    form = ScheduleForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        report = report_or_404(form.report_key.data) if request.form.get("from_report") else None
        schedule, errors = _create(form)
        if report is not None:
            return render_template(
                "reports/_export.html",
                report=report,
                form=form,
                errors=errors,
                saved=schedule,
                saved_when=schedule and report_schedules.describe(schedule),
            )
        if schedule is not None:
            flash(_("%(report)s will be emailed to you: %(when)s.",
                    report=reports.get(schedule.report_key).title,
                    when=report_schedules.describe(schedule)), "success")  # fmt: skip
            return redirect(url_for("reports.schedules"))
    return render_template(
        "reports/schedules.html",
        form=form,
        errors=errors,
        rows=_rows(),
        periods={key: label for key, label in PERIODS.items() if key != "custom"},
        period=request.form.get("period", "last_month"),
    )


def _rows() -> list[dict]:
    """The reader's schedules as the list shows them."""
    rows = []
    for schedule in report_schedules.schedules_of(current_user):
        report = reports.get(schedule.report_key)
        filters = report.parse_filters(schedule.filters)[0] if report else None
        rows.append(
            {
                "schedule": schedule,
                "title": report.title if report else schedule.report_key,
                "period": PERIODS.get(filters.period, "") if filters else "",
                "filters": report_pdf.filter_labels(report, filters) if report else [],
                "when": report_schedules.describe(schedule),
            }
        )
    return rows


@bp.post("/schedules/<int:schedule_id>/delete")
def schedule_delete(schedule_id: int):
    schedule = report_schedules.schedule_of(current_user, schedule_id)
    if schedule is None:
        abort(404)
    report_schedules.delete_schedule(schedule, current_user)
    db.session.commit()
    flash(_("The scheduled report is deleted."), "success")
    return redirect(url_for("reports.schedules"))
