"""The job that runs a CSV import batch by batch, resuming where a previous run stopped."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.records import DataImport, ImportStatus
from app.services import imports


@background_job
def run_import(import_id: int, *, actor) -> int:
    """Import the rows of `import_id` not yet done; returns how many rows were processed.

    Each batch commits with the import's counters, so running this again (an RQ retry, a
    restarted worker) continues after the last committed row.
    """
    data_import = db.session.get(DataImport, import_id)
    if data_import is None or data_import.status is ImportStatus.DONE:
        return 0
    with force_locale(actor.locale):
        try:
            run = imports.Run(data_import, actor)
            db.session.commit()
            while run.next_batch():
                db.session.commit()
                done = db.session.get(DataImport, import_id)
                report_progress(
                    done.rows_done,
                    done.total_rows,
                    gettext(
                        "%(done)d of %(total)d rows", done=done.rows_done, total=done.total_rows
                    ),
                )
            data_import = imports.finish(db.session.get(DataImport, import_id))
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            imports.fail(import_id, f"{type(error).__name__}: {error}")
            db.session.commit()
            raise
        imports.discard_files(data_import)
        finish(message=gettext("Import finished."))
    return data_import.rows_done
