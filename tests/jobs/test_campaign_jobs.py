"""Killing a worker in the middle of a 2,000-recipient campaign send and running a worker
again delivers every recipient exactly once, counted at the SMTP server.

The worker is a real `flask rapport worker --burst` process on the test database and
Redis. The SMTP server SIGKILLs it from inside the SMTP conversation: once while the
server holds a message whose answer the worker has not heard (the worst moment: that row
is left SENDING, becomes UNKNOWN and is not resent, and the server did get it), and once
between two messages (during the next envelope: that row is only CLAIMED, so it is sent
after the lease)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    EmailPreference,
    RecipientStatus,
    SegmentMember,
    SendState,
)
from app.services import campaign_mail, campaign_sending
from tests.factories import make_user
from tests.marketing_factories import make_campaign, make_segment, make_template

RECIPIENTS = 2_000
KILL_AT = 700
ROOT = Path(__file__).resolve().parents[2]
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.I | re.M)


class KillingSmtp:
    """Counts messages by Message-ID and SIGKILLs the worker at the chosen moment."""

    def __init__(self, kill_at: int, moment: str):
        self.kill_at = kill_at
        self.moment = moment  # "data": holding message kill_at; "envelope": before the next
        self.message_ids: list[str] = []
        self.pid: int | None = None
        self.killed = False

    def _kill(self):
        if self.pid and not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.moment == "envelope" and len(self.message_ids) == self.kill_at:
            self._kill()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        found = _MESSAGE_ID.search(envelope.content)
        self.message_ids.append(found.group(1).decode() if found else "")
        if self.moment == "data" and len(self.message_ids) == self.kill_at:
            self._kill()
        return "250 OK"


@pytest.fixture
def killing_smtp():
    servers = []

    def start(kill_at: int, moment: str):
        handler = KillingSmtp(kill_at, moment)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        return handler, port

    yield start
    for controller in servers:
        controller.stop()


def _seed_campaign(count: int) -> int:
    """A campaign to `count` consenting contacts, written in bulk (no per-row services)."""
    marketer = make_user(Role.MARKETING)
    now = utcnow()
    db.session.execute(
        sa.insert(Contact.__table__),
        [
            {
                "first_name": f"K{n}",
                "last_name": "Reader",
                "email": f"kill{n}@example.com",
                "owner_id": marketer.id,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ],
    )
    db.session.execute(
        sa.insert(EmailPreference.__table__),
        [
            {"email": f"kill{n}@example.com", "consent": True, "consent_at": now, "updated_at": now}
            for n in range(count)
        ],
    )
    ids = db.session.scalars(sa.select(Contact.id).where(Contact.last_name == "Reader")).all()
    segment = make_segment(marketer, kind="STATIC")
    db.session.execute(
        sa.insert(SegmentMember.__table__),
        [{"segment_id": segment.id, "entity_id": i, "added_at": now} for i in ids],
    )
    db.session.commit()
    campaign = make_campaign(marketer, segment=segment, template=make_template(marketer))
    campaign_sending.prepare(campaign, marketer)
    db.session.commit()
    return campaign.id


def _worker(app, redis_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "RAPPORT_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "BASE_URL": app.config["BASE_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "RAPPORT_INSTANCE_PATH": app.instance_path,
        "RAPPORT_CAMPAIGN_LEASE_SECONDS": "1",
        "RAPPORT_CAMPAIGN_RATE": "0",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "rapport", "worker", "--burst"]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)


def _statuses(campaign_id: int) -> dict[RecipientStatus, int]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(CampaignRecipient.status, sa.func.count())
            .where(CampaignRecipient.campaign_id == campaign_id)
            .group_by(CampaignRecipient.status)
        ).all()
    )


@pytest.mark.parametrize("moment", ["data", "envelope"])
def test_killed_worker_then_rerun_delivers_every_recipient_exactly_once(
    app, redis_url, killing_smtp, tmp_path, moment
):
    campaign_id = _seed_campaign(RECIPIENTS)
    inbox, port = killing_smtp(KILL_AT, moment)
    log = tmp_path / "worker.log"

    first = _worker(app, redis_url, port, log)
    inbox.pid = first.pid
    first.wait(timeout=300)
    assert inbox.killed, log.read_text()
    assert first.returncode == -signal.SIGKILL
    assert len(inbox.message_ids) == KILL_AT
    assert db.session.get(Campaign, campaign_id).send_state is SendState.SENDING

    time.sleep(1.5)  # the lease of the dead worker's rows runs out
    second = _worker(app, redis_url, port, log)
    assert second.wait(timeout=300) == 0, log.read_text()

    received = inbox.message_ids
    assert len(received) == RECIPIENTS, "some recipient was missed or sent twice"
    assert len(set(received)) == RECIPIENTS
    counts = _statuses(campaign_id)
    with app.test_request_context():
        domain = campaign_mail.mail_domain()
    if moment == "data":
        # The message in flight at the kill: the server has it, the outbox says UNKNOWN.
        assert counts == {RecipientStatus.SENT: RECIPIENTS - 1, RecipientStatus.UNKNOWN: 1}
        unknown = db.session.scalars(
            sa.select(CampaignRecipient).where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.status == RecipientStatus.UNKNOWN,
            )
        ).one()
        assert f"<campaign-{campaign_id}.recipient-{unknown.id}@{domain}>" in received
    else:
        assert counts == {RecipientStatus.SENT: RECIPIENTS}
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.send_state is SendState.SENT
    sent_ids = db.session.scalars(
        sa.select(CampaignRecipient.message_id).where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == RecipientStatus.SENT,
        )
    ).all()
    assert set(sent_ids) <= set(received)
