"""Every periodic job, registered in one place for RQ's cron scheduler."""

from app.jobs import grading, maintenance, reminders


def register_periodic_jobs(scheduler) -> None:
    scheduler.register(maintenance.purge_old_exports, "default", cron="17 3 * * *")
    scheduler.register(reminders.send_due_reminders, "default", cron="*/5 * * * *")
    scheduler.register(grading.recompute_abc_classes, "default", cron="40 2 * * *")
