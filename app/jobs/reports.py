"""Jobs for reports: a report's PDF made for the reader who asked, and the sweep that emails
scheduled reports as PDFs (registered with the cron scheduler).

The sweep claims each due schedule by moving its next run on with a conditional UPDATE
(committed before anything is rendered), so two sweeps running together send a due time
once; a schedule whose report or email fails records why and the others still go.
"""

from __future__ import annotations

import smtplib
import time

from flask import current_app
from flask_babel import force_locale, gettext

from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.base import utcnow
from app.models.identity import User
from app.permissions import PermissionDenied
from app.services import mail, report_pdf, report_schedules, saved_reports

BATCH_SIZE = 50
# A sweep stops taking new schedules after this long (the job times out at JOB_TIMEOUT);
# the next sweep sends the rest.
SWEEP_SECONDS = 240


@background_job
def render_report_pdf(report_key: str, args: dict, *, actor) -> str:
    """Make the PDF of report `report_key` with the filter query `args`, as `actor` sees
    it (their rights now, their language); the job links to the file."""
    with force_locale(actor.locale):
        report_progress(0, 2, gettext("Counting the records…"))
        counted = report_pdf.count(report_key, args, actor)
        report_progress(1, 2, gettext("Laying out the PDF…"))
        name = report_pdf.store(report_pdf.render(counted, actor))
        finish(
            message=gettext("The PDF of %(report)s is ready.", report=counted.title),
            result_file=name,
            download_name=counted.download_name,
        )
    return name


@background_job
def render_custom_report_pdf(report_id: int, *, actor) -> str:
    """Make the PDF of saved custom report `report_id` as `actor` may see it now."""
    saved = saved_reports.get(actor, report_id)
    if saved is None:
        raise LookupError(f"custom report {report_id} is not readable by user {actor.id}")
    with force_locale(actor.locale):
        report_progress(0, 2, gettext("Counting the records…"))
        data = report_pdf.render_custom(saved, actor)
        report_progress(1, 2, gettext("Laying out the PDF…"))
        name = report_pdf.store(data)
        finish(
            message=gettext("The PDF of %(report)s is ready.", report=saved.name),
            result_file=name,
            download_name=f"custom-report-{saved.id}.pdf",
        )
    return name


def _reason(error: Exception, owner) -> str:
    """Why a schedule was not sent, in words its owner reads on their schedules page (the
    log has the details of an unexpected error)."""
    with force_locale(owner.locale):
        if isinstance(error, PermissionDenied):
            return gettext("You may no longer read the records this report counts.")
        if isinstance(error, LookupError):
            return gettext("This report no longer exists.")
        if isinstance(error, smtplib.SMTPException | OSError):
            return gettext("The email could not be sent: %(error)s", error=str(error))
        return gettext("An unexpected error stopped it; an administrator can find it in the log.")


def _send(schedule, now) -> None:
    owner = db.session.get(User, schedule.user_id)
    counted, pdf = report_pdf.export(
        schedule.report_key,
        schedule.filters,
        owner,
        today=report_schedules.owner_today(owner, now),
    )
    mail.send(report_schedules.build_email(schedule, owner, counted, pdf))


@background_job
def send_scheduled_reports(*, actor=None) -> dict[str, int]:
    """Email every scheduled report whose time has come; returns how many went and how
    many failed."""
    started, counts = time.monotonic(), {"sent": 0, "failed": 0}
    stuck: set[int] = set()  # schedules that could not even be claimed (logged)
    while time.monotonic() - started < SWEEP_SECONDS:
        now = utcnow()
        due = report_schedules.due_ids(now, BATCH_SIZE + len(stuck))
        due = [schedule_id for schedule_id in due if schedule_id not in stuck]
        if not due:
            break
        for done, schedule_id in enumerate(due, start=1):
            try:
                schedule = report_schedules.claim(schedule_id, now)
            except Exception:  # a broken row must not stop the sweep or loop it
                db.session.rollback()
                current_app.logger.exception("scheduled report %s cannot be claimed", schedule_id)
                stuck.add(schedule_id)
                continue
            if schedule is None:
                continue  # another sweep has it
            try:
                _send(schedule, now)
            except Exception as error:  # one schedule's failure must not stop the others
                db.session.rollback()
                current_app.logger.exception("scheduled report %s failed", schedule_id)
                owner = db.session.get(User, schedule.user_id)
                report_schedules.record_run(schedule_id, error=_reason(error, owner))
                counts["failed"] += 1
            else:
                report_schedules.record_run(schedule_id, sent_at=utcnow())
                counts["sent"] += 1
            db.session.commit()
            report_progress(done, len(due))
    counts["failed"] += len(stuck)
    finish(message=f"{counts['sent']} sent, {counts['failed']} failed")
    return counts
