"""`flask rapport backup` and `flask rapport restore`: an administrator backs up from the
shell, restores into a new empty database, and is told OK or exactly which tables differ.
Restores run in a second app on a scratch database, never on the shared test database."""

from __future__ import annotations

import contextvars
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models.records import AuditEntry
from app.services import backup_databases, backups
from tests.backup_setup import rewrite_archive, scratch_database, seed_records


@pytest.fixture
def target(app, tmp_path):
    with scratch_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as url:
        yield url


@pytest.fixture
def scratch_app(app, target, tmp_path, monkeypatch):
    """Rapport configured on the empty scratch database, as after a fresh install."""
    monkeypatch.setenv("RAPPORT_INSTANCE_PATH", str(tmp_path / "new-instance"))
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": target, "REDIS_URL": app.config["REDIS_URL"]}, env="testing"
    )
    yield application
    with application.app_context():
        db.engine.dispose()


def invoke(application, *args: str, **kwargs):
    """Run a command in `application` alone: the test's own app context (the shared test
    database) is left outside, as the CLI would run it."""
    runner = application.test_cli_runner()
    return contextvars.Context().run(runner.invoke, args=["rapport", *args], **kwargs)


@pytest.fixture
def archive(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_DIR", str(tmp_path / "backups"))
    seed_records()
    return backups.create_backup()


def test_backup_writes_an_archive_and_says_what_it_holds(app, tmp_path):
    seed_records()
    folder = tmp_path / "elsewhere"
    result = app.test_cli_runner().invoke(args=["rapport", "backup", "--output-dir", str(folder)])

    assert result.exit_code == 0, result.output
    [written] = backups.archives(str(folder))
    assert f"Backup written: {written.path}" in result.output
    # Other tests' uploads share the instance folder: at least the seeded contract.
    assert int(re.search(r"(\d+) stored files", result.output).group(1)) >= 1
    db.session.expire_all()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "backups")
    ).one()
    assert entry.source == "cli" and entry.entity_id == written.name


def test_backup_prune_keeps_only_the_newest(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_KEEP", 2)
    folder = tmp_path / "kept"
    folder.mkdir()
    for days in (3, 2, 1):
        moment = datetime.now(UTC) - timedelta(days=days)
        (folder / f"rapport-backup-{moment:%Y%m%dT%H%M%SZ}.tar.gz").write_bytes(b"old")

    result = app.test_cli_runner().invoke(
        args=["rapport", "backup", "--output-dir", str(folder), "--prune"]
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("Deleted the older backup") == 2
    assert len(backups.archives(str(folder))) == 2


def test_restore_into_an_empty_database_reports_ok(scratch_app, archive, target):
    result = invoke(scratch_app, "restore", archive.path, "--yes")

    assert result.exit_code == 0, result.output
    assert "OK: every table's row count and checksum match the backup." in result.output
    assert re.search(r"Restored \d+ tables and [1-9]\d* stored files", result.output)
    assert backup_databases.figures(target) == backups.read_manifest(archive.path)["tables"]

    again = invoke(scratch_app, "restore", archive.path, "--yes")
    assert again.exit_code == 1
    assert "Not restored: The target database is not empty" in again.output


def test_restore_names_each_table_that_differs_from_the_backup(
    scratch_app, archive, target, tmp_path
):
    def wrong_customers(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["tables"]["customers"]["sha256"] = "0" * 64
        return json.dumps(manifest).encode()

    altered = str(tmp_path / "altered.tar.gz")
    rewrite_archive(archive.path, altered, wrong_customers)

    result = invoke(scratch_app, "restore", altered, "--yes")

    assert result.exit_code == 1
    assert "MISMATCH" in result.output
    assert "customers: same row count (1), different contents" in result.output
    assert "contacts" not in result.output.split("MISMATCH")[1]


def test_restore_asks_first_and_changes_nothing_when_told_no(scratch_app, archive, target):
    result = invoke(scratch_app, "restore", archive.path, input="n\n")

    assert result.exit_code == 1 and "Restore it into" in result.output
    assert backup_databases.figures(target) == {}
