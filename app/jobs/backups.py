"""Backups (app.services.backups): nightly from cron, and on demand from the admin Backups
page. Each run writes its own archive (safe to run twice), records it in the audit log and
then deletes the archives beyond RAPPORT_BACKUP_KEEP: old ones go only once a new one
exists."""

from __future__ import annotations

from flask_babel import gettext

from app import permissions
from app.jobs import background_job, finish, report_progress
from app.services import backups

BACKUP_TIMEOUT = 3 * 3600


@background_job
def run_scheduled_backup(*, actor=None) -> str:
    """Back up now, prune old archives; returns the new archive's path."""
    if actor is not None and not actor.is_admin:
        raise permissions.PermissionDenied()
    archive = backups.create_backup(progress=report_progress)
    pruned = backups.prune()
    backups.record(archive, pruned)
    finish(message=gettext("Backup written: %(name)s", name=archive.name))
    return archive.path
