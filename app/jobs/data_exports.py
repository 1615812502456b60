"""The job that writes a full export of the database (a zip of CSV and JSON Lines files)
for the administrator who asked; only they may download it (job meta "private")."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from app import permissions
from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.base import utcnow
from app.models.records import AuditAction
from app.services import full_export


@background_job
def export_all_data(*, actor) -> int:
    """Write every table to a zip; returns the number of rows exported."""
    # Rights may have changed since the export was asked for: check them again now.
    permissions.require_admin(actor)
    from rq import get_current_job

    job = get_current_job()
    locale = actor.locale
    db.session.commit()  # the export reads in a transaction of its own (one snapshot)
    with force_locale(locale):

        def progress(done: int, total: int, table: str) -> None:
            report_progress(done, total, gettext("Table %(table)s", table=table))

        name, manifest = full_export.write_zip(actor, progress)
        rows = sum(table["rows"] for table in manifest["tables"])
        if job is not None:
            full_export.record(
                actor, job.id,
                {"tables": [None, len(manifest["tables"])], "rows": [None, rows]},
                AuditAction.UPDATE,
            )  # fmt: skip
        finish(
            message=gettext(
                "%(rows)d rows of %(tables)d tables exported.",
                rows=rows, tables=len(manifest["tables"]),
            ),
            result_file=name,
            download_name=f"rapport-export-{utcnow():%Y%m%d-%H%M}.zip",
            private=True,
        )  # fmt: skip
    return rows
