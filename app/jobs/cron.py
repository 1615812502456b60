"""Every periodic job, registered in one place for RQ's cron scheduler."""

from flask import current_app

from app.jobs import (
    backups,
    campaigns,
    dashboards,
    forecasts,
    grading,
    maintenance,
    predictions,
    reminders,
    reports,
    sequences,
    sla,
    ticket_mail,
    webhooks,
)


def register_periodic_jobs(scheduler) -> None:
    scheduler.register(maintenance.purge_old_exports, "default", cron="17 3 * * *")
    # Jobs kept in the database while Redis was unreachable go to their queue once it is
    # back (the scheduler itself runs only while Redis answers).
    scheduler.register(maintenance.drain_job_outbox, "default", cron="* * * * *")
    scheduler.register(reminders.send_due_reminders, "default", cron="*/5 * * * *")
    scheduler.register(grading.recompute_abc_classes, "default", cron="40 2 * * *")
    # Nightly backup, then archives beyond RAPPORT_BACKUP_KEEP deleted.
    scheduler.register(
        backups.run_scheduled_backup,
        "default",
        cron="10 2 * * *",
        job_timeout=backups.BACKUP_TIMEOUT,
    )
    scheduler.register(sla.check_sla, "default", cron="*/5 * * * *")
    # A safety net for campaign sends whose batch job was lost; a live send needs none.
    scheduler.register(campaigns.resume_stalled_sends, "mail", cron="*/10 * * * *")
    # Every minute: a new lead's first email should not wait; an idle tick is one probe.
    scheduler.register(sequences.advance_sequences, "default", cron="* * * * *")
    # Home dashboards: the active users' panels, computed ahead within the cache's
    # lifetime (RAPPORT_REPORT_CACHE_SECONDS, 300 s by default).
    scheduler.register(dashboards.warm_dashboards, "default", cron="*/4 * * * *")
    # Nightly: the sales forecast report reads the runs this stores.
    scheduler.register(forecasts.refresh_forecasts, "reports", cron="50 2 * * *")
    # Nightly, before the forecasts (which may weigh the pipeline by the predicted win
    # probability): every AI model trained on the day's history (lead score, win probability,
    # churn, recommendations, next best action, KB index); hourly: scores refreshed.
    scheduler.register(predictions.train_models, "reports", cron="20 2 * * *")
    scheduler.register(predictions.score_records, "default", cron="25 * * * *")
    # Scheduled report emails fall due on the hour: each goes within a quarter of an hour.
    scheduler.register(reports.send_scheduled_reports, "reports", cron="*/15 * * * *")
    # Webhook retries (1 min to 12 h apart) and deliveries Redis missed at commit time.
    scheduler.register(webhooks.retry_webhook_deliveries, "default", cron="* * * * *")
    # Support mail is polled only where a mailbox is configured (an MTA may pipe it to
    # `flask rapport ingest-email` instead).
    if current_app.config.get("RAPPORT_IMAP_HOST"):
        scheduler.register(ticket_mail.poll_imap, "mail", cron="*/2 * * * *")
