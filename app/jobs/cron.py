"""Every periodic job, registered in one place for RQ's cron scheduler."""

from app.jobs import maintenance


def register_periodic_jobs(scheduler) -> None:
    scheduler.register(maintenance.purge_old_exports, "default", cron="17 3 * * *")
