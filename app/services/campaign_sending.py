"""Bulk sending of a campaign's email through an outbox: one campaign_recipients row per
address, so every recipient gets the message at most once even when a worker dies or a
job runs twice (RQ runs a job at least once).

A row moves QUEUED -> CLAIMED (taken by one batch, atomically) -> SENDING (the envelope
was accepted; committed before the DATA command) -> SENT. A row left CLAIMED past the
lease goes back to QUEUED (nothing was transmitted); a row left SENDING past the lease
becomes UNKNOWN (the server may have it) and is never resent. SMTP 4xx answers are retried
a few times later; 5xx answers are bounces. Suppression (unsubscribe, bounce, consent) is
checked when the audience is written and again just before each message goes out.

`prepare` (the "Send now" button) writes the rows with one INSERT ... SELECT and queues
batch jobs; what a batch job does is app.services.campaign_outbox.run; `pause`, `resume`,
`cancel`, `test_send` and `progress` serve the send panel."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models.base import utcnow
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignType,
    EmailTemplate,
    RecipientStatus,
    Segment,
    SendState,
)
from app.services import campaign_outbox, email_preferences, mail, segments
from app.services.campaign_mail import CampaignMail
from app.services.sms import campaigns as sms_campaigns
from app.services.validation import RecordInvalid

_table = CampaignRecipient.__table__
_campaigns = Campaign.__table__


# ---------------------------------------------------------------- starting a send


def send_problems(campaign: Campaign) -> list[str]:
    """Why the campaign cannot be sent as it is (empty when it can)."""
    if campaign.type is CampaignType.SMS:
        return sms_campaigns.send_problems(campaign)
    found = []
    if campaign.type is not CampaignType.EMAIL and "EMAIL" not in (campaign.channels or []):
        found.append(_("Only a campaign with the email channel can send email."))
    if campaign.segment_id is None:
        found.append(_("Choose the segment to send to."))
    if campaign.template_id is None:
        found.append(_("Choose the email template to send."))
    return found


def preview(campaign: Campaign) -> dict:
    """The audience before sending: members, distinct addresses and how many of those
    may be emailed now (two queries). An SMS campaign counts numbers instead."""
    if campaign.type is CampaignType.SMS:
        return sms_campaigns.preview(campaign)
    segment = db.session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    if segment is None:
        return {"members": 0, "addresses": 0, "sendable": 0}
    audience = segments.audience_query(segment).subquery()
    members, addresses = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.distinct(sa.case((audience.c.email.like("%@%"), audience.c.email)))),
        )
    ).one()
    distinct = (
        sa.select(audience.c.email)
        .where(audience.c.email.like("%@%"))
        .group_by(audience.c.email)
        .subquery()
    )
    reason = email_preferences.skip_reason_sql(distinct.c.email, campaign.topic)
    sendable = db.session.scalar(
        sa.select(sa.func.count()).select_from(distinct).where(reason == "")
    )
    return {"members": members, "addresses": addresses, "sendable": sendable or 0}


def prepare(campaign: Campaign, actor) -> int:
    """Start the send: write one recipient row per distinct address of the segment (the
    ones that may not be emailed as SKIPPED, with the reason), then queue the batch jobs
    once the transaction commits. Returns how many messages are queued."""
    problems = send_problems(campaign)
    if problems:
        raise RecordInvalid({"send": " ".join(problems)})
    # The conditional UPDATE is the guard against two "Send now" clicks: the second waits
    # for the first's row lock (or SQLite's write lock) and then finds no DRAFT campaign.
    taken = db.session.execute(
        sa.update(_campaigns)
        .where(_campaigns.c.id == campaign.id, _campaigns.c.send_state == SendState.DRAFT.value)
        .values(send_state=SendState.PREPARING.value)
    ).rowcount
    if not taken:
        raise RecordInvalid({"send": _("This campaign has been sent already.")})
    segment = db.session.get(Segment, campaign.segment_id)
    if campaign.type is CampaignType.SMS:
        duplicates = sms_campaigns.write_recipients(campaign, segment)
    else:
        duplicates = _write_recipients(campaign, segment)
    queued = campaign_outbox.count_rows(campaign.id, RecipientStatus.QUEUED)
    campaign.duplicates_skipped = duplicates
    campaign.send_started_at = utcnow()
    if queued:
        campaign.send_state = SendState.SENDING
        campaign_outbox.enqueue_after_commit(campaign.id, actor, queued)
    else:
        campaign.send_state = SendState.SENT
        campaign.send_finished_at = campaign.send_started_at
    db.session.flush()
    return queued


def _write_recipients(campaign: Campaign, segment: Segment) -> int:
    """Materialise the audience; returns how many members repeated an address."""
    audience = segments.audience_query(segment).subquery()
    # The side that is not the segment's entity is an untyped NULL: PostgreSQL needs a type.
    contact_id = sa.cast(audience.c.contact_id, sa.Integer)
    lead_id = sa.cast(audience.c.lead_id, sa.Integer)
    has_address = audience.c.email.like("%@%")
    rows, addresses = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(audience.c.email))).where(has_address)
    ).one()
    distinct = (
        sa.select(
            sa.func.min(contact_id).label("contact_id"),
            sa.func.min(lead_id).label("lead_id"),
            audience.c.email,
        )
        .where(has_address)
        .group_by(audience.c.email)
        .subquery()
    )
    judged = sa.select(
        distinct.c.contact_id,
        distinct.c.lead_id,
        distinct.c.email,
        email_preferences.skip_reason_sql(distinct.c.email, campaign.topic).label("reason"),
    ).subquery()
    columns = ["campaign_id", "contact_id", "lead_id", "email", "status", "skip_reason"]
    db.session.execute(
        sa.insert(_table).from_select(
            columns,
            sa.select(
                sa.literal(campaign.id),
                judged.c.contact_id,
                judged.c.lead_id,
                judged.c.email,
                sa.case(
                    (judged.c.reason == "", RecipientStatus.QUEUED.value),
                    else_=RecipientStatus.SKIPPED.value,
                ),
                judged.c.reason,
            ),
        )
    )
    # Members without an address cannot share the '' address (one row per address), so
    # each gets a placeholder key that is not an address: counted, never sent.
    placeholder = sa.case(
        (
            audience.c.contact_id.is_not(None),
            sa.literal("#contact-") + sa.cast(audience.c.contact_id, sa.String),
        ),
        else_=sa.literal("#lead-") + sa.cast(audience.c.lead_id, sa.String),
    )
    db.session.execute(
        sa.insert(_table).from_select(
            columns,
            sa.select(
                sa.literal(campaign.id),
                contact_id,
                lead_id,
                placeholder,
                sa.literal(RecipientStatus.SKIPPED.value),
                sa.literal("no_email"),
            ).where(sa.or_(audience.c.email.is_(None), ~has_address)),
        )
    )
    return rows - addresses


# ---------------------------------------------------------------- pause, resume, cancel


def _lock(campaign: Campaign) -> None:
    """Read the campaign's state as committed (and lock its row on PostgreSQL), so a
    change never overwrites a state a batch job has just written."""
    db.session.refresh(campaign, with_for_update=True)


def pause(campaign: Campaign, actor) -> None:
    """Stop sending; running batches stop within campaign_outbox.CHECK_EVERY messages."""
    _lock(campaign)
    if campaign.send_state is not SendState.SENDING:
        raise RecordInvalid({"send": _("Only a campaign being sent can be paused.")})
    campaign.send_state = SendState.PAUSED
    db.session.flush()


def resume(campaign: Campaign, actor) -> int:
    """Continue a paused send; returns how many messages are still queued."""
    _lock(campaign)
    if campaign.send_state is not SendState.PAUSED:
        raise RecordInvalid({"send": _("Only a paused campaign can be resumed.")})
    campaign.send_state = SendState.SENDING
    campaign_outbox.recover(campaign.id)
    queued = campaign_outbox.count_rows(campaign.id, RecipientStatus.QUEUED)
    campaign_outbox.enqueue_after_commit(campaign.id, actor, max(queued, 1))
    db.session.flush()
    return queued


def cancel(campaign: Campaign, actor) -> int:
    """Stop the send for good: every message not sent yet is cancelled (returns how many)."""
    _lock(campaign)
    if campaign.send_state not in (SendState.SENDING, SendState.PAUSED):
        raise RecordInvalid({"send": _("Only a campaign being sent can be cancelled.")})
    campaign.send_state = SendState.CANCELLED
    campaign.send_finished_at = utcnow()
    cancelled = db.session.execute(
        sa.update(_table)
        .where(
            _table.c.campaign_id == campaign.id,
            _table.c.status.in_([RecipientStatus.QUEUED.value, RecipientStatus.CLAIMED.value]),
        )
        .values(status=RecipientStatus.CANCELLED.value)
    ).rowcount
    db.session.flush()
    return cancelled


def test_send(campaign: Campaign, actor, to: str | None = None) -> str:
    """Send the campaign's message to `actor` (their own address unless `to`) right away,
    as it would look for them; not counted, no recipient row. Returns the address. An
    SMS campaign's test goes to the number `to`."""
    if campaign.type is CampaignType.SMS:
        return sms_campaigns.test_send(campaign, actor, to)
    template = db.session.get(EmailTemplate, campaign.template_id) if campaign.template_id else None
    if template is None:
        raise RecordInvalid({"send": _("Choose the email template to send.")})
    message = CampaignMail(campaign, template).test_message(actor, to=to)
    with mail.smtp_connection() as server:
        server.sendmail(message.sender, [message.to], message.data)
    return message.to


def progress(campaign: Campaign) -> dict:
    """Counts by status and skip reason (one GROUP BY on the queue index), with the share
    of rows done for the progress bar."""
    counts = {status.value: 0 for status in RecipientStatus}
    skipped: dict[str, int] = {}
    for status, reason, number in db.session.execute(
        sa.select(_table.c.status, _table.c.skip_reason, sa.func.count())
        .where(_table.c.campaign_id == campaign.id)
        .group_by(_table.c.status, _table.c.skip_reason)
    ):
        status = RecipientStatus(status).value
        counts[status] += number
        if status == RecipientStatus.SKIPPED.value:
            skipped[reason or "other"] = skipped.get(reason or "other", 0) + number
    total = sum(counts.values())
    waiting = sum(counts[status.value] for status in campaign_outbox.ACTIVE)
    return {
        "counts": counts,
        "skipped": dict(sorted(skipped.items())),
        "duplicates": campaign.duplicates_skipped,
        "total": total,
        "done": total - waiting,
        "percent": 100 if total == 0 else int((total - waiting) * 100 / total),
    }
