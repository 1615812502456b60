"""The nightly backup job: registered with cron, writes an archive, records it in the audit
log and then deletes the archives beyond RAPPORT_BACKUP_KEEP; a non-administrator cannot
run it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from rq.cron import CronScheduler

from app import queues
from app.extensions import db
from app.jobs.backups import run_scheduled_backup
from app.jobs.cron import register_periodic_jobs
from app.models.identity import Role
from app.models.records import AuditAction, AuditEntry
from app.services import backups
from tests.backup_setup import seed_records
from tests.factories import make_user


@pytest.fixture
def backup_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_DIR", str(folder))
    return folder


def test_the_backup_runs_nightly_on_the_default_queue():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    [job] = [j for j in scheduler.get_jobs() if j.func_name.endswith("run_scheduled_backup")]
    assert job.cron == "10 2 * * *" and job.queue_name == "default"


def test_the_job_backs_up_then_prunes_the_oldest_archives(app, backup_dir, monkeypatch, worker):
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_KEEP", 3)
    seed_records()
    backup_dir.mkdir()
    old = []
    for days in (4, 3, 2, 1):
        moment = datetime.now(UTC) - timedelta(days=days)
        old.append(f"rapport-backup-{moment:%Y%m%dT%H%M%SZ}.tar.gz")
        (backup_dir / old[-1]).write_bytes(b"an older archive")

    job = queues.enqueue(run_scheduled_backup, actor=None, title="Nightly backup")
    worker()
    job.refresh()

    assert job.is_finished, job.latest_result().exc_string
    newest = backups.archives()[0]
    assert job.return_value() == newest.path
    assert backups.read_manifest(newest.path)["tables"]["customers"]["rows"] == 1
    assert [a.name for a in backups.archives()] == [newest.name, old[3], old[2]]
    assert "Backup written" in job.meta["message"] and job.meta["progress"] == 100
    entries = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.source).where(
            AuditEntry.entity_type == "backups"
        )
    ).all()
    assert sorted(entries, key=lambda e: e.entity_id) == sorted(
        [(AuditAction.CREATE, newest.name, "job")]
        + [(AuditAction.DELETE, name, "job") for name in old[:2]],
        key=lambda e: e[1],
    )


def test_a_user_who_is_no_administrator_cannot_run_it(backup_dir, worker):
    rep = make_user(Role.SALES)
    job = queues.enqueue(run_scheduled_backup, actor=rep, title="Backup")
    worker()
    job.refresh()
    assert job.is_failed and backups.archives() == []
