"""Backups for administrators: the archives kept (name, size, age, rows), a warning when the
newest is too old, and a backup on demand in a job. Archives are never downloadable here
(each holds every record and password hash): the page shows where they are instead."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from app import queues
from app.blueprints.admin import bp
from app.jobs import backups as backup_jobs
from app.models.base import utcnow
from app.services import backups

PER_PAGE = 20


def age(archive: backups.Archive | None, now=None) -> str:
    """How long ago an archive was made, in words ("3 hours")."""
    return format_timedelta(archive.age(now), threshold=1.0) if archive else ""


def backup_warning() -> dict | None:
    """What the admin header warns of when the newest backup is too old or missing: one
    directory listing a page, no archive opened."""
    if not (current_user.is_authenticated and current_user.is_admin):
        return None
    health = backups.health()
    return {"health": health, "age": age(health.newest)} if health.stale else None


bp.add_app_template_global(backup_warning, "backup_warning")


@bp.get("/backups")
def backups_index():
    listed, now = backups.archives(), utcnow()
    page = max(1, request.args.get("page", 1, type=int))
    shown = listed[(page - 1) * PER_PAGE : page * PER_PAGE]
    pager = {
        "first_url": url_for("admin.backups_index") if page > 1 else None,
        "next_url": url_for("admin.backups_index", page=page + 1)
        if len(listed) > page * PER_PAGE
        else None,
    }
    return render_template(
        "admin/backups.html",
        rows=[
            (archive, backups.read_manifest(archive.path), age(archive, now)) for archive in shown
        ],
        count=len(listed),
        newest=listed[0] if listed else None,
        newest_age=age(listed[0] if listed else None, now),
        folder=backups.backup_dir(),
        pager=pager,
    )


@bp.post("/backups/run")
def backups_run():
    """Back up now in a job; answer with its progress bar."""
    job = queues.enqueue(
        backup_jobs.run_scheduled_backup,
        actor=current_user,
        title=_("Backing up Rapport"),
        job_timeout=backup_jobs.BACKUP_TIMEOUT,
    )
    return render_template("jobs/_progress.html", job=job)
