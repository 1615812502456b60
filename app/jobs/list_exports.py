"""The job that writes a customer, contact, lead or deal list, as filtered on screen, to a CSV
file."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from app.jobs import background_job, finish, report_progress
from app.models.base import utcnow
from app.services import exports, list_exports


@background_job
def export_list(entity_type: str, args: dict, *, actor) -> int:
    """Write the rows of the `entity_type` list that `actor` may read and that match the
    query string `args` ({name: [values]}); the file is offered through the jobs blueprint."""
    if entity_type not in list_exports.ENTITY_TYPES:
        raise ValueError(f"cannot export {entity_type!r}")
    with force_locale(actor.locale):
        total = list_exports.count(actor, entity_type, args)
        name, path = exports.new_file("csv")
        rows = list_exports.rows(
            actor, entity_type, args, progress=lambda done: report_progress(done, total)
        )
        written = exports.write_csv(path, list_exports.header(entity_type), rows)
        finish(
            message=gettext("%(count)d rows exported.", count=written),
            result_file=name,
            download_name=list_exports.file_name(entity_type, f"{utcnow():%Y%m%d-%H%M}"),
        )
    return written
