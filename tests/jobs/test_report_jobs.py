"""Report jobs through a real RQ worker: a report's PDF made for the reader who asked (their
rights checked again when it runs), and the scheduled-report sweep, which emails each due
report once with its PDF, in its owner's language and time zone, and goes on when one fails."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app import permissions, queues
from app.extensions import db
from app.jobs import reports as report_jobs
from app.models.analytics import ReportSchedule
from app.models.base import utcnow
from app.models.identity import Role
from app.models.sales import OpportunityStage
from app.services import exports, report_schedules
from tests.factories import make_opportunity, make_team, make_user


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def team():
    team = make_team("North")
    rep = make_user(Role.SALES, team=team, name="Amy Rep")
    for amount in ("1200", "800"):
        make_opportunity(rep, amount=amount, stage=OpportunityStage.PROSPECTING.value)
    return team


def _run(worker, func, *args, actor):
    job = queues.enqueue(func, *args, actor=actor, title="t", queue_name="reports")
    worker()
    job.refresh()
    return job


# -- The PDF of a report ---------------------------------------------------------------------


def test_the_pdf_job_makes_the_file_for_its_owner_to_download(app, team, worker, login):
    manager = make_user(Role.MANAGER, team=team, email="mia@example.com", name="Mia")
    job = _run(worker, report_jobs.render_report_pdf, "sales-funnel",
               {"period": "this_year"}, actor=manager)  # fmt: skip

    assert job.is_finished and job.meta["progress"] == 100
    assert job.meta["message"] == "The PDF of Sales funnel is ready."
    year = utcnow().year
    assert job.meta["download_name"] == f"sales-funnel-{year}-01-01-{year}-12-31.pdf"
    with open(exports.result_path(job.meta["result_file"]), "rb") as fh:
        text = text_of(fh.read())
    assert "Prospecting 2 $2,000.00" in text and "Prepared for Mia" in text

    download = login(manager).get(f"/jobs/{job.id}/result")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.data.startswith(b"%PDF")


def test_the_pdf_job_checks_the_readers_rights_again(team, worker):
    marketer = make_user(Role.MARKETING)
    # Allowed when asked for, withdrawn before the job ran.
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.commit()
    job = _run(worker, report_jobs.render_report_pdf, "sales-funnel", {}, actor=marketer)
    assert job.is_failed and "result_file" not in job.meta


def test_the_pdf_job_of_a_deactivated_reader_fails(team, worker):
    manager = make_user(Role.MANAGER, team=team)
    manager.is_active = False
    db.session.commit()
    assert _run(worker, report_jobs.render_report_pdf, "sales-funnel", {}, actor=manager).is_failed


# -- Scheduled report emails ------------------------------------------------------------------


def _schedule(owner, report_key="sales-funnel", due=None, **fields):
    schedule = report_schedules.create_schedule(
        owner, report_key, fields.pop("frequency", "DAILY"), fields.pop("hour", 7), **fields
    )
    schedule.next_run_at = due or utcnow() - timedelta(minutes=1)
    db.session.commit()
    return schedule


def _sweep(worker) -> dict:
    job = queues.enqueue(report_jobs.send_scheduled_reports, actor=None, title="Reports",
                         queue_name="reports")  # fmt: skip
    worker()
    job.refresh()
    assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job
    return job.return_value()


def test_the_sweep_emails_a_due_report_once_with_its_pdf(team, worker, smtp):
    manager = make_user(Role.MANAGER, team=team, email="mia@example.com", name="Mia")
    schedule = _schedule(manager, filter_args={"period": "this_year"})
    not_yet = _schedule(manager, "win-rate", due=utcnow() + timedelta(hours=1))

    assert _sweep(worker) == {"sent": 1, "failed": 0}
    assert _sweep(worker) == {"sent": 0, "failed": 0}

    [message] = smtp
    assert message["To"] == "mia@example.com"
    assert message["Subject"] == "Sales funnel: your scheduled report"
    body = message.get_body(("plain",)).get_content()
    assert "Hello Mia," in body and "as you asked: Every day at 07:00." in body
    assert "http://rapport.test/reports/sales-funnel?period=this_year" in body
    assert "http://rapport.test/reports/schedules" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().startswith("sales-funnel-")
    assert "Prospecting 2 $2,000.00" in text_of(attachment.get_content())
    db.session.expire_all()
    sent = db.session.get(ReportSchedule, schedule.id)
    assert sent.last_sent_at is not None and sent.last_error == ""
    assert sent.next_run_at > utcnow()
    assert db.session.get(ReportSchedule, not_yet.id).last_sent_at is None


def test_a_due_time_is_claimed_by_one_sweep_only(team, monkeypatch):
    manager = make_user(Role.MANAGER, team=team)
    schedule = _schedule(manager)
    now = utcnow()
    due = schedule.next_run_at
    real_next = report_schedules._next

    def another_sweep_claims_first(schedule, owner, when):
        # Between this sweep reading the schedule and its UPDATE, another one claims it.
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(ReportSchedule)
                .where(ReportSchedule.id == schedule.id)
                .values(next_run_at=due + timedelta(days=1))
            )
        return real_next(schedule, owner, when)

    monkeypatch.setattr(report_schedules, "_next", another_sweep_claims_first)
    assert report_schedules.claim(schedule.id, now) is None
    monkeypatch.setattr(report_schedules, "_next", real_next)
    claimed_again = report_schedules.claim(schedule.id, now)
    assert claimed_again is None  # no longer due
    # The next due time is claimed once.
    db.session.execute(
        sa.update(ReportSchedule).where(ReportSchedule.id == schedule.id).values(next_run_at=due)
    )
    db.session.commit()
    assert report_schedules.claim(schedule.id, now) is not None
    assert report_schedules.claim(schedule.id, now) is None


def test_a_failing_schedule_records_why_and_the_others_still_go(team, worker, smtp):
    manager = make_user(Role.MANAGER, team=team, email="mia@example.com")
    marketer = make_user(Role.MARKETING, email="mo@example.com")
    first = _schedule(manager, due=utcnow() - timedelta(minutes=3))
    lost_rights = _schedule(marketer, due=utcnow() - timedelta(minutes=2))
    gone = _schedule(manager, due=utcnow() - timedelta(minutes=1))
    last = _schedule(manager, "win-rate")
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.execute(
        sa.update(ReportSchedule).where(ReportSchedule.id == gone.id).values(report_key="retired")
    )
    db.session.commit()

    assert _sweep(worker) == {"sent": 2, "failed": 2}

    assert sorted(message["Subject"] for message in smtp) == [
        "Sales funnel: your scheduled report",
        "Win rate: your scheduled report",
    ]
    db.session.expire_all()
    runs = {s.id: s for s in db.session.scalars(sa.select(ReportSchedule))}
    assert runs[lost_rights.id].last_error == (
        "You may no longer read the records this report counts."
    )
    assert runs[gone.id].last_error == "This report no longer exists."
    for failed in (lost_rights.id, gone.id):
        assert runs[failed].last_sent_at is None and runs[failed].next_run_at > utcnow()
    for sent in (first.id, last.id):
        assert runs[sent].last_sent_at is not None and runs[sent].last_error == ""
    assert _sweep(worker) == {"sent": 0, "failed": 0}


def test_an_email_that_cannot_be_sent_is_recorded(team, worker, smtp, app, monkeypatch):
    manager = make_user(Role.MANAGER, team=team)
    schedule = _schedule(manager)
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there

    assert _sweep(worker) == {"sent": 0, "failed": 1}
    db.session.expire_all()
    failed = db.session.get(ReportSchedule, schedule.id)
    assert failed.last_error.startswith("The email could not be sent:")
    assert "Connection refused" in failed.last_error
    assert smtp == [] and failed.last_sent_at is None


def test_a_broken_schedule_does_not_stop_or_loop_the_sweep(team, worker, smtp):
    manager = make_user(Role.MANAGER, team=team)
    broken = _schedule(manager, due=utcnow() - timedelta(minutes=2))
    fine = _schedule(manager)
    # A day no month has (the service never stores one): its next run cannot be found.
    db.session.execute(
        sa.update(ReportSchedule)
        .where(ReportSchedule.id == broken.id)
        .values(frequency="MONTHLY", day_of_month=0)
    )
    db.session.commit()

    assert _sweep(worker) == {"sent": 1, "failed": 1}
    assert len(smtp) == 1
    db.session.expire_all()
    assert db.session.get(ReportSchedule, fine.id).last_sent_at is not None


def test_the_report_is_counted_in_the_owners_language_and_time_zone(team, worker, smtp,
                                                                    monkeypatch):  # fmt: skip
    owner = make_user(Role.MANAGER, team=team, name="林經理", locale="zh_Hant",
                      time_zone="Asia/Taipei")  # fmt: skip
    # 23:00 UTC on 31 March is 07:00 on 1 April in Taipei: "last month" is March there,
    # though it is still March in UTC (the installation's zone).
    now = datetime(2026, 3, 31, 23, 0, 30, tzinfo=UTC)
    schedule = _schedule(owner, frequency="MONTHLY", day_of_month=1,
                         filter_args={"period": "last_month"},
                         due=datetime(2026, 3, 31, 23, 0, tzinfo=UTC))  # fmt: skip
    monkeypatch.setattr(report_jobs, "utcnow", lambda: now)

    assert _sweep(worker) == {"sent": 1, "failed": 0}

    [message] = smtp
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "sales-funnel-2026-03-01-2026-03-31.pdf"
    assert "銷售漏斗" in message["Subject"]
    assert "林經理" in message.get_body(("plain",)).get_content()
    text = text_of(attachment.get_content())
    assert "銷售漏斗" in text and "2026年3月1日" in text
    db.session.expire_all()
    # The next is 1 May, 07:00 in Taipei.
    assert db.session.get(ReportSchedule, schedule.id).next_run_at == datetime(
        2026, 4, 30, 23, tzinfo=UTC
    )


def test_deactivated_owners_get_no_reports(team, worker, smtp):
    gone = make_user(Role.MANAGER, team=team)
    _schedule(gone)
    gone.is_active = False
    db.session.commit()
    assert _sweep(worker) == {"sent": 0, "failed": 0} and smtp == []
