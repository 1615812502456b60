"""Restoring a backup archive into an empty database: every file's sha256 is checked against
the manifest and the target is checked for data before anything is written; then the
database is loaded (pg_restore, or the SQLite file put in place), the stored files are put
back, and each table's row count and checksum is compared with the manifest.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import shutil
import tarfile
import tempfile

from flask import current_app

from app.extensions import db
from app.services import backup_databases, backup_manifest, backups

_COPY_CHUNK = 1024 * 1024


class RestoreRefused(RuntimeError):
    """The archive or the target is not fit for a restore; nothing was changed."""


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    """What a restore did, and how the restored tables compare with the backup."""

    manifest: dict
    files: int
    differences: list[backup_manifest.TableDifference]

    @property
    def ok(self) -> bool:
        return not self.differences


def read_manifest(archive_path: str) -> dict:
    """The archive's manifest, for showing what a restore would bring back."""
    if not os.path.isfile(archive_path):
        raise RestoreRefused(f"There is no archive at {archive_path}.")
    manifest = backups.read_manifest(archive_path)
    if manifest is None:
        raise RestoreRefused(
            f"{archive_path} is not a readable Rapport backup (no valid manifest.json first)."
        )
    return manifest


def _safe_member(name: str) -> bool:
    normal = posixpath.normpath(name)
    return (
        normal == name
        and not name.startswith("/")
        and ".." not in name.split("/")
        and (name == backup_manifest.MANIFEST_NAME or name.count("/") == 0 or _stored(name))
    )


def _stored(name: str) -> bool:
    parts = name.split("/")
    return (
        len(parts) >= 3
        and parts[0] + "/" == backups.FILES_PREFIX
        and parts[1] in backups.FILE_FOLDERS
    )


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: str):
    reader = backup_manifest.HashingReader(tar.extractfile(member))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        while chunk := reader.read(_COPY_CHUNK):
            out.write(chunk)
    return reader


def unpack(archive_path: str, workdir: str) -> dict:
    """Extract the archive into `workdir`, checking every member against the manifest;
    returns the manifest. RestoreRefused names each problem found."""
    problems, seen = [], set()
    try:
        with tarfile.open(archive_path, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != backup_manifest.MANIFEST_NAME:
                raise RestoreRefused("The archive does not start with manifest.json.")
            try:
                manifest = backup_manifest.parse(tar.extractfile(first).read())
            except backup_manifest.ManifestInvalid as error:
                raise RestoreRefused(f"The archive's manifest is unusable: {error}.") from error
            expected = manifest["files"]
            for member in tar:
                if member is first:
                    continue
                name = member.name
                if not member.isreg() or not _safe_member(name) or name in seen:
                    problems.append(f"{name}: not a file this archive may hold")
                    continue
                seen.add(name)
                if name not in expected:
                    problems.append(f"{name}: not listed in the manifest")
                    continue
                reader = _extract(tar, member, os.path.join(workdir, *name.split("/")))
                if reader.sha256.hexdigest() != expected[name].get("sha256"):
                    problems.append(f"{name}: its sha256 does not match the manifest")
    except (OSError, EOFError, tarfile.TarError) as error:
        raise RestoreRefused(f"The archive is damaged or truncated: {error}.") from error
    problems += [f"{name}: missing from the archive" for name in sorted(set(expected) - seen)]
    if problems:
        raise RestoreRefused(
            "The archive does not match its manifest (tampered with or corrupt):\n  "
            + "\n  ".join(problems)
        )
    return manifest


def _check_target(manifest: dict, database_url: str, workdir: str) -> None:
    backend = backup_databases.backend_of(database_url)
    if manifest["backend"] != backend:
        raise RestoreRefused(
            f"This is a {manifest['backend']} backup; the target database is {backend}."
        )
    occupants = backup_databases.occupants(database_url)
    if occupants:
        raise RestoreRefused(
            "The target database is not empty; restore only into an empty database "
            "(create a new one and point DATABASE_URL at it). It holds: " + ", ".join(occupants)
        )
    if backend == "sqlite":
        copy = os.path.join(workdir, manifest["database"]["member"])
        problem = backup_databases.check_sqlite_file(copy)
        if problem:
            raise RestoreRefused(f"The database file in the archive is damaged: {problem}.")


def _put_files_back(manifest: dict, workdir: str, instance_path: str) -> int:
    count = 0
    for name in manifest["files"]:
        if not name.startswith(backups.FILES_PREFIX):
            continue
        relative = name.removeprefix(backups.FILES_PREFIX).split("/")
        target = os.path.join(instance_path, *relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.move(os.path.join(workdir, *name.split("/")), target)
        count += 1
    return count


def restore(
    archive_path: str, database_url: str | None = None, instance_path: str | None = None
) -> RestoreResult:
    """Restore the archive into the empty database at `database_url` (the app's own by
    default) and its files under `instance_path` (the app's); RestoreRefused, with nothing
    changed, when the archive fails its checks or the database is not empty. Stop the web
    server, the worker and cron first."""
    read_manifest(archive_path)
    database_url = database_url or current_app.config["SQLALCHEMY_DATABASE_URI"]
    instance_path = instance_path or current_app.instance_path
    os.makedirs(instance_path, exist_ok=True)
    own_database = database_url == current_app.config["SQLALCHEMY_DATABASE_URI"]
    with tempfile.TemporaryDirectory(prefix=".rapport-restore-", dir=instance_path) as workdir:
        manifest = unpack(archive_path, workdir)
        _check_target(manifest, database_url, workdir)
        if own_database:
            db.session.remove()
            db.engine.dispose()
        database = manifest["database"]["member"]
        backup_databases.restore(database_url, manifest["backend"], os.path.join(workdir, database))
        files = _put_files_back(manifest, workdir, instance_path)
    if own_database:
        db.engine.dispose()
    actual = backup_databases.figures(database_url)
    return RestoreResult(manifest, files, backup_manifest.compare(manifest["tables"], actual))


def summary(manifest: dict) -> str:
    """One line on what an archive holds, for the confirmation before a restore."""
    stored = sum(1 for name in manifest["files"] if name.startswith(backups.FILES_PREFIX))
    return (
        f"Backup of {manifest.get('created_at')}: {manifest['backend']}, schema revision "
        f"{manifest.get('alembic_revision')}, {manifest.get('row_total', 0)} rows in "
        f"{len(manifest['tables'])} tables, {stored} stored files."
    )


def needs_upgrade(manifest: dict) -> bool:
    """Whether this Rapport's migrations go beyond the backup's schema revision (then
    `flask db upgrade` brings the restored database up to date)."""
    from alembic.script import ScriptDirectory

    directory = current_app.extensions["migrate"].directory
    if not os.path.isabs(directory):
        directory = os.path.join(os.path.dirname(current_app.root_path), directory)
    heads = ScriptDirectory(directory).get_heads()
    return manifest.get("alembic_revision") not in heads
