"""Jobs of the satisfaction surveys: email one CSAT survey after the ticket was resolved, and
email an NPS round's surveys in batches over one SMTP connection each, reporting progress."""

from __future__ import annotations

from flask_babel import gettext, ngettext

from app import permissions
from app.jobs import background_job, finish, report_progress
from app.services import survey_mail, surveys

BATCH_SIZE = 200


@background_job
def send_csat_email(response_id: int, *, actor=None) -> int:
    """Email the CSAT survey `response_id` to its contact (once)."""
    sent = survey_mail.send_batch([response_id])
    finish(message="sent" if sent else "nothing to send")
    return sent


@background_job
def send_nps_emails(survey_name: str, first_id: int, last_id: int, *, actor=None) -> int:
    """Email the surveys one `send_nps` call created for round `survey_name` (ids from
    `first_id` to `last_id`); safe to run twice: a survey is emailed once."""
    if actor is not None:
        permissions.require(actor, "create", surveys.ENTITY)
    ids = surveys.nps_response_ids(survey_name, first_id, last_id)
    sent = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        sent += survey_mail.send_batch(batch)
        report_progress(start + len(batch), len(ids), gettext("%(sent)d sent", sent=sent))
    finish(message=ngettext("%(num)d email sent", "%(num)d emails sent", sent))
    return sent
