"""Jobs that write CSV exports for download through the jobs blueprint."""

from __future__ import annotations

import json

from flask_babel import force_locale, gettext

from app import permissions
from app.jobs import background_job, finish, report_progress
from app.models.base import utcnow
from app.services import exports, history

BATCH_SIZE = 500


def _audit_row(entry) -> list:
    return [
        entry.id,
        entry.at.isoformat(),
        entry.actor_id,
        entry.actor_label,
        entry.source,
        entry.ip,
        entry.action.value,
        entry.entity_type,
        entry.entity_id,
        entry.label,
        json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
    ]


@background_job
def export_audit_log(filters: dict, *, actor) -> int:
    """Write the audit entries `actor` may read that match `filters` to a CSV file."""
    # Rights may have changed since the export was asked for: check them again now.
    permissions.require(actor, "read", "audit")
    criteria = history.Filters.from_dict(filters)
    total = history.count(actor, criteria)
    name, path = exports.new_file("csv")

    def rows():
        done = 0
        for batch in history.walk(actor, criteria, BATCH_SIZE):
            yield from (_audit_row(entry) for entry in batch)
            done += len(batch)
            report_progress(done, total)

    with force_locale(actor.locale):
        header = [
            gettext("Entry"),
            gettext("When (UTC)"),
            gettext("User id"),
            gettext("User"),
            gettext("Source"),
            gettext("IP address"),
            gettext("Action"),
            gettext("Record type"),
            gettext("Record id"),
            gettext("Record"),
            gettext("Changes"),
        ]
        written = exports.write_csv(path, header, rows())
        finish(
            message=gettext("%(count)d entries exported.", count=written),
            result_file=name,
            download_name=f"audit-log-{utcnow():%Y%m%d-%H%M}.csv",
        )
    return written
