"""Files an erasure removes: attachments the person uploaded to tickets and the rendered PDFs
of quotes addressed to them (the PDF prints their name; it is rendered again on demand).
The paths are gathered while the rows change and deleted only once the erasure commits."""

from __future__ import annotations

import logging
import os

from app.extensions import db

_KEY = "erasure_files"
log = logging.getLogger(__name__)


def _path(table: str, row: dict) -> str | None:
    if table == "ticket_attachments" and row.get("stored_name"):
        from app.services import ticket_attachments, uploads

        return uploads.stored_path(ticket_attachments.ATTACHMENTS_FOLDER, row["stored_name"])
    if table == "quotes" and row.get("pdf_file"):
        from app.services import quote_pdf

        return os.path.join(quote_pdf._folder(), os.path.basename(row["pdf_file"]))
    return None


def forget(table: str, row: dict) -> None:
    """Remember the file of an erased row, for deletion after the commit."""
    path = _path(table, row)
    if path:
        db.session.info.setdefault(_KEY, []).append(path)


def pending() -> list[str]:
    """The files gathered so far (and forget them)."""
    return db.session.info.pop(_KEY, [])


def remove(paths: list[str]) -> int:
    """Delete the files; returns how many were there."""
    removed = 0
    for path in paths:
        try:
            os.remove(path)
            removed += 1
        except FileNotFoundError:
            continue
        except OSError:
            log.exception("could not delete the erased file %s", path)
    return removed
