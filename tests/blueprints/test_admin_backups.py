"""The admin Backups page: administrators only; the archives with their size, age and row
count (never a download link); a warning across the admin pages when the newest backup is
too old or missing; "Back up now" runs the backup in a job, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditAction, AuditEntry
from app.services import backups
from tests.backup_setup import seed_records
from tests.conftest import csrf_token, post_form
from tests.factories import make_user


@pytest.fixture
def backup_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_DIR", str(folder))
    return folder


def test_only_administrators_see_the_backups(client, login, backup_dir):
    login(make_user(Role.MANAGER))
    assert client.get("/admin/backups").status_code == 403
    token = csrf_token(client, "/profile")
    assert client.post("/admin/backups/run", data={"csrf_token": token}).status_code == 403
    assert "backup-warning" not in client.get("/").get_data(as_text=True)


def test_the_page_lists_each_archive_with_its_rows_and_no_download(admin, client, backup_dir):
    seed_records()
    archive = backups.create_backup()

    page = client.get("/admin/backups").get_data(as_text=True)

    assert archive.name in page and str(backup_dir) in page
    rows = backups.read_manifest(archive.path)["row_total"]
    row = page.split('id="backup-1"')[1].split("</tr>")[0]
    assert f">{rows}<" in row and "Unreadable" not in row
    assert "Last backup:" in page and "backup-warning" not in page
    assert f'href="{archive.path}' not in page and "/jobs/" not in page


def test_the_stale_warning_comes_and_goes_with_the_newest_backup(admin, client, backup_dir):
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'id="backup-warning"' in page and "no backup has been made yet" in page

    backup_dir.mkdir()
    old = datetime.now(UTC) - timedelta(hours=40)
    (backup_dir / f"rapport-backup-{old:%Y%m%dT%H%M%SZ}.tar.gz").write_bytes(b"x")
    page = client.get("/admin/backups").get_data(as_text=True)
    assert 'id="backup-warning"' in page and "more than 36 hours" in page
    assert "Unreadable" in page  # not a real archive: its manifest cannot be read

    backups.create_backup()
    assert 'id="backup-warning"' not in client.get("/admin/users").get_data(as_text=True)


def test_back_up_now_runs_a_job_that_writes_an_audited_archive(admin, client, worker, backup_dir):
    response = post_form(client, "/admin/backups/run", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "job-progress" in response.get_data(as_text=True)
    assert backups.archives() == []

    worker()

    [archive] = backups.archives()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "backups")
    ).one()
    assert (entry.action, entry.actor_id, entry.entity_id) == (
        AuditAction.CREATE,
        admin.id,
        archive.name,
    )
    assert archive.name in client.get("/admin/backups").get_data(as_text=True)
