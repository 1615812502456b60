import os
import time

from rq.cron import CronScheduler

from app import queues
from app.jobs.cron import register_periodic_jobs
from app.jobs.maintenance import purge_old_exports
from app.services import exports


def test_periodic_jobs_are_registered_with_rqs_cron_scheduler():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    names = {job.func_name for job in scheduler.get_jobs()}
    assert "app.jobs.maintenance.purge_old_exports" in names
    assert "app.jobs.sla.check_sla" in names
    assert "app.jobs.dashboards.warm_dashboards" in names
    assert "app.jobs.forecasts.refresh_forecasts" in names
    assert "app.jobs.ticket_mail.poll_imap" not in names  # no mailbox configured


def test_support_mail_is_polled_when_a_mailbox_is_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_IMAP_HOST", "imap.example.com")
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    assert "app.jobs.ticket_mail.poll_imap" in {job.func_name for job in scheduler.get_jobs()}


def test_purge_removes_only_old_exports(worker):
    old_name, old_path = exports.new_file("csv")
    new_name, new_path = exports.new_file("csv")
    for path in (old_path, new_path):
        with open(path, "w") as fh:
            fh.write("x")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old_path, (eight_days_ago, eight_days_ago))
    job = queues.enqueue(purge_old_exports, actor=None, title="Purge")
    worker()
    job.refresh()
    assert job.is_finished and job.return_value() == 1
    assert exports.result_path(old_name) is None
    assert exports.result_path(new_name) == new_path


def test_scheduled_reports_are_swept_every_quarter_hour():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    crons = {job.func_name: job.cron for job in scheduler.get_jobs()}
    assert crons["app.jobs.reports.send_scheduled_reports"] == "*/15 * * * *"
