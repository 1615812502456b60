"""The job that erases a person (app.services.erasure): the audit trail it scrubs may hold
millions of entries, so it runs in a worker, with progress, in one transaction."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale, gettext

from app.jobs import background_job, finish, report_progress
from app.services import erasure

_PAGES = {
    "contact": ("customers.contact_show", "contact_id"),
    "lead": ("sales.lead_show", "lead_id"),
}


@background_job
def erase_person(kind: str, record_id: int, *, actor) -> dict[str, int]:
    """Erase the person behind a contact or lead, whose name or address `actor` typed on
    the confirmation page; returns the rows changed per table."""
    with force_locale(actor.locale):
        message = gettext("Scanning the audit log")
        result = erasure.erase_confirmed(
            actor, kind, record_id,
            progress=lambda done, total: report_progress(done, total, message),
        )  # fmt: skip
        endpoint, key = _PAGES[kind]
        finish(
            result_url=url_for(endpoint, **{key: record_id}),
            message=gettext(
                "The person's data is erased: %(rows)d rows anonymised.", rows=result.total
            ),
        )
    return result.rows
