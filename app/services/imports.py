"""CSV imports of customers, contacts and leads: upload, column mapping, preview, batches, report.

The uploaded file is kept under a random name in the instance folder (never served). A
job runs the rows in batches; each batch is committed together with the import's counters
and `rows_done`, so a retried job resumes after the last committed row and imports no row
twice. Rejected and skipped rows go to a report CSV only the importer can download.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import os
import re
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.records import DataImport, ImportStatus
from app.services import exports, import_mapping, import_preset_rules
from app.services.import_mapping import ImportFileError
from app.services.import_rows import (
    BULK_TYPES,
    DUPLICATE_MODES,
    DuplicateIndex,
    Lookups,
    Outcome,
    PendingCreates,
    UnsafeRow,
    apply_row,
)

ENTITY_TYPES = ("customer", "contact", "lead")
MAX_FILE_BYTES = 20 * 1024 * 1024
BATCH_SIZE = 500
PREVIEW_ROWS = 20
_COUNTERS = ("created", "updated", "skipped")
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.csv$")


def _folder() -> str:
    folder = os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def _stored_path(data_import: DataImport) -> str:
    if not _STORED_NAME.match(data_import.stored_file or ""):
        raise ImportFileError(gettext("The uploaded file is gone; upload it again."))
    return os.path.join(_folder(), data_import.stored_file)


def start_import(actor, entity_type: str, filename: str, data: bytes) -> DataImport:
    """Keep an uploaded CSV and create its import, with a mapping guessed from the headers."""
    if entity_type not in ENTITY_TYPES:
        raise ImportFileError(gettext("Choose customers, contacts or leads."))
    permissions.require(actor, "create", entity_type)
    if not filename.lower().endswith(".csv"):
        raise ImportFileError(gettext("Upload a .csv file."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(gettext("The file is larger than 20 MB; split it into parts."))
    parsed = import_mapping.parse(data)
    mapping, preset = import_preset_rules.initial_mapping(entity_type, parsed.headers)
    stored = f"{secrets.token_hex(16)}.csv"
    with open(os.path.join(_folder(), stored), "wb") as fh:
        fh.write(data)
    data_import = DataImport(
        entity_type=entity_type,
        filename=os.path.basename(filename)[:255],
        stored_file=stored,
        mapping=mapping,
        options={
            "encoding": parsed.encoding,
            "delimiter": parsed.delimiter,
            "headers": parsed.headers,
            "duplicates": "skip",
            "preset": preset,
        },
        total_rows=len(parsed.rows),
        created_by_id=actor.id,
    )
    db.session.add(data_import)
    db.session.flush()
    return data_import


def get_import(actor, import_id: int) -> DataImport:
    """The import, for the user who uploaded it only; LookupError for anyone else."""
    data_import = db.session.get(DataImport, import_id)
    if data_import is None or actor is None or data_import.created_by_id != actor.id:
        raise LookupError(import_id)
    return data_import


def recent_imports(actor, limit: int = 20) -> list[DataImport]:
    """The actor's own latest imports, newest first."""
    query = (
        sa.select(DataImport)
        .where(DataImport.created_by_id == actor.id)
        .order_by(DataImport.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def read_file(data_import: DataImport) -> import_mapping.CsvFile:
    with open(_stored_path(data_import), "rb") as fh:
        data = fh.read()
    options = data_import.options
    return import_mapping.parse(data, options.get("encoding"), options.get("delimiter"))


def set_mapping(data_import: DataImport, actor, wanted: dict, duplicates: str) -> DataImport:
    """Store the chosen column -> field mapping and what to do with duplicates."""
    _require_editable(data_import, actor)
    data_import.mapping = import_mapping.clean_mapping(
        data_import.entity_type, data_import.options["headers"], wanted
    )
    mode = duplicates if duplicates in DUPLICATE_MODES else "skip"
    data_import.options = {**data_import.options, "duplicates": mode}
    db.session.flush()
    return data_import


def _require_editable(data_import: DataImport, actor) -> None:
    if data_import.created_by_id != getattr(actor, "id", None):
        raise permissions.PermissionDenied()
    if data_import.status is not ImportStatus.MAPPING:
        raise ImportFileError(gettext("This import has started; its mapping is fixed."))


def labels(data_import: DataImport) -> dict[str, str]:
    """Service error keys -> the header of the column they came from."""
    headers = data_import.options["headers"]
    result = {}
    for index, target in data_import.mapping.items():
        if not target:
            continue
        header = headers[int(index)] or target
        result[target] = header
        if target.startswith(import_mapping.CUSTOM_PREFIX):
            result["custom." + target.removeprefix(import_mapping.CUSTOM_PREFIX)] = header
        elif target.startswith("address_"):
            result["addresses.0." + target.removeprefix("address_")] = header
    for target, key in (("owner_email", "owner_id"), ("customer", "customer_id")):
        if target in result:
            result[key] = result[target]
    return result


@dataclasses.dataclass
class PreviewRow:
    number: int
    values: list[str]
    outcome: Outcome


def preview(data_import: DataImport, actor, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first rows as the import would treat them, checked by the same services inside
    a savepoint that is rolled back: nothing is written."""
    rows = read_file(data_import).rows[:limit]
    mode = data_import.options.get("duplicates", "skip")
    index = DuplicateIndex.from_database(data_import.entity_type)
    lookups, names = Lookups(actor), labels(data_import)
    result = []
    trial = db.session.begin_nested()
    try:
        for number, row in enumerate(rows, start=1):
            values = import_preset_rules.translate(
                data_import.options.get("preset"), import_mapping.apply(data_import.mapping, row)
            )
            outcome = apply_row(
                data_import.entity_type, actor, values, mode, index, lookups, number, names
            )
            result.append(PreviewRow(number, row, outcome))
    finally:
        trial.rollback()
    return result


def submit(data_import: DataImport, actor) -> DataImport:
    """Fix the mapping and mark the import queued (the caller enqueues the job)."""
    _require_editable(data_import, actor)
    if not any(data_import.mapping.values()):
        raise ImportFileError(gettext("Map at least one column to a field."))
    data_import.status = ImportStatus.QUEUED
    db.session.flush()
    return data_import


class Run:
    """What one run of the job needs across batches: the rows, the duplicate index."""

    def __init__(self, data_import: DataImport, actor):
        if data_import.created_by_id != actor.id:
            raise permissions.PermissionDenied()
        permissions.require(actor, "create", data_import.entity_type)
        self.import_id = data_import.id
        self.entity_type = data_import.entity_type
        self.actor = actor
        self.rows = read_file(data_import).rows
        self.mapping = dict(data_import.mapping)
        self.preset = data_import.options.get("preset")
        self.mode = data_import.options.get("duplicates", "skip")
        self.labels = labels(data_import)
        self.index = DuplicateIndex.from_database(self.entity_type)
        self.lookups = Lookups(actor)

    def claim(self) -> DataImport:
        """Lock the import row (and on SQLite open the write transaction, so no savepoint
        is the first statement and commits on its own release) and reread its counters."""
        db.session.execute(
            sa.update(DataImport)
            .where(DataImport.id == self.import_id, DataImport.status != ImportStatus.DONE)
            .values(status=ImportStatus.RUNNING, updated_at=utcnow())
        )
        return db.session.get(DataImport, self.import_id, populate_existing=True)

    def _outcomes(self, batch: list, start: int) -> list[Outcome]:
        """Each row's outcome. The batch first runs in one savepoint, its new records
        inserted together (a savepoint and a flush per row make an import ten times
        slower); if a row fails in a way the services do not promise to leave clean, the
        batch is rolled back and redone one row at a time, each in a savepoint. Leads, which
        the assignment rules place one by one, always go one row at a time."""
        if self.entity_type not in BULK_TYPES:
            return [self._apply(row, start + n + 1) for n, row in enumerate(batch)]
        index = self.index.copy()
        savepoint = db.session.begin_nested()
        try:
            pending = PendingCreates(self.entity_type, self.actor, self.lookups)
            outcomes = [self._apply(row, start + n + 1, pending) for n, row in enumerate(batch)]
            pending.write()
            savepoint.commit()
            return outcomes
        except UnsafeRow:
            savepoint.rollback()
            self.index = index
        return [self._apply(row, start + n + 1) for n, row in enumerate(batch)]

    def _apply(self, row: list, number: int, pending: PendingCreates | None = None) -> Outcome:
        values = import_preset_rules.translate(self.preset, import_mapping.apply(self.mapping, row))
        return apply_row(
            self.entity_type, self.actor, values, self.mode, self.index, self.lookups,
            number, self.labels, pending,
        )  # fmt: skip

    def next_batch(self) -> bool:
        """Import the next BATCH_SIZE rows (flushed, not committed); False when none left."""
        data_import = self.claim()
        start = data_import.rows_done
        batch = self.rows[start : start + BATCH_SIZE]
        if not batch or data_import.status is ImportStatus.DONE:
            return False
        report = []
        for offset, (row, outcome) in enumerate(
            zip(batch, self._outcomes(batch, start), strict=True)
        ):
            name = outcome.result if outcome.result in _COUNTERS else "rejected"
            setattr(data_import, name, getattr(data_import, name) + 1)
            if outcome.result in ("skipped", "rejected"):
                report.append(
                    [start + offset + 1, outcome.result, " ".join(outcome.messages), *row]
                )
        data_import.rows_done = start + len(batch)
        _write_part(data_import, start, report)
        db.session.flush()
        return True


def _part_path(data_import: DataImport, start: int) -> str:
    stem = data_import.stored_file.removesuffix(".csv")
    return os.path.join(_folder(), f"{stem}.{start:09d}.part")


def _write_part(data_import: DataImport, start: int, report: list) -> None:
    """A batch's report lines, written before its commit under a name fixed by the batch
    start, so a retried batch overwrites them instead of adding them twice."""
    with open(_part_path(data_import, start), "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(report)


def finish(data_import: DataImport) -> DataImport:
    """Join the batches' report lines into the report CSV and mark the import done
    (once: a second run that raced this one leaves the first report alone)."""
    if data_import.status is ImportStatus.DONE:
        return data_import
    stem = data_import.stored_file.removesuffix(".csv")
    parts = sorted(glob.glob(os.path.join(_folder(), f"{stem}.*.part")))

    def lines():
        for part in parts:
            with open(part, newline="", encoding="utf-8") as fh:
                yield from csv.reader(fh)

    if data_import.skipped or data_import.rejected:
        name, path = exports.new_file("csv")
        header = [gettext("Row"), gettext("Result"), gettext("Messages")]
        exports.write_csv(path, header + data_import.options["headers"], lines())
        data_import.report_file = name
    data_import.status = ImportStatus.DONE
    data_import.finished_at = utcnow()
    db.session.flush()
    return data_import


def discard_files(data_import: DataImport) -> None:
    """Once the finished import is committed, delete the upload (personal data nobody
    needs any more: the report keeps the rows that did not go in) and the report parts."""
    stem = data_import.stored_file.removesuffix(".csv")
    for path in glob.glob(os.path.join(_folder(), f"{stem}.*part")) + [_stored_path(data_import)]:
        if os.path.exists(path):
            os.remove(path)


def fail(import_id: int, error: str) -> None:
    """Record why the import stopped; rows committed so far stay, as `rows_done` says."""
    data_import = db.session.get(DataImport, import_id)
    if data_import is not None:
        data_import.status = ImportStatus.FAILED
        data_import.error = error[:2000]
        db.session.flush()


def report_path(data_import: DataImport) -> str | None:
    return exports.result_path(data_import.report_file)
