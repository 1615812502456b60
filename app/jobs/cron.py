"""Every periodic job, registered in one place for RQ's cron scheduler."""

from flask import current_app

from app.jobs import campaigns, grading, maintenance, reminders, sequences, sla, ticket_mail


def register_periodic_jobs(scheduler) -> None:
    scheduler.register(maintenance.purge_old_exports, "default", cron="17 3 * * *")
    scheduler.register(reminders.send_due_reminders, "default", cron="*/5 * * * *")
    scheduler.register(grading.recompute_abc_classes, "default", cron="40 2 * * *")
    scheduler.register(sla.check_sla, "default", cron="*/5 * * * *")
    # A safety net for campaign sends whose batch job was lost; a live send needs none.
    scheduler.register(campaigns.resume_stalled_sends, "mail", cron="*/10 * * * *")
    # Every minute: a new lead's first email should not wait; an idle tick is one probe.
    scheduler.register(sequences.advance_sequences, "default", cron="* * * * *")
    # Support mail is polled only where a mailbox is configured (an MTA may pipe it to
    # `flask rapport ingest-email` instead).
    if current_app.config.get("RAPPORT_IMAP_HOST"):
        scheduler.register(ticket_mail.poll_imap, "mail", cron="*/2 * * * *")
