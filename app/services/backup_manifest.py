"""What a backup archive says about itself (manifest.json): when and from which schema it
was taken, each table's row count and checksum, and the sha256 of every file it holds.

A table's checksum is a sha256 over its column names and its rows in primary-key order,
each value normalised (exact decimals, UTC ISO datetimes, JSON with sorted keys, bytes as
hex) so the same rows give the same digest on SQLite and on PostgreSQL, and so the figures
of a live database, of its backup copy and of a restored database compare as equal.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa

from app.database import is_search_machinery
from app.extensions import db

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
ALEMBIC_TABLE = "alembic_version"
_STREAM_ROWS = 2000
_HASH_CHUNK = 1024 * 1024


_PLAIN = frozenset({str, int, bool, type(None)})
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def normalise(value):
    """A value as plain JSON, identical whichever backend or driver read it."""
    kind = type(value)
    if kind in _PLAIN:  # most values: checked first, as millions of them pass through here
        return value
    if kind is datetime and value.tzinfo is UTC:
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return normalise(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    return str(value)


def _row_line(values) -> bytes:
    return _ENCODER.encode(list(map(normalise, values))).encode("utf-8") + b"\n"


def _model_table(name: str) -> sa.Table | None:
    return db.metadata.tables.get(name)


def _readable_column(column: sa.Column):
    """The column as the checksum reads it: enums as their stored strings (a value the
    code no longer knows must not stop a backup)."""
    if isinstance(column.type, sa.Enum):
        return sa.type_coerce(column, sa.String()).label(column.name)
    return column


def _order_key(column: sa.Column, dialect: str):
    # Byte order for text keys: a database created with another collation sorts the same.
    if dialect == "postgresql" and isinstance(column.type, sa.String | sa.Enum):
        return sa.type_coerce(column, sa.String()).collate("C")
    return column


def _table_for(connection, name: str) -> sa.Table:
    """The model's table when Rapport declares it (typed values), else reflected."""
    columns = {column["name"] for column in sa.inspect(connection).get_columns(name)}
    model = _model_table(name)
    if model is not None and columns == {column.name for column in model.columns}:
        return model
    return sa.Table(name, sa.MetaData(), autoload_with=connection)


def table_names(connection) -> list[str]:
    """The tables a backup accounts for: every table but the migration bookkeeping and
    the search indexes the database derives from the rest."""
    names = sa.inspect(connection).get_table_names()
    return sorted(
        name for name in names if name != ALEMBIC_TABLE and not is_search_machinery(name, "table")
    )


def table_digest(connection, name: str) -> dict:
    """{"rows": n, "sha256": hex} of one table, read through `connection` (its snapshot)."""
    table = _table_for(connection, name)
    columns = sorted(table.columns, key=lambda column: column.name)
    keys = list(table.primary_key.columns) or columns
    dialect = connection.dialect.name
    query = sa.select(*[_readable_column(c) for c in columns]).order_by(
        *[_order_key(c, dialect) for c in keys]
    )
    digest = hashlib.sha256(_row_line([column.name for column in columns]))
    rows = 0
    result = connection.execution_options(stream_results=True, yield_per=_STREAM_ROWS).execute(
        query
    )
    for row in result:
        digest.update(_row_line(row))
        rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def table_digests(connection, progress=None) -> dict[str, dict]:
    """Every table's row count and checksum; `progress(done, total, name)` after each."""
    names = table_names(connection)
    digests = {}
    for done, name in enumerate(names, start=1):
        digests[name] = table_digest(connection, name)
        if progress:
            progress(done, len(names), name)
    return digests


def alembic_revision(connection) -> str | None:
    """The schema revision the database is at (None before any migration)."""
    if ALEMBIC_TABLE not in sa.inspect(connection).get_table_names():
        return None
    revisions = connection.scalars(sa.text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).all()
    return ",".join(sorted(revisions)) or None


@dataclasses.dataclass(frozen=True)
class TableDifference:
    """One table whose restored rows are not the backed-up rows."""

    table: str
    expected_rows: int | None
    actual_rows: int | None

    def describe(self) -> str:
        if self.actual_rows is None:
            return f"{self.table}: missing after the restore"
        if self.expected_rows is None:
            return f"{self.table}: not in the backup ({self.actual_rows} rows)"
        if self.expected_rows != self.actual_rows:
            return f"{self.table}: {self.actual_rows} rows, the backup has {self.expected_rows}"
        return f"{self.table}: same row count ({self.actual_rows}), different contents"


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[TableDifference]:
    """The tables whose counts or checksums differ (a table absent on one side and empty
    on the other does not count)."""
    differences = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want == got:
            continue
        if (want is None and got["rows"] == 0) or (got is None and want["rows"] == 0):
            continue
        differences.append(
            TableDifference(name, want and want["rows"], got["rows"] if got else None)
        )
    return differences


class HashingReader:
    """A file object that hashes what is read through it (tarfile reads members this way)."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def build(
    *,
    created_at: datetime,
    backend: str,
    revision: str | None,
    app_version: str,
    tables: dict[str, dict],
    files: dict[str, dict],
    database_member: str,
    tool: str,
) -> dict:
    """The manifest of a new archive."""
    return {
        "format": FORMAT_VERSION,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "app_version": app_version,
        "alembic_revision": revision,
        "backend": backend,
        "database": {"member": database_member, "tool": tool},
        "row_total": sum(table["rows"] for table in tables.values()),
        "tables": tables,
        "files": files,
    }


class ManifestInvalid(ValueError):
    """The manifest is missing, unreadable or not one this version of Rapport can use."""


def parse(data: bytes) -> dict:
    """A manifest read from an archive, its shape checked; ManifestInvalid otherwise."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestInvalid(f"manifest.json is not valid JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise ManifestInvalid("manifest.json is not an object")
    version = manifest.get("format")
    if version != FORMAT_VERSION:
        raise ManifestInvalid(
            f"the archive's format is {version!r}; this Rapport reads format {FORMAT_VERSION}"
        )
    for key, kind in (("tables", dict), ("files", dict), ("database", dict), ("backend", str)):
        if not isinstance(manifest.get(key), kind):
            raise ManifestInvalid(f"manifest.json has no valid {key!r}")
    if not all(
        isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
        for entry in manifest["files"].values()
    ):
        raise ManifestInvalid("manifest.json lists a file without its sha256")
    if manifest["database"].get("member") not in manifest["files"]:
        raise ManifestInvalid("manifest.json does not list the database dump among its files")
    return manifest


def dumps(manifest: dict) -> bytes:
    return json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
