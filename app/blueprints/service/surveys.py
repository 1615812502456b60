"""The satisfaction survey results for staff (CSAT by agent and by ticket category over a
period, NPS per round) and the form that sends an NPS round, with the sending job's
progress. Reading needs "survey" read rights; sending needs "survey" create rights."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, queues, timezones
from app.blueprints.service import bp
from app.blueprints.service.survey_forms import NpsRoundForm, SurveyPeriodForm
from app.extensions import db
from app.htmx import wants_fragment
from app.services import survey_results, surveys
from app.services.validation import RecordInvalid

DEFAULT_DAYS = 30


def _period(form: SurveyPeriodForm) -> tuple[datetime, datetime]:
    """The form's days as UTC moments [start, end) in the user's time zone; the last 30
    days by default."""
    zone = timezones.user_zone(current_user)
    today = datetime.now(zone).date()
    if not form.validate():
        form.start.data = form.end.data = None
    end_day = form.end.data or today
    start_day = form.start.data or end_day - timedelta(days=DEFAULT_DAYS - 1)
    form.start.data, form.end.data = start_day, end_day
    start = timezones.from_wall_clock(datetime.combine(start_day, time()), zone)
    end = timezones.from_wall_clock(datetime.combine(end_day + timedelta(days=1), time()), zone)
    return start, end


def _index_page(nps_form: NpsRoundForm | None = None, status: int = 200):
    period = SurveyPeriodForm(request.args)
    start, end = _period(period)
    may_send = permissions.can(current_user, "create", surveys.ENTITY)
    context = {
        "period": period,
        "overall": survey_results.csat_summary(start, end),
        "by_agent": survey_results.csat_summary(start, end, group_by="agent"),
        "by_category": survey_results.csat_summary(start, end, group_by="category"),
        "rounds": survey_results.nps_rounds(),
        "may_send": may_send,
        "nps_form": (nps_form or NpsRoundForm(formdata=None)) if may_send else None,
    }
    return render_template("service/surveys_index.html", **context), status


@bp.get("/service/surveys")
def surveys_index():
    permissions.require(current_user, "read", surveys.ENTITY)
    return _index_page()


def _form_again(form: NpsRoundForm):
    if wants_fragment():
        return render_template("service/_surveys_nps_form.html", nps_form=form)
    return _index_page(nps_form=form, status=422)


@bp.post("/service/surveys/nps")
def surveys_send_nps():
    """Create an NPS round's surveys, then queue their emails; answer with the progress."""
    permissions.require(current_user, "create", surveys.ENTITY)
    form = NpsRoundForm()
    if not form.validate_on_submit():
        return _form_again(form)
    queues.require_available()  # the round is committed before its emails are queued
    try:
        nps_round = surveys.send_nps(current_user, form.survey_name.data, form.segment())
    except RecordInvalid as invalid:
        db.session.rollback()
        for name, text in invalid.errors.items():
            target = form._fields.get(name, form.survey_name)
            target.errors = [*target.errors, text]
        return _form_again(form)
    db.session.commit()
    job = surveys.queue_nps_emails(nps_round, current_user) if nps_round.created else None
    template = "service/_surveys_nps_sent.html" if wants_fragment() else "service/surveys_nps.html"
    return render_template(template, nps_round=nps_round, job=job, title=_("NPS round"))
