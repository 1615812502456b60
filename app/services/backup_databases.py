"""The database half of a backup, per backend. PostgreSQL: `pg_dump --format=custom` run on
a snapshot exported from a REPEATABLE READ transaction that also reads the checksums, and
`pg_restore` into an empty database. SQLite: the online backup API (consistent while the
app writes), the checksums read from that copy, and the file put in place on restore.
pg_dump and pg_restore come from the PATH; the URL's password goes in PGPASSWORD, never
on a command line other users of the machine could read.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import subprocess
import tempfile

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.extensions import db
from app.services import backup_manifest

POSTGRESQL_MEMBER = "database.dump"
SQLITE_MEMBER = "database.sqlite3"


class BackupFailed(RuntimeError):
    """The database could not be copied; the message says why."""


@dataclasses.dataclass(frozen=True)
class DatabaseCopy:
    """A consistent copy of the database, with the figures read from that same snapshot."""

    backend: str
    member: str
    path: str
    tool: str
    revision: str | None
    tables: dict[str, dict]


def backend_of(url) -> str:
    """ "postgresql" or "sqlite" (anything else is refused)."""
    backend = make_url(url).get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise BackupFailed(f"backups support PostgreSQL and SQLite, not {backend}")
    return backend


def libpq_target(url) -> tuple[str, dict[str, str]]:
    """The connection URL for pg_dump/pg_restore without its password, and an environment
    carrying the password as PGPASSWORD."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    target = sa.URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return target.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(
            f"{name} is not on the PATH: install the PostgreSQL client tools of the "
            "server's version (e.g. the postgresql-client package)"
        )
    return path


def _tool_version(path: str) -> str:
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return output.stdout.strip() or os.path.basename(path)


def sqlite_path(url) -> str:
    """The file of a SQLite URL (in-memory databases cannot be backed up or restored)."""
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:":
        raise BackupFailed("an in-memory SQLite database has no file to back up")
    return os.path.abspath(parsed.database)


def scratch_engine(url) -> sa.Engine:
    """A short-lived engine on `url` that keeps no connection once used (plain
    postgresql:// URLs get the psycopg 3 driver Rapport ships with)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, poolclass=NullPool)


def _read_figures(connection, progress) -> tuple[str | None, dict[str, dict]]:
    return (
        backup_manifest.alembic_revision(connection),
        backup_manifest.table_digests(connection, progress),
    )


def dump_postgresql(engine: sa.Engine, workdir: str, progress=None) -> DatabaseCopy:
    """pg_dump of the database on the snapshot the checksums are read from."""
    pg_dump = _tool("pg_dump")
    path = os.path.join(workdir, POSTGRESQL_MEMBER)
    target, env = libpq_target(engine.url)
    with (
        engine.connect() as connection,
        tempfile.TemporaryFile(dir=workdir) as errors,
    ):
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.execute(sa.text("SET TRANSACTION READ ONLY"))
            snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            command = [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}"]
            command += [f"--file={path}", f"--dbname={target}"]
            dumper = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
            try:
                # The snapshot lives as long as this transaction: read the figures while
                # pg_dump runs, and end the transaction only once it is done.
                revision, tables = _read_figures(connection, progress)
                returncode = dumper.wait()
            finally:
                if dumper.poll() is None:
                    dumper.kill()
                    dumper.wait()
        if returncode != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise BackupFailed(f"pg_dump failed ({returncode}): {message}")
    return DatabaseCopy(
        "postgresql", POSTGRESQL_MEMBER, path, _tool_version(pg_dump), revision, tables
    )


def dump_sqlite(engine: sa.Engine, workdir: str, progress=None) -> DatabaseCopy:
    """A copy through SQLite's online backup API (one step, one consistent read), in
    rollback-journal mode so the single file is the whole database."""
    source_path = sqlite_path(engine.url)
    if not os.path.exists(source_path):
        raise BackupFailed(f"the database file {source_path} does not exist")
    path = os.path.join(workdir, SQLITE_MEMBER)
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    reader = scratch_engine(f"sqlite:///{path}")
    try:
        with reader.connect() as connection:
            revision, tables = _read_figures(connection, progress)
    finally:
        reader.dispose()
    return DatabaseCopy(
        "sqlite", SQLITE_MEMBER, path, f"sqlite {sqlite3.sqlite_version}", revision, tables
    )


def dump(engine: sa.Engine, workdir: str, progress=None) -> DatabaseCopy:
    """A consistent copy of the database behind `engine`, written into `workdir`."""
    if backend_of(engine.url) == "postgresql":
        return dump_postgresql(engine, workdir, progress)
    return dump_sqlite(engine, workdir, progress)


def occupants(url) -> list[str]:
    """What the database at `url` already holds that a restore would overwrite or collide
    with: the migration bookkeeping, Rapport tables with rows, and on PostgreSQL (where
    pg_restore creates every table) any Rapport table at all. Empty: safe to restore."""
    backend = backend_of(url)
    if backend == "sqlite" and not os.path.exists(sqlite_path(url)):
        return []
    ours = set(db.metadata.tables)
    found = []
    engine = scratch_engine(url)
    try:
        with engine.connect() as connection:
            names = set(sa.inspect(connection).get_table_names())
            if backup_manifest.ALEMBIC_TABLE in names:
                revision = backup_manifest.alembic_revision(connection)
                found.append(f"{backup_manifest.ALEMBIC_TABLE} (schema revision {revision})")
            for name in sorted(names & ours):
                quoted = connection.dialect.identifier_preparer.quote(name)
                if connection.execute(sa.text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():
                    found.append(f"{name} (has rows)")
                elif backend == "postgresql":
                    found.append(f"{name} (exists)")
    finally:
        engine.dispose()
    return found


def check_sqlite_file(path: str) -> str | None:
    """None when the file is a sound SQLite database, else what is wrong with it."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if verdict == "ok" else verdict


def restore_postgresql(url, dump_path: str) -> None:
    """pg_restore into the (empty) database in one transaction: all or nothing."""
    pg_restore = _tool("pg_restore")
    target, env = libpq_target(url)
    command = [pg_restore, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
    command += ["--no-password", f"--dbname={target}", dump_path]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupFailed(f"pg_restore failed ({result.returncode}): {result.stderr.strip()}")


def restore_sqlite(url, copy_path: str) -> None:
    """Put the backed-up file in place of the (empty) database file, atomically; stale
    write-ahead-log files of the old file go first so they are never replayed onto it."""
    target = sqlite_path(url)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = f"{target}.restoring"
    shutil.copyfile(copy_path, partial)
    with open(partial, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(target + suffix):
            os.remove(target + suffix)
    os.replace(partial, target)


def restore(url, backend: str, dump_path: str) -> None:
    """Load a database copy of `backend` into the empty database at `url`."""
    if backend == "postgresql":
        restore_postgresql(url, dump_path)
    else:
        restore_sqlite(url, dump_path)


def figures(url) -> dict[str, dict]:
    """Every table's row count and checksum in the database at `url`."""
    engine = scratch_engine(url)
    try:
        with engine.connect() as connection:
            return backup_manifest.table_digests(connection)
    finally:
        engine.dispose()
