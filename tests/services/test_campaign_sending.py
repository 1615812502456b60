"""Campaign sends through the outbox: the audience written once with its skip reasons and
duplicates counted, each recipient sent exactly once however often a batch job runs, a
dead worker's rows taken back (or marked UNKNOWN, never resent), pause / resume / cancel,
the throttle, 4xx retried and 5xx bounced, the test send."""

import socket
from collections import namedtuple

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app import queues
from app.extensions import db
from app.jobs.campaigns import resume_stalled_sends, send_campaign_batch
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    EmailPreference,
    MarketingTopic,
    RecipientStatus,
    SegmentKind,
    SendState,
)
from app.services import campaign_outbox, campaign_sending
from app.services.after_commit import pending
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_user
from tests.marketing_factories import (
    make_campaign,
    make_preference,
    make_segment,
    make_template,
)


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING, name="Mia Marketer")


Person = namedtuple("Person", "id email")


def people(owner, count: int, *, prefix: str = "person", consent: bool = True) -> list:
    """`count` contacts with addresses (consenting unless told otherwise), as (id, email):
    plain values, which stay readable after a job in this process ends its session."""
    found = []
    for n in range(count):
        email = f"{prefix}{n}@example.com"
        contact = make_contact(owner, first_name=f"P{n}", email=email)
        found.append(Person(contact.id, email))
        if consent:
            make_preference(email)
    return found


def campaign_for(owner, contacts, **fields):
    segment = make_segment(owner, kind=SegmentKind.STATIC, members=[c.id for c in contacts])
    return make_campaign(owner, segment=segment, template=make_template(owner), **fields)


def statuses(campaign_id: int) -> dict[str, int]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(CampaignRecipient.status, sa.func.count())
            .where(CampaignRecipient.campaign_id == campaign_id)
            .group_by(CampaignRecipient.status)
        ).all()
    )


def start(campaign, actor) -> int:
    campaign = db.session.get(Campaign, campaign.id)
    queued = campaign_sending.prepare(campaign, actor)
    db.session.commit()
    return queued


def run_job(campaign_id: int, actor_id: int) -> dict:
    """One batch job run in this process (as a retried or duplicate job would run)."""
    return send_campaign_batch(campaign_id, actor_id=actor_id)


def recipients_of(messages) -> list[str]:
    return [m["To"].addresses[0].addr_spec for m in messages]


class ScriptedSmtp:
    """An SMTP server whose answers a test chooses, per address, for RCPT and DATA."""

    def __init__(self):
        self.messages = []
        self.rcpt = {}
        self.data = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        reply = self.data.get(envelope.rcpt_tos[0])
        if reply:
            return reply
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def scripted_smtp(app, monkeypatch):
    handler = ScriptedSmtp()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    yield handler
    controller.stop()


def test_prepare_counts_skip_reasons_duplicates_and_missing_addresses(marketer):
    ok = people(marketer, 3)
    twin = make_contact(marketer, first_name="Twin", email="PERSON0@example.com ")
    no_consent = make_contact(marketer, first_name="Nc", email="nc@example.com")
    unsubscribed = make_contact(marketer, first_name="Un", email="un@example.com")
    make_preference("un@example.com", unsubscribed_at=utcnow())
    bounced = make_contact(marketer, first_name="Bo", email="bo@example.com")
    make_preference("bo@example.com", bounced_at=utcnow())
    topic = make_contact(marketer, first_name="To", email="to@example.com")
    make_preference("to@example.com", topics_opted_out=["OFFERS"])
    no_email = make_contact(marketer, first_name="Ne", email="")
    everyone = [*ok, twin, no_consent, unsubscribed, bounced, topic, no_email]
    campaign = campaign_for(marketer, everyone, topic=MarketingTopic.OFFERS)
    cid = campaign.id

    preview = campaign_sending.preview(campaign)
    assert preview == {"members": 9, "addresses": 7, "sendable": 3}
    assert start(campaign, marketer) == 3
    assert pending() == 0  # the jobs were queued on commit

    campaign = db.session.get(Campaign, cid)
    assert campaign.send_state is SendState.SENDING
    assert campaign.duplicates_skipped == 1
    figures = campaign_sending.progress(campaign)
    assert figures["counts"]["QUEUED"] == 3
    assert figures["skipped"] == {
        "bounced": 1,
        "no_consent": 1,
        "no_email": 1,
        "topic": 1,
        "unsubscribed": 1,
    }
    assert figures["duplicates"] == 1
    assert figures["total"] == 8 and figures["done"] == 5


def test_prepare_refuses_an_incomplete_or_started_campaign(marketer):
    contacts = people(marketer, 1)
    no_template = make_campaign(marketer, segment=make_segment(marketer))
    with pytest.raises(RecordInvalid):
        campaign_sending.prepare(no_template, marketer)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    start(campaign, marketer)
    with pytest.raises(RecordInvalid):
        campaign_sending.prepare(db.session.get(Campaign, cid), marketer)


def test_worker_sends_each_recipient_once_and_finishes(marketer, smtp, worker):
    contacts = people(marketer, 7)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    start(campaign, marketer)
    worker()
    worker()  # nothing left for a second run
    assert sorted(recipients_of(smtp)) == sorted(c.email for c in contacts)
    assert statuses(cid) == {RecipientStatus.SENT: 7}
    campaign = db.session.get(Campaign, cid)
    assert campaign.send_state is SendState.SENT and campaign.send_finished_at is not None
    row = db.session.scalars(sa.select(CampaignRecipient)).first()
    assert row.message_id == f"<campaign-{campaign.id}.recipient-{row.id}@localhost>"


def test_batch_job_run_again_or_in_small_batches_sends_nothing_twice(
    app, marketer, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "RAPPORT_CAMPAIGN_BATCH", 3)
    contacts = people(marketer, 8)
    campaign = campaign_for(marketer, contacts)
    cid, uid = campaign.id, marketer.id
    start(campaign, marketer)
    for _run in range(3):  # a retried job, and the other queued jobs, all run
        run_job(cid, uid)
    assert sorted(recipients_of(smtp)) == sorted(c.email for c in contacts)
    assert statuses(cid) == {RecipientStatus.SENT: 8}


def test_dead_workers_rows_are_taken_back_or_marked_unknown(app, marketer, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_CAMPAIGN_LEASE_SECONDS", 60)
    contacts = people(marketer, 4)
    campaign = campaign_for(marketer, contacts)
    cid, uid = campaign.id, marketer.id
    start(campaign, marketer)
    rows = db.session.scalars(sa.select(CampaignRecipient).order_by(CampaignRecipient.id)).all()
    long_ago = utcnow().replace(year=2020)
    # A worker died: it had claimed two rows and was in the middle of sending a third.
    for row, status in zip(rows[:3], ["CLAIMED", "CLAIMED", "SENDING"], strict=True):
        row.status, row.claimed_by, row.claimed_at = RecipientStatus(status), "dead", long_ago
    # Another worker is alive and holds the fourth row (claimed just now).
    rows[3].status, rows[3].claimed_by, rows[3].claimed_at = (
        RecipientStatus.CLAIMED,
        "alive",
        utcnow(),
    )
    db.session.commit()

    result = run_job(cid, uid)

    assert sorted(recipients_of(smtp)) == sorted(c.email for c in contacts[:2])
    assert statuses(cid) == {
        RecipientStatus.SENT: 2,
        RecipientStatus.UNKNOWN: 1,
        RecipientStatus.CLAIMED: 1,
    }
    assert result["unknown"] == 1 and not result["finished"]
    assert db.session.get(Campaign, cid).send_state is SendState.SENDING


def test_pause_stops_batches_and_resume_sends_the_rest_once(
    app, marketer, smtp, worker, monkeypatch
):
    monkeypatch.setattr(campaign_outbox, "CHECK_EVERY", 4)
    contacts = people(marketer, 12)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    start(campaign, marketer)
    slots = campaign_outbox.acquire_slot
    calls = []

    def pause_on_sixth(rate, should_stop):
        calls.append(1)
        if len(calls) == 6:  # the marketer clicks "Pause" while messages go out
            db.session.execute(
                sa.update(Campaign).where(Campaign.id == cid).values(send_state="PAUSED")
            )
            db.session.commit()
        return slots(rate, should_stop)

    monkeypatch.setattr(campaign_outbox, "acquire_slot", pause_on_sixth)
    worker()
    sent_before = len(smtp)
    assert 6 <= sent_before <= 8  # stopped at the next check
    counts = statuses(cid)
    assert counts[RecipientStatus.QUEUED] == 12 - sent_before
    assert RecipientStatus.CLAIMED not in counts

    campaign = db.session.get(Campaign, cid)
    assert campaign_sending.resume(campaign, marketer) == 12 - sent_before
    db.session.commit()
    worker()
    assert sorted(recipients_of(smtp)) == sorted(c.email for c in contacts)
    assert db.session.get(Campaign, cid).send_state is SendState.SENT


def test_cancel_stops_the_send(app, marketer, smtp, worker, monkeypatch):
    monkeypatch.setattr(campaign_outbox, "CHECK_EVERY", 2)
    contacts = people(marketer, 6)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    start(campaign, marketer)
    campaign = db.session.get(Campaign, cid)
    campaign_sending.pause(campaign, marketer)
    db.session.commit()
    assert campaign_sending.cancel(campaign, marketer) == 6
    db.session.commit()
    worker()
    assert smtp == []
    assert statuses(cid) == {RecipientStatus.CANCELLED: 6}
    campaign = db.session.get(Campaign, cid)
    assert campaign.send_state is SendState.CANCELLED
    with pytest.raises(RecordInvalid):
        campaign_sending.resume(campaign, marketer)


def test_unsubscribed_after_prepare_is_skipped_at_send_time(marketer, smtp, worker):
    contacts = people(marketer, 3)
    campaign = campaign_for(marketer, contacts)
    start(campaign, marketer)
    make_preference(contacts[1].email, unsubscribed_at=utcnow())
    worker()
    assert sorted(recipients_of(smtp)) == sorted([contacts[0].email, contacts[2].email])
    assert campaign_sending.progress(campaign)["skipped"] == {"unsubscribed": 1}


def test_throttle_keeps_to_the_rate_per_window(app, marketer, smtp, monkeypatch):
    now = [1_000_000.0 * 60]
    naps = []

    def fake_sleep(seconds):
        naps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(campaign_outbox, "clock", lambda: now[0])
    monkeypatch.setattr(campaign_outbox, "sleep", fake_sleep)
    windows = []
    slots = campaign_outbox.acquire_slot

    def recording(rate, should_stop):
        granted = slots(rate, should_stop)
        windows.append(int(now[0] // 60))
        return granted

    monkeypatch.setattr(campaign_outbox, "acquire_slot", recording)
    contacts = people(marketer, 7)
    campaign = campaign_for(marketer, contacts, send_rate=3)
    cid, uid = campaign.id, marketer.id
    start(campaign, marketer)
    run_job(cid, uid)

    assert len(smtp) == 7
    assert [windows.count(w) for w in sorted(set(windows))] == [3, 3, 1]
    assert sum(naps) >= 120 - 1  # waited for two new windows, not more
    assert all(nap <= campaign_outbox.MAX_NAP for nap in naps)


def test_rate_zero_is_unthrottled(app, monkeypatch):
    monkeypatch.setattr(campaign_outbox, "sleep", lambda s: pytest.fail("slept"))
    assert all(campaign_outbox.acquire_slot(0, lambda: False) for _ in range(1000))


def test_5xx_is_a_hard_bounce_and_4xx_is_retried(marketer, scripted_smtp, monkeypatch):
    contacts = people(marketer, 4)
    scripted_smtp.rcpt[contacts[0].email] = "550 5.1.1 No such user"
    scripted_smtp.data[contacts[1].email] = "554 5.7.1 Rejected as spam"
    scripted_smtp.rcpt[contacts[2].email] = "451 4.7.1 Greylisted, try later"
    campaign = campaign_for(marketer, contacts)
    cid, uid = campaign.id, marketer.id
    start(campaign, marketer)

    result = run_job(cid, uid)
    assert recipients_of(scripted_smtp.messages) == [contacts[3].email]
    assert result["failed"] == 2 and result["deferred"] == 1 and not result["finished"]
    for contact in contacts[:2]:
        preference = db.session.get(EmailPreference, contact.email)
        assert preference.bounced_at is not None
    row = db.session.scalars(
        sa.select(CampaignRecipient).where(CampaignRecipient.email == contacts[2].email)
    ).one()
    assert row.status is RecipientStatus.QUEUED and row.error.startswith("451")

    # Later, the greylisting server accepts it.
    del scripted_smtp.rcpt[contacts[2].email]
    monkeypatch.setattr(campaign_outbox, "RETRY_DELAY", 0)
    result = run_job(cid, uid)
    assert result["sent"] == 1 and result["finished"]
    assert sorted(recipients_of(scripted_smtp.messages)) == sorted(
        [contacts[2].email, contacts[3].email]
    )


def test_4xx_given_up_after_a_few_tries(marketer, scripted_smtp, monkeypatch):
    monkeypatch.setattr(campaign_outbox, "RETRY_DELAY", 0)
    contacts = people(marketer, 1)
    scripted_smtp.rcpt[contacts[0].email] = "452 4.2.2 Mailbox full"
    campaign = campaign_for(marketer, contacts)
    cid, uid = campaign.id, marketer.id
    start(campaign, marketer)
    for _run in range(campaign_outbox.MAX_TEMPORARY_FAILURES):
        run_job(cid, uid)
    assert statuses(cid) == {RecipientStatus.FAILED: 1}
    assert db.session.get(EmailPreference, contacts[0].email).bounced_at is None
    assert db.session.get(Campaign, cid).send_state is SendState.SENT


def test_test_send_reaches_the_actor_only(app, marketer, smtp):
    contacts = people(marketer, 2)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    with app.test_request_context(base_url="http://rapport.test"):
        address = campaign_sending.test_send(campaign, marketer)
    assert address == marketer.email
    assert recipients_of(smtp) == [marketer.email]
    assert smtp[0]["Subject"].startswith("[Test] ")
    assert statuses(cid) == {}
    assert db.session.get(Campaign, cid).send_state is SendState.DRAFT


def test_unreachable_mail_server_keeps_everyone_queued_for_later(app, marketer, monkeypatch):
    from rq.registry import ScheduledJobRegistry

    from app import queues

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port)
    contacts = people(marketer, 3)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    start(campaign, marketer)
    result = run_job(cid, marketer.id)
    assert result["sent"] == 0 and result["failed"] == 0
    assert statuses(cid) == {RecipientStatus.QUEUED: 3}
    later = ScheduledJobRegistry(queue=queues.queue("mail"))
    assert later.count == 1  # a follow-up job looks again later


def test_a_send_whose_jobs_were_lost_is_finished_by_the_periodic_safety_net(marketer, smtp, worker):
    contacts = people(marketer, 3)
    campaign = campaign_for(marketer, contacts)
    cid = campaign.id
    start(campaign, marketer)
    queues.queue("mail").empty()  # the batch jobs are lost (Redis restarted, say)
    worker()
    assert smtp == [] and campaign_outbox.sending_campaigns() == [cid]
    assert resume_stalled_sends() == 1
    worker()
    assert sorted(recipients_of(smtp)) == sorted(c.email for c in contacts)
    assert campaign_outbox.sending_campaigns() == []
    assert resume_stalled_sends() == 0
