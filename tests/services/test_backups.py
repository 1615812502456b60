"""Backups: an archive restored into an empty database brings back the same rows and files
(same counts and checksums, on SQLite and PostgreSQL); a database that holds data and a
tampered or truncated archive are refused with nothing changed; retention and the stale
warning."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services import backup_databases, backup_manifest, backup_restore, backups
from tests.backup_setup import PDF, rewrite_archive, scratch_database, seed_records


@pytest.fixture
def backup_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_DIR", str(folder))
    return folder


@pytest.fixture
def target(app, tmp_path):
    with scratch_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as url:
        yield url


def _live_figures():
    with db.engine.connect() as connection:
        return backup_manifest.table_digests(connection)


def test_a_backup_restores_into_an_empty_database_with_the_same_rows_and_files(
    app, backup_dir, target, tmp_path
):
    seeded = seed_records()
    archive = backups.create_backup()

    assert archive.path.startswith(str(backup_dir)) and backups.ARCHIVE_PATTERN.match(archive.name)
    assert oct(os.stat(archive.path).st_mode & 0o777) == "0o600"
    manifest = backups.read_manifest(archive.path)
    assert manifest["backend"] == db.engine.dialect.name
    assert manifest["alembic_revision"] and manifest["app_version"]
    assert manifest["tables"]["customers"]["rows"] == 1
    assert manifest["tables"] == _live_figures()  # taken from the same snapshot
    stored = f"files/documents/{seeded['document'].stored_name}"
    assert manifest["files"][stored]["size"] == len(PDF)

    restored_files = tmp_path / "restored-instance"
    result = backup_restore.restore(
        archive.path, database_url=target, instance_path=str(restored_files)
    )

    assert result.ok, [d.describe() for d in result.differences]
    assert backup_databases.figures(target) == manifest["tables"]
    assert (restored_files / "documents" / seeded["document"].stored_name).read_bytes() == PDF
    engine = sa.create_engine(target)
    with engine.connect() as connection:
        name = connection.scalar(sa.text("SELECT name FROM customers"))
        total = connection.scalar(sa.text("SELECT total FROM quotes"))
    engine.dispose()
    assert name == "Acme 股份有限公司" and Decimal(str(total)) == Decimal("1050.00")


def test_a_row_written_while_the_backup_runs_is_in_neither_the_dump_nor_its_figures(
    backup_dir, target, tmp_path, monkeypatch
):
    from app.models.records import Tag

    seed_records()
    read_figures = backup_databases._read_figures

    def write_then_read(connection, progress):
        # pg_dump has just been started: a row committed now must not reach the dump, as
        # it does not reach the figures read on the same snapshot.
        with db.engine.begin() as writer:
            writer.execute(sa.insert(Tag.__table__).values(name="late", color="#000000"))
        return read_figures(connection, progress)

    monkeypatch.setattr(backup_databases, "_read_figures", write_then_read)
    archive = backups.create_backup()

    assert backups.read_manifest(archive.path)["tables"]["tags"]["rows"] == 0
    result = backup_restore.restore(
        archive.path, database_url=target, instance_path=str(tmp_path / "i")
    )
    assert result.ok, [d.describe() for d in result.differences]
    assert backup_databases.figures(target)["tags"]["rows"] == 0
    assert _live_figures()["tags"]["rows"] == 1


def test_the_checksums_notice_a_single_changed_value(backup_dir, target, tmp_path):
    seed_records()
    archive = backups.create_backup()
    backup_restore.restore(archive.path, database_url=target, instance_path=str(tmp_path / "i"))
    engine = sa.create_engine(target)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE customers SET name = 'Acme Ltd'"))
    engine.dispose()

    differences = backup_manifest.compare(
        backups.read_manifest(archive.path)["tables"], backup_databases.figures(target)
    )
    assert [d.table for d in differences] == ["customers"]
    assert "different contents" in differences[0].describe()


def test_a_restore_refuses_a_database_that_holds_data_and_changes_nothing(
    backup_dir, target, tmp_path
):
    seed_records()
    archive = backups.create_backup()
    files = tmp_path / "restored-instance"
    backup_restore.restore(archive.path, database_url=target, instance_path=str(files))
    before = backup_databases.figures(target)
    contract = next((files / "documents").iterdir())
    contract.write_bytes(b"%PDF- edited since")

    with pytest.raises(backup_restore.RestoreRefused, match="not empty") as refused:
        backup_restore.restore(archive.path, database_url=target, instance_path=str(files))

    assert "alembic_version" in str(refused.value) and "customers (has rows)" in str(refused.value)
    assert backup_databases.figures(target) == before
    assert contract.read_bytes() == b"%PDF- edited since"


def test_a_tampered_archive_is_refused_before_anything_is_written(backup_dir, target, tmp_path):
    seed_records()
    archive = backups.create_backup()
    tampered = str(tmp_path / "tampered.tar.gz")
    rewrite_archive(
        archive.path,
        tampered,
        lambda name, data: data.replace(b"signed", b"forged") if "documents/" in name else data,
    )
    files = tmp_path / "restored-instance"

    with pytest.raises(backup_restore.RestoreRefused, match="sha256 does not match"):
        backup_restore.restore(tampered, database_url=target, instance_path=str(files))

    assert backup_databases.occupants(target) == []
    assert backup_databases.figures(target) == {}
    assert not (files / "documents").exists()


def test_a_truncated_archive_is_refused(backup_dir, target, tmp_path):
    seed_records()
    archive = backups.create_backup()
    truncated = tmp_path / "truncated.tar.gz"
    with open(archive.path, "rb") as fh:
        truncated.write_bytes(fh.read()[: archive.size // 2])

    with pytest.raises(backup_restore.RestoreRefused, match="damaged or truncated"):
        backup_restore.restore(str(truncated), database_url=target, instance_path=str(tmp_path))
    assert backup_databases.figures(target) == {}


def test_an_archive_with_a_file_the_manifest_does_not_list_is_refused(backup_dir, target, tmp_path):
    seed_records()
    archive = backups.create_backup()
    extra = str(tmp_path / "extra.tar.gz")
    rewrite_archive(archive.path, extra, extra={"files/documents/planted": b"bad"})

    with pytest.raises(backup_restore.RestoreRefused, match="not listed in the manifest"):
        backup_restore.restore(extra, database_url=target, instance_path=str(tmp_path / "i"))


def _fake_archive(folder, moment: datetime, sequence: int = 0) -> str:
    suffix = f"-{sequence}" if sequence else ""
    path = folder / f"rapport-backup-{moment:%Y%m%dT%H%M%SZ}{suffix}.tar.gz"
    path.write_bytes(b"not really an archive")
    return path.name


def test_retention_deletes_only_the_oldest_archives_beyond_the_limit(backup_dir):
    backup_dir.mkdir()
    start = datetime(2026, 11, 1, 2, 10, tzinfo=UTC)
    names = [_fake_archive(backup_dir, start + timedelta(days=day)) for day in range(16)]
    names.append(_fake_archive(backup_dir, start + timedelta(days=15), sequence=1))
    for unrelated in ("notes.txt", "rapport-backup-manual.tar.gz", "rapport-backup.tar.gz"):
        (backup_dir / unrelated).write_text("keep me")

    deleted = backups.prune(keep=14)

    assert sorted(a.name for a in deleted) == sorted(names[:3])
    left = set(os.listdir(backup_dir))
    assert left == set(names[3:]) | {
        "notes.txt",
        "rapport-backup-manual.tar.gz",
        "rapport-backup.tar.gz",
    }
    assert backups.prune(keep=0) and [a.name for a in backups.archives()] == [names[-1]]


def test_the_backup_is_stale_when_there_is_none_or_the_newest_is_too_old(app, backup_dir):
    assert backups.health().stale and backups.health().newest is None
    backup_dir.mkdir()
    now = datetime.now(UTC)
    _fake_archive(backup_dir, now - timedelta(hours=40))
    assert backups.health(now=now).stale
    _fake_archive(backup_dir, now - timedelta(hours=2))
    health = backups.health(now=now)
    assert not health.stale and health.newest.age(now) < timedelta(hours=3)
    assert backups.health(now=now + timedelta(hours=35)).stale


def test_two_backups_in_the_same_second_keep_both_archives(backup_dir):
    first = backups.create_backup()
    second = backups.create_backup()
    assert first.name != second.name
    assert {a.name for a in backups.archives()} == {first.name, second.name}


def test_values_are_normalised_alike_on_either_backend():
    from zoneinfo import ZoneInfo

    taipei = datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("Asia/Taipei"))
    assert backup_manifest.normalise(taipei) == "2026-03-01T00:00:00+00:00"
    assert backup_manifest.normalise(datetime(2026, 3, 1)) == "2026-03-01T00:00:00+00:00"
    assert backup_manifest.normalise(Decimal("12.50")) == backup_manifest.normalise(Decimal("12.5"))
    assert backup_manifest.normalise(Decimal("100")) == "100"
    assert json.dumps(backup_manifest.normalise({"b": 1, "a": [b"\x01"]}), sort_keys=True) == (
        '{"a": ["01"], "b": 1}'
    )


def test_the_database_password_goes_in_the_environment_not_the_command_line():
    target, env = backup_databases.libpq_target(
        "postgresql+psycopg://rapport:s3cr%40t@db.internal:5433/crm?sslmode=require"
    )
    assert "s3cr" not in target and env["PGPASSWORD"] == "s3cr@t"
    assert target == "postgresql://rapport@db.internal:5433/crm?sslmode=require"
