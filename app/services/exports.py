"""Files produced by background jobs (CSV exports, PDFs): stored under random names in the
instance folder, outside the web root, and served only through the jobs blueprint."""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import time

from flask import current_app

_NAME = re.compile(r"^[0-9a-f]{32}\.(csv|pdf|zip)$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def _folder() -> str:
    folder = os.path.join(current_app.instance_path, "exports")
    os.makedirs(folder, exist_ok=True)
    return folder


def new_file(extension: str) -> tuple[str, str]:
    """A fresh (name, path) pair for a job's output."""
    name = f"{secrets.token_hex(16)}.{extension}"
    return name, os.path.join(_folder(), name)


def result_path(name: str | None) -> str | None:
    if not name or not _NAME.match(name):
        return None
    path = os.path.join(_folder(), name)
    return path if os.path.exists(path) else None


def csv_cell(value) -> str:
    """A cell spreadsheets will not run as a formula (CSV injection), whatever came in."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write(fh, header: list[str], rows) -> int:
    count = 0
    writer = csv.writer(fh)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        count += 1
    return count


def write_csv(path: str, header: list[str], rows) -> int:
    """Write `rows` (iterables of values) as escaped CSV; returns the number of rows."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        return _write(fh, header, rows)


def csv_text(header: list[str], rows) -> str:
    """`rows` as escaped CSV text, with the byte order mark spreadsheets read UTF-8 by."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    _write(buffer, header, rows)
    return buffer.getvalue()


def purge_older_than(days: int) -> int:
    """Delete job outputs older than `days`; returns how many went."""
    cutoff = time.time() - days * 86400
    removed = 0
    for entry in os.scandir(_folder()):
        if _NAME.match(entry.name) and entry.stat().st_mtime < cutoff:
            os.remove(entry.path)
            removed += 1
    return removed
