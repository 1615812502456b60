"""Jobs of campaign sends: a batch job claims and sends recipients from the campaign's
outbox until none is left (safe to run any number of times, in parallel or again after a
worker died), and queues its own follow-up when work remains for later."""

from __future__ import annotations

import uuid

from flask import current_app
from flask_babel import gettext
from rq import get_current_job

from app.jobs import background_job, finish
from app.services import campaign_outbox


@background_job
def send_campaign_batch(campaign_id: int, *, actor=None) -> dict:
    """Send the campaign's queued messages (see app.services.campaign_outbox.run)."""
    job = get_current_job()
    worker = job.id if job is not None else f"inline-{uuid.uuid4().hex[:8]}"
    # Half the job timeout: a follow-up job takes over well before RQ would kill this one.
    budget = current_app.config["JOB_TIMEOUT"] / 2
    outcome = campaign_outbox.run(campaign_id, worker=worker, time_budget=budget)
    if outcome.again_in is not None:
        actor_id = getattr(actor, "id", None)
        campaign_outbox.enqueue(campaign_id, actor_id, 1, delay=outcome.again_in)
    finish(
        message=gettext(
            "%(sent)d sent, %(skipped)d skipped, %(failed)d failed",
            sent=outcome.sent,
            skipped=outcome.skipped,
            failed=outcome.failed,
        )
    )
    return {
        "sent": outcome.sent,
        "skipped": outcome.skipped,
        "failed": outcome.failed,
        "deferred": outcome.deferred,
        "unknown": outcome.unknown,
        "finished": outcome.finished,
    }


@background_job
def resume_stalled_sends(*, actor=None) -> int:
    """Queue a batch job for every campaign still sending, so a send whose last job was lost
    (a worker killed and its job given up, Redis restarted) still finishes. Extra jobs are
    harmless: each claims rows atomically and stops when none are left."""
    campaign_ids = campaign_outbox.sending_campaigns()
    for campaign_id in campaign_ids:
        campaign_outbox.enqueue(campaign_id, None, 1)
    return len(campaign_ids)
