"""The outbox side of a campaign send: what a batch job does. It recovers rows a dead
worker left behind, claims a batch of QUEUED rows atomically, and sends them over one SMTP
connection, throttled by a per-minute counter shared by every worker, re-checking pause,
cancel and suppression as it goes (see app.services.campaign_sending for the row states)."""

from __future__ import annotations

import dataclasses
import math
import smtplib
import time
import uuid
from contextlib import ExitStack
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app import queues
from app.extensions import db
from app.models.base import utcnow
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignType,
    EmailPreference,
    EmailTemplate,
    RecipientStatus,
    SendState,
)
from app.services import email_preferences, mail
from app.services.after_commit import call_after_commit
from app.services.campaign_mail import CampaignMail, Outgoing, RecipientRef

ACTIVE = (RecipientStatus.QUEUED, RecipientStatus.CLAIMED, RecipientStatus.SENDING)
FINAL_STATES = (SendState.SENT, SendState.CANCELLED)
CHECK_EVERY = 20  # messages between two looks at pause/cancel and at suppression
MAX_TEMPORARY_FAILURES = 3  # 4xx answers for one address before it is given up
RETRY_DELAY = 60  # seconds before an address that got a 4xx answer is tried again
RATE_WINDOW = 60  # seconds: the throttle counts messages per minute
MAX_NAP = 5.0  # seconds: a throttled batch looks at pause/cancel at least this often
_RATE_KEY = "rapport:campaign-rate:"
_RETRY_KEY = "rapport:campaign-retry:"

# Swapped in tests (a fake clock) so the throttle can be checked without waiting.
clock = time.time
sleep = time.sleep

_table = CampaignRecipient.__table__
_campaigns = Campaign.__table__


def enqueue_after_commit(campaign_id: int, actor, queued: int) -> None:
    batch = current_app.config["RAPPORT_CAMPAIGN_BATCH"]
    jobs = max(1, math.ceil(queued / batch))
    actor_id = getattr(actor, "id", None)
    call_after_commit(lambda: enqueue(campaign_id, actor_id, jobs))


def enqueue(campaign_id: int, actor_id: int | None, jobs: int = 1, delay: float = 0) -> None:
    """Queue `jobs` batch jobs for the campaign on the mail queue (after `delay` seconds);
    while Redis is unreachable they wait in the job outbox."""
    from rq import Retry

    from app.jobs.campaigns import send_campaign_batch

    options = {
        "actor": actor_id,
        "title": "campaign send",
        "queue_name": "mail",
        # A job whose worker died is retried by RQ once it is found abandoned; the
        # outbox makes the retry harmless.
        "retry": Retry(max=3, interval=RETRY_DELAY),
        "result_ttl": 24 * 3600,
    }
    if delay:
        # Jobs that end at about the same time all ask for a later look: one is enough, so
        # they share an id per due period (a later request replaces the scheduled job).
        due = int((clock() + delay) // max(delay, 1))
        options["job_id"] = f"campaign-{campaign_id}-later-{due}"
        queues.enqueue_durably(send_campaign_batch, campaign_id, delay=delay, **options)
        return
    for _number in range(jobs):
        queues.enqueue_durably(send_campaign_batch, campaign_id, **options)


@dataclasses.dataclass
class BatchOutcome:
    """What one run of a batch job did, and whether more work is left for later."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    unknown: int = 0
    finished: bool = False
    again_in: float | None = None  # seconds until another job should look (None: no need)


def _state(campaign_id: int) -> SendState | None:
    value = db.session.scalar(
        sa.select(_campaigns.c.send_state).where(_campaigns.c.id == campaign_id)
    )
    return SendState(value) if value else None


def count_rows(campaign_id: int, *statuses: RecipientStatus) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(_table)
        .where(
            _table.c.campaign_id == campaign_id, _table.c.status.in_([s.value for s in statuses])
        )
    )


def _lease() -> float:
    return float(current_app.config["RAPPORT_CAMPAIGN_LEASE_SECONDS"])


def recover(campaign_id: int) -> int:
    """Take back what a dead worker held: CLAIMED rows to QUEUED (nothing was sent), SENDING
    rows to UNKNOWN (the server may have the message: never sent again)."""
    cutoff = utcnow() - timedelta(seconds=_lease())
    stale = (_table.c.campaign_id == campaign_id, _table.c.claimed_at < cutoff)
    db.session.execute(
        sa.update(_table)
        .where(*stale, _table.c.status == RecipientStatus.CLAIMED.value)
        .values(status=RecipientStatus.QUEUED.value, claimed_by="", claimed_at=None)
    )
    return db.session.execute(
        sa.update(_table)
        .where(*stale, _table.c.status == RecipientStatus.SENDING.value)
        .values(
            status=RecipientStatus.UNKNOWN.value,
            error="The worker stopped during the SMTP transaction: it may have been delivered.",
        )
    ).rowcount


def _claim(campaign_id: int, claim: str, size: int) -> list:
    """Take up to `size` queued rows for this batch in one atomic UPDATE."""
    now = utcnow()
    eligible = (
        sa.select(_table.c.id)
        .where(
            _table.c.campaign_id == campaign_id,
            _table.c.status == RecipientStatus.QUEUED.value,
            sa.or_(
                _table.c.claimed_at.is_(None),
                _table.c.claimed_at < now - timedelta(seconds=RETRY_DELAY),
            ),
        )
        .order_by(_table.c.id)
        .limit(size)
    )
    if db.engine.dialect.name == "postgresql":
        eligible = eligible.with_for_update(skip_locked=True)
    db.session.execute(
        sa.update(_table)
        .where(_table.c.id.in_(eligible), _table.c.status == RecipientStatus.QUEUED.value)
        .values(status=RecipientStatus.CLAIMED.value, claimed_by=claim, claimed_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return db.session.execute(
        sa.select(_table.c.id, _table.c.email, _table.c.contact_id, _table.c.lead_id)
        .where(_table.c.claimed_by == claim, _table.c.status == RecipientStatus.CLAIMED.value)
        .order_by(_table.c.id)
    ).all()


def _finish_if_done(campaign_id: int) -> bool:
    """SENDING -> SENT once nothing is waiting; the conditional UPDATE makes it happen once."""
    now = utcnow()
    waiting = (
        sa.select(_table.c.id)
        .where(
            _table.c.campaign_id == campaign_id,
            _table.c.status.in_([status.value for status in ACTIVE]),
        )
        .exists()
    )
    done = db.session.execute(
        sa.update(_campaigns)
        .where(
            _campaigns.c.id == campaign_id,
            _campaigns.c.send_state == SendState.SENDING.value,
            ~waiting,
        )
        .values(send_state=SendState.SENT.value, send_finished_at=now, updated_at=now)
    ).rowcount
    db.session.commit()
    return bool(done)


def batch_size(rate: int) -> int:
    """Recipients per claim: the setting, but never more than half a lease's worth at the
    throttled rate, so a live batch is never mistaken for a dead one."""
    size = current_app.config["RAPPORT_CAMPAIGN_BATCH"]
    if rate:
        size = min(size, max(1, int(rate * _lease() / RATE_WINDOW / 2)))
    return size


def run(campaign_id: int, *, worker: str, time_budget: float) -> BatchOutcome:
    """One batch job: recover a dead worker's rows, then claim and send batches over one
    SMTP connection each until none is left, the campaign is paused or cancelled, or the
    time budget is spent. Commits as it goes (the outbox needs each step durable)."""
    outcome = BatchOutcome()
    deadline = clock() + time_budget
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return outcome
    is_sms = campaign.type is CampaignType.SMS  # texted: app.services.sms.campaign_delivery
    template = db.session.get(EmailTemplate, campaign.template_id) if campaign.template_id else None
    rate = (
        campaign.send_rate
        if campaign.send_rate is not None
        else (current_app.config["RAPPORT_SMS_RATE" if is_sms else "RAPPORT_CAMPAIGN_RATE"])
    )
    size = batch_size(rate)
    while True:
        if _state(campaign_id) is not SendState.SENDING:
            db.session.commit()
            return outcome
        outcome.unknown += recover(campaign_id)
        db.session.commit()
        if template is None and not is_sms:  # deleted during the send: nothing left to send
            _fail_waiting(campaign_id, _("The email template was deleted during the send."))
            break
        claim = f"{worker[:40]}:{uuid.uuid4().hex[:12]}"
        rows = _claim(campaign_id, claim, size)
        if not rows:
            break
        with ExitStack() as stack:
            if is_sms:
                from app.services.sms.campaign_delivery import SmsDelivery

                delivery = SmsDelivery(campaign, claim, rate, stack, outcome)
            else:
                delivery = _Delivery(campaign, template, claim, rate, stack, outcome)
            stopped = delivery.send_all(rows)
        if stopped or clock() > deadline:
            break
    waiting = count_rows(campaign_id, *ACTIVE)
    if waiting == 0:
        outcome.finished = _finish_if_done(campaign_id)
    elif _state(campaign_id) is SendState.SENDING:
        # Rows still held by another (or a dead) worker, or deferred after a 4xx: look again
        # later. A live worker finishes its own rows; a dead one's are taken back then.
        queued_now = count_rows(campaign_id, RecipientStatus.QUEUED)
        outcome.again_in = 0 if clock() > deadline and queued_now else max(RETRY_DELAY, _lease())
    db.session.commit()
    return outcome


def _fail_waiting(campaign_id: int, error: str) -> None:
    db.session.execute(
        sa.update(_table)
        .where(
            _table.c.campaign_id == campaign_id,
            _table.c.status.in_([RecipientStatus.QUEUED.value, RecipientStatus.CLAIMED.value]),
        )
        .values(status=RecipientStatus.FAILED.value, error=error[:500])
    )
    db.session.commit()


def release(claim: str) -> None:
    """Give back the rows of a batch that stopped early (pause, lost connection)."""
    db.session.execute(
        sa.update(_table)
        .where(_table.c.claimed_by == claim, _table.c.status == RecipientStatus.CLAIMED.value)
        .values(status=RecipientStatus.QUEUED.value, claimed_by="", claimed_at=None)
    )
    db.session.commit()


def acquire_slot(rate: int, should_stop, key: str = _RATE_KEY) -> bool:
    """Wait for a free slot in this minute's global message budget (shared by all workers
    through one Redis counter per window, one budget per `key`: email, SMS). False when
    `should_stop()` said so meanwhile."""
    if not rate:
        return True
    redis = queues.connection()
    while True:
        now = clock()
        window = int(now // RATE_WINDOW)
        counter = f"{key}{window}"
        pipe = redis.pipeline()
        pipe.incr(counter)
        pipe.expire(counter, RATE_WINDOW * 2)
        used = pipe.execute()[0]
        if used <= rate:
            return True
        sleep(min(MAX_NAP, (window + 1) * RATE_WINDOW - now + 0.01))
        if should_stop():
            return False


def temporary_failure(recipient_id: int) -> bool:
    """Count a 4xx answer for the row; True while it may still be retried."""
    redis = queues.connection()
    key = f"{_RETRY_KEY}{recipient_id}"
    count = redis.incr(key)
    redis.expire(key, 7 * 86400)
    return count < MAX_TEMPORARY_FAILURES


def suppressed(emails: list[str], topic) -> dict[str, str]:
    """The addresses of `emails` that may no longer be emailed now, with the reason."""
    prefs = {
        pref.email: pref
        for pref in db.session.scalars(
            sa.select(EmailPreference).where(EmailPreference.email.in_(emails))
        )
    }
    found = {}
    for email in emails:
        reason = email_preferences.skip_reason(prefs.get(email), topic)
        if reason:
            found[email] = reason
    return found


def smtp_error_text(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return f"{error.smtp_code} {detail}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


class ClaimedBatch:
    """What every channel's delivery of one claimed batch shares: its row results, written
    through one connection of its own held for the batch (the session would hand its
    connection back to the pool at every commit and check (ping) it out again for the next
    statement, two round trips more per message), and the checks for a paused campaign."""

    def __init__(self, campaign, claim: str, rate: int, stack, outcome):
        self.campaign_id = campaign.id
        self.claim = claim
        self.rate = rate
        self.outcome = outcome
        self.pending: list[tuple[int, dict]] = []
        self.outbox = stack.enter_context(db.engine.connect())

    def _stopping(self) -> bool:
        return _state(self.campaign_id) is not SendState.SENDING

    def _stop(self) -> bool:
        self._commit()
        db.session.commit()
        release(self.claim)
        return True

    def _result(self, recipient_id: int, status: RecipientStatus, **values) -> None:
        self.pending.append((recipient_id, {"status": status.value, **values}))

    def _flush(self) -> None:
        for recipient_id, values in self.pending:
            self.outbox.execute(
                sa.update(_table)
                .where(_table.c.id == recipient_id, _table.c.claimed_by == self.claim)
                .values(**values)
            )
        self.pending.clear()

    def _commit(self) -> None:
        self._flush()
        self.outbox.commit()

    def _mark_sending(self, recipient_id: int) -> bool:
        self._flush()
        marked = self.outbox.execute(
            _MARK_SENDING, {"rid": recipient_id, "claim": self.claim, "at": utcnow()}
        ).rowcount
        self.outbox.commit()
        return marked == 1


class _Delivery(ClaimedBatch):
    """Sends one claimed batch over one SMTP connection (opened at the first message).

    A row is marked SENDING (committed) once the server accepted its envelope, just before
    the DATA command, and SENT (committed) as soon as the server accepted the message. A
    kill at any moment leaves a CLAIMED row (nothing was transmitted: sent after the
    lease), a SENDING one (the server may have it: UNKNOWN, never resent) or a SENT one.
    Skips and failures wait for the next commit."""

    def __init__(self, campaign, template, claim: str, rate: int, stack, outcome):
        super().__init__(campaign, claim, rate, stack, outcome)
        self.topic = campaign.topic
        self.builder = CampaignMail(campaign, template)
        self.stack = stack
        self.server = None
        self.postgresql = db.engine.dialect.name == "postgresql"

    def send_all(self, rows) -> bool:
        """Send every row; True when the batch stopped early (its rest released)."""
        refs = [RecipientRef(r.id, r.email, r.contact_id, r.lead_id) for r in rows]
        people = self.builder.people(refs)
        for start in range(0, len(refs), CHECK_EVERY):
            chunk = refs[start : start + CHECK_EVERY]
            if start and self._stopping():
                return self._stop()
            blocked = suppressed([ref.email for ref in chunk], self.topic)
            db.session.commit()  # end the session's read; the batch writes on self.outbox
            for ref in chunk:
                if ref.email in blocked:
                    self._result(ref.id, RecipientStatus.SKIPPED, skip_reason=blocked[ref.email])
                    self.outcome.skipped += 1
                    continue
                try:
                    message = self.builder.build(ref, people[ref.id])
                except Exception as error:  # a broken template fails its rows, not the worker
                    self._result(ref.id, RecipientStatus.FAILED, error=smtp_error_text(error))
                    self.outcome.failed += 1
                    continue
                if not acquire_slot(self.rate, self._stopping):
                    return self._stop()
                if not self._deliver(ref, message):
                    return self._stop()
        self._commit()
        return False

    def _connect(self):
        if self.server is None:
            self.server = self.stack.enter_context(mail.smtp_connection())
            self.server.ehlo_or_helo_if_needed()
        return self.server

    def _deliver(self, ref: RecipientRef, message: Outgoing) -> bool:
        """One SMTP transaction; False when the connection is unusable (stop the batch)."""
        try:
            server = self._connect()
        except (smtplib.SMTPException, OSError):
            # The mail server is unreachable: nobody's fault, retried later (the row is
            # released with the rest of the batch).
            self.server = None
            return False
        try:
            code, reply = server.mail(message.sender)
            if code != 250:
                # The server refuses our sender: nothing about this recipient; try later.
                self._defer(ref, smtplib.SMTPSenderRefused(code, reply, ""))
                return False
            code, reply = server.rcpt(ref.email)
            if code not in (250, 251):
                server.rset()
                return self._refused(ref, code, reply)
        except (smtplib.SMTPException, OSError) as error:
            # Lost before any message data went out: nothing was delivered.
            self.server = None
            self._defer(ref, error)
            return False
        if not self._mark_sending(ref.id):
            server.rset()  # taken back meanwhile (this batch outlived its lease)
            return True
        try:
            code, reply = server.data(message.data)
        except smtplib.SMTPResponseException as error:  # DATA itself refused: not sent
            server.rset()
            return self._refused(ref, error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            self.server = None
            self._result(ref.id, RecipientStatus.UNKNOWN, error=smtp_error_text(error))
            self.outcome.unknown += 1
            return False
        if code != 250:
            return self._refused(ref, code, reply)
        # Committed at once: a kill from here on must not leave a delivered row SENDING. Not
        # waiting for the disk is safe here: a commit lost in a database crash leaves the
        # row SENDING, i.e. UNKNOWN, never sent again.
        if self.postgresql:
            self.outbox.execute(_NO_FLUSH_WAIT)
        self.outbox.execute(
            _MARK_SENT,
            {"rid": ref.id, "claim": self.claim, "at": utcnow(), "mid": message.message_id},
        )
        self.outbox.commit()
        self.outcome.sent += 1
        return True

    def _refused(self, ref: RecipientRef, code: int, reply) -> bool:
        """A 5xx answer about the recipient is a hard bounce; anything else is retried."""
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        text = f"{code} {reply}"[:500]
        if 500 <= code < 600:
            self._result(ref.id, RecipientStatus.FAILED, error=text)
            self._commit()
            row = db.session.get(CampaignRecipient, ref.id)
            email_preferences.record_bounce(
                ref.email, text, hard=True, source="smtp", recipient=row
            )
            db.session.commit()
            self.outcome.failed += 1
            return True
        self._defer(ref, smtplib.SMTPResponseException(code, text))
        return code != 421  # 421: the server is closing the connection

    def _defer(self, ref: RecipientRef, error) -> None:
        """Back to the queue after a temporary failure (given up after a few)."""
        text = smtp_error_text(error)
        if temporary_failure(ref.id):
            # claimed_at on a QUEUED row: when it last failed (claimed again RETRY_DELAY later).
            self._result(
                ref.id, RecipientStatus.QUEUED, claimed_by="", claimed_at=utcnow(), error=text
            )
            self.outcome.deferred += 1
        else:
            self._result(ref.id, RecipientStatus.FAILED, error=text)
            self.outcome.failed += 1


# Built once: the statements run for every message.
_NO_FLUSH_WAIT = sa.text("SET LOCAL synchronous_commit TO OFF")
_MARK_SENDING = (
    sa.update(_table)
    .where(
        _table.c.id == sa.bindparam("rid"),
        _table.c.claimed_by == sa.bindparam("claim"),
        _table.c.status == RecipientStatus.CLAIMED.value,
    )
    .values(status=RecipientStatus.SENDING.value, claimed_at=sa.bindparam("at"))
)
_MARK_SENT = (
    sa.update(_table)
    .where(_table.c.id == sa.bindparam("rid"), _table.c.claimed_by == sa.bindparam("claim"))
    .values(
        status=RecipientStatus.SENT.value,
        sent_at=sa.bindparam("at"),
        message_id=sa.bindparam("mid"),
        error="",
    )
)


def sending_campaigns() -> list[int]:
    """The campaigns whose send is running and still has rows to send or to recover."""
    waiting = sa.select(_table.c.id).where(
        _table.c.campaign_id == _campaigns.c.id,
        _table.c.status.in_([status.value for status in ACTIVE]),
    )
    return list(
        db.session.scalars(
            sa.select(_campaigns.c.id).where(
                _campaigns.c.send_state == SendState.SENDING.value, waiting.exists()
            )
        )
    )
