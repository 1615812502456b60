"""Backups: one timestamped archive (rapport-backup-<UTC time>.tar.gz) holding the database
copy, the uploaded files and manifest.json (written first, so reading it is cheap), kept in
RAPPORT_BACKUP_DIR (the instance folder's "backups" by default); the newest
RAPPORT_BACKUP_KEEP are kept, and an administrator is warned when the newest is older than
RAPPORT_BACKUP_STALE_HOURS. Restoring is app.services.backup_restore.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import io
import os
import re
import shutil
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext

from app import audit
from app.extensions import db
from app.models.base import utcnow
from app.models.records import AuditAction
from app.services import backup_databases, backup_manifest
from app.services.backup_databases import BackupFailed
from app.services.opportunity_parts import DOCUMENTS_FOLDER
from app.services.ticket_attachments import ATTACHMENTS_FOLDER

# The instance subfolders holding files the database refers to: deal documents, ticket
# attachments, the quote PDFs sent to customers, uploaded import files and their reports.
# Job outputs ("exports") live a week and are left out.
FILE_FOLDERS = (DOCUMENTS_FOLDER, ATTACHMENTS_FOLDER, "quotes", "imports")
FILES_PREFIX = "files/"
ARCHIVE_PATTERN = re.compile(r"^rapport-backup-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.gz$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
AUDIT_ENTITY = "backups"


@dataclasses.dataclass(frozen=True)
class Archive:
    """One backup archive on disk."""

    name: str
    path: str
    size: int
    created_at: datetime
    sequence: int = 0

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or utcnow()) - self.created_at


@dataclasses.dataclass(frozen=True)
class BackupHealth:
    """Whether the newest backup is recent enough (stale also when there is none)."""

    newest: Archive | None
    stale: bool
    stale_hours: int


def backup_dir() -> str:
    """Where archives go: RAPPORT_BACKUP_DIR, else the instance folder's "backups"."""
    configured = current_app.config.get("RAPPORT_BACKUP_DIR")
    return os.path.abspath(configured or os.path.join(current_app.instance_path, "backups"))


def _archive(folder: str, entry: os.DirEntry) -> Archive | None:
    match = ARCHIVE_PATTERN.match(entry.name)
    if match is None or not entry.is_file(follow_symlinks=False):
        return None
    created = datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC)
    return Archive(entry.name, entry.path, entry.stat().st_size, created, int(match.group(2) or 0))


def archives(folder: str | None = None) -> list[Archive]:
    """The archives in the folder, newest first (one directory listing, nothing opened)."""
    folder = folder or backup_dir()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    found = [archive for entry in entries if (archive := _archive(folder, entry))]
    return sorted(found, key=lambda a: (a.created_at, a.sequence), reverse=True)


def health(folder: str | None = None, now: datetime | None = None) -> BackupHealth:
    """The newest archive and whether it is older than RAPPORT_BACKUP_STALE_HOURS."""
    hours = int(current_app.config.get("RAPPORT_BACKUP_STALE_HOURS", 36))
    listed = archives(folder)
    newest = listed[0] if listed else None
    stale = newest is None or newest.age(now) > timedelta(hours=hours)
    return BackupHealth(newest, stale, hours)


def read_manifest(path: str) -> dict | None:
    """An archive's manifest (its first member), or None when it cannot be read."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _cached_manifest(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _cached_manifest(path: str, mtime_ns: int, size: int) -> dict | None:
    try:
        with tarfile.open(path, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != backup_manifest.MANIFEST_NAME:
                return None
            return backup_manifest.parse(tar.extractfile(first).read())
    except (OSError, tarfile.TarError, EOFError, backup_manifest.ManifestInvalid):
        return None


def _stage_files(instance_path: str, workdir: str) -> dict[str, str]:
    """Hard links (copies across file systems) of every stored file, taken after the
    database snapshot: a file deleted from now on stays in the backup."""
    staged = {}
    for folder in FILE_FOLDERS:
        root = os.path.join(instance_path, folder)
        for directory, _dirs, names in os.walk(root):
            for name in sorted(names):
                source = os.path.join(directory, name)
                if name.endswith(".part") or not os.path.isfile(source) or os.path.islink(source):
                    continue
                member = FILES_PREFIX + os.path.relpath(source, instance_path).replace(os.sep, "/")
                target = os.path.join(workdir, "staged", member)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                try:
                    os.link(source, target)
                except FileNotFoundError:
                    continue  # deleted since it was listed
                except OSError:
                    shutil.copyfile(source, target)
                staged[member] = target
    return staged


def _place(partial: str, folder: str, created_at: datetime) -> str:
    """Give the finished archive its name, never replacing another archive (two backups
    in the same second get "-1", "-2" ...)."""
    stamp = created_at.strftime(STAMP_FORMAT)
    for sequence in range(1000):
        name = f"rapport-backup-{stamp}{f'-{sequence}' if sequence else ''}.tar.gz"
        path = os.path.join(folder, name)
        try:
            os.link(partial, path)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links
            if os.path.exists(path):
                continue
            os.replace(partial, path)
            return path
        os.remove(partial)
        return path
    raise BackupFailed(f"too many archives named rapport-backup-{stamp}")


def _tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info


def _write_archive(folder: str, created_at: datetime, manifest: dict, members: dict) -> str:
    """Write the archive under a temporary name, then rename it into place; returns its
    path. Only the owner may read it: it holds every record and password hash."""
    partial = os.path.join(folder, f".rapport-backup-{os.getpid()}-{time.time_ns()}.part")
    try:
        with (
            open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar,
        ):
            data = backup_manifest.dumps(manifest)
            tar.addfile(
                _tar_info(backup_manifest.MANIFEST_NAME, len(data), time.time()), io.BytesIO(data)
            )
            for member, path in members.items():
                expected = manifest["files"][member]
                with open(path, "rb") as fh:
                    reader = backup_manifest.HashingReader(fh)
                    tar.addfile(
                        _tar_info(member, expected["size"], os.fstat(fh.fileno()).st_mtime), reader
                    )
                if reader.sha256.hexdigest() != expected["sha256"]:
                    raise BackupFailed(f"{member} changed while it was being backed up")
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        return _place(partial, folder, created_at)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def create_backup(output_dir: str | None = None, progress=None) -> Archive:
    """Write one archive of the database and the stored files; returns it. `progress(done,
    total, message)` hears of each step. BackupFailed says what went wrong (nothing is
    left behind then)."""
    report = progress or (lambda done, total, message: None)
    folder = os.path.abspath(output_dir or backup_dir())
    os.makedirs(folder, mode=0o700, exist_ok=True)
    instance_path = current_app.instance_path
    os.makedirs(instance_path, exist_ok=True)
    created_at = utcnow().replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix=".rapport-backup-", dir=instance_path) as workdir:
        report(0, 4, gettext("Copying the database…"))

        def checked(done: int, total: int, name: str) -> None:
            message = gettext("Counted %(done)d of %(total)d tables…", done=done, total=total)
            report(1, 4, message)

        copy = backup_databases.dump(db.engine, workdir, checked)
        report(2, 4, gettext("Collecting the stored files…"))
        members = {copy.member: copy.path} | _stage_files(instance_path, workdir)
        files = {
            member: {"sha256": backup_manifest.sha256_of(path), "size": os.path.getsize(path)}
            for member, path in members.items()
        }
        manifest = backup_manifest.build(
            created_at=created_at,
            backend=copy.backend,
            revision=copy.revision,
            app_version=_app_version(),
            tables=copy.tables,
            files=files,
            database_member=copy.member,
            tool=copy.tool,
        )
        report(3, 4, gettext("Writing the archive…"))
        path = _write_archive(folder, created_at, manifest, members)
    stat = os.stat(path)
    match = ARCHIVE_PATTERN.match(os.path.basename(path))
    return Archive(os.path.basename(path), path, stat.st_size, created_at, int(match.group(2) or 0))


def _app_version() -> str:
    try:
        return importlib.metadata.version("rapport")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def prune(folder: str | None = None, keep: int | None = None) -> list[Archive]:
    """Delete all but the newest `keep` archives (RAPPORT_BACKUP_KEEP, at least one);
    only files named like an archive are touched. Returns the deleted ones."""
    keep = max(1, int(keep if keep is not None else current_app.config["RAPPORT_BACKUP_KEEP"]))
    deleted = []
    for archive in archives(folder)[keep:]:
        try:
            os.remove(archive.path)
        except FileNotFoundError:
            continue
        deleted.append(archive)
    return deleted


def record(archive: Archive, pruned: list[Archive], manifest: dict | None = None) -> None:
    """Audit entries for a backup made and the old archives deleted, in the caller's
    transaction (the caller commits), attributed to the session's actor."""
    rows = (manifest or read_manifest(archive.path) or {}).get("row_total")
    entries = [(AuditAction.CREATE, archive, {"size": [None, archive.size], "rows": [None, rows]})]
    entries += [(AuditAction.DELETE, old, {"size": [old.size, None]}) for old in pruned]
    for action, item, changes in entries:
        audit.record_action(
            db.session, None, AUDIT_ENTITY, item.name[:64], item.name, changes, action=action
        )
