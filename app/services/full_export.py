"""Every table of the database as one zip: a CSV (header row) and a JSON Lines file per
table, and manifest.json with the schema (columns, types, keys), row counts, the export
time and the database revision. For administrators moving their data elsewhere.

Tables are read in batches on their primary key (keyset, never OFFSET), so a table of
any size is never held in memory. On PostgreSQL the whole export reads one snapshot
(REPEATABLE READ): the files agree with each other. Secrets never leave: see is_secret.
CSV text cells that a spreadsheet would run as a formula get a leading "'" (as every
Rapport CSV does); the JSON Lines files carry the exact values.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa

from app.audit import Actor
from app.extensions import db
from app.models.base import utcnow
from app.models.records import AuditAction, AuditEntry
from app.services import exports

FORMAT = "rapport-export/1"
BATCH_SIZE = 2000
AUDIT_TYPE = "data_exports"
# Secrets by name: password and token hashes, signing secrets, keys. Sessions are signed
# cookies, never stored, so there is no session table to leave out.
SECRET_COLUMNS = frozenset({
    ("users", "password_hash"), ("portal_users", "password_hash"),
    ("api_tokens", "token_hash"), ("webhook_subscriptions", "secret"),
})  # fmt: skip
_SECRET_NAME = re.compile(
    r"(^|_)(password|passwd|secret|hash|api_key|private_key|credentials?)($|_)"
)


def plain(value):
    """A value as JSON has it: dates as ISO 8601, amounts as exact strings, enums by value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def is_secret(table: str, column: str) -> bool:
    """Whether a column holds a secret that no export may contain."""
    return (table, column) in SECRET_COLUMNS or bool(_SECRET_NAME.search(column))


def exported_columns(table: sa.Table) -> list[sa.Column]:
    """The columns of `table` an export holds: all but the secrets."""
    return [column for column in table.columns if not is_secret(table.name, column.name)]


def excluded_columns() -> list[str]:
    """Every "table.column" the export leaves out."""
    return [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if is_secret(table.name, column.name)
    ]


def begin_snapshot() -> bool:
    """Start the transaction the export reads in (call first, before any query): one
    consistent snapshot on PostgreSQL. Returns whether the reads are a snapshot."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return True


def _as_is(value):
    return value


def _iso(value):
    return None if value is None else value.isoformat()


def _text_of(value):
    return None if value is None else str(value)


def _enum_value(value):
    return None if value is None else value.value


def _to_json(column: sa.Column):
    """How a column's values are written to JSON Lines (decided once per column)."""
    kind = column.type
    if isinstance(kind, sa.Enum):
        return _enum_value if kind.enum_class is not None else _as_is
    try:
        python = kind.python_type
    except NotImplementedError:
        return _as_is
    if python in (dt.datetime, dt.date):
        return _iso
    if python is Decimal:
        return _text_of
    return _as_is


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return exports.csv_cell(value)
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return exports.csv_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return str(value)


def _batches(table: sa.Table, columns: list[sa.Column]):
    """The table's rows in primary-key order, BATCH_SIZE at a time."""
    keys = list(table.primary_key.columns)
    query = sa.select(*columns).order_by(*keys).limit(BATCH_SIZE)
    positions = [columns.index(key) for key in keys]
    last = None
    while True:
        page = query
        if last is not None:
            if len(keys) == 1:
                page = query.where(keys[0] > last[0])
            else:
                page = query.where(sa.tuple_(*keys) > sa.tuple_(*last))
        rows = db.session.execute(page).all()
        if not rows:
            return
        yield rows
        last = [rows[-1][position] for position in positions]
        if len(rows) < BATCH_SIZE:
            return


def _column_schema(column: sa.Column) -> dict:
    try:
        kind = str(column.type.compile(dialect=db.session.get_bind().dialect))
    except Exception:  # a type without a DDL form of its own
        kind = type(column.type).__name__
    return {"name": column.name, "type": kind, "nullable": column.nullable,
            "primary_key": column.primary_key}  # fmt: skip


def _revision() -> str | None:
    try:
        return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


def _write_table(archive: zipfile.ZipFile, table: sa.Table, on_rows: Callable[[int], None]) -> int:
    columns = exported_columns(table)
    names = [column.name for column in columns]
    count = 0
    folder = os.path.dirname(archive.filename)
    temporary = {"dir": folder, "suffix": ".part", "delete": False, "encoding": "utf-8"}
    converters = [_to_json(column) for column in columns]
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    with (
        tempfile.NamedTemporaryFile("w", **temporary) as lines,
        archive.open(f"csv/{table.name}.csv", "w") as raw,
    ):
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(names)
        for rows in _batches(table, columns):
            for row in rows:
                values = [convert(value) for convert, value in zip(converters, row, strict=True)]
                writer.writerow([_csv_text(value) for value in values])
                lines.write(encode(dict(zip(names, values, strict=True))) + "\n")
            count += len(rows)
            on_rows(len(rows))
        text.flush()
        text.detach()
    archive.write(lines.name, f"jsonl/{table.name}.jsonl")
    os.remove(lines.name)
    return count


def write_zip(actor, progress: Callable[[int, int, str], None] | None = None) -> tuple[str, dict]:
    """Write the export to a new file among the job outputs; returns (file name, manifest)."""
    snapshot = begin_snapshot()
    tables = list(db.metadata.sorted_tables)
    total = sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0 for table in tables
    )
    name, path = exports.new_file("zip")
    done = 0
    entries = []

    def on_rows(count: int, table_name: str = "") -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total, table_name)

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            rows = _write_table(archive, table, lambda n, t=table.name: on_rows(n, t))
            entries.append({
                "name": table.name, "csv": f"csv/{table.name}.csv",
                "jsonl": f"jsonl/{table.name}.jsonl", "rows": rows,
                "primary_key": [column.name for column in table.primary_key.columns],
                "columns": [_column_schema(column) for column in exported_columns(table)],
            })  # fmt: skip
        manifest = {
            "format": FORMAT,
            "exported_at": utcnow().isoformat(),
            "exported_by": actor.email,
            "database": db.session.get_bind().dialect.name,
            "app_revision": _revision(),
            "consistent_snapshot": snapshot,
            "tables": entries,
            "excluded_columns": excluded_columns(),
            "notes": [
                "CSV: UTF-8, one header row; text starting with = + - @ has a leading '.",
                "JSON Lines: one object per row, exact values (dates ISO 8601, amounts as text).",
            ],
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return name, manifest


def record(user, job_id: str, changes: dict, action: AuditAction = AuditAction.CREATE) -> None:
    """An audit entry about one full export (who asked, when; then what it held)."""
    actor = db.session.info.get("actor") or Actor()
    if actor.id != user.id:
        actor = Actor(id=user.id, label=user.email, source=actor.source)
    db.session.execute(
        sa.insert(AuditEntry).values(
            at=utcnow(), actor_id=actor.id, actor_label=actor.label[:254], source=actor.source,
            ip=actor.ip, action=action, entity_type=AUDIT_TYPE, entity_id=job_id[:64],
            label="Full data export", changes=changes,
        )
    )  # fmt: skip


def recent(limit: int = 10) -> list[AuditEntry]:
    """The latest full exports asked for, newest first."""
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == AUDIT_TYPE, AuditEntry.action == AuditAction.CREATE)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
