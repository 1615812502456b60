"""Campaign sending speed: messages per second from 2 worker processes to a loopback SMTP
server, unthrottled, through the whole outbox (claim, suppression check, message build
with merge fields and tracked links, SENDING/SENT commits).

    .venv/bin/python -m bench.campaign_send [--recipients 10000] [--workers 2]

A fresh SQLite file in a temporary folder by default; BENCH_DATABASE_URL points at another
database (its schema is dropped and rebuilt). Redis is an embedded one in the temporary
folder unless BENCH_REDIS_URL is given (its mail queue is used). The workers are real
`flask rapport worker --burst` processes; the rate is measured at the SMTP server from the
first message to the last (worker start-up excluded, shown apart).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
HTML = (
    "<h1>{{ campaign.name }}</h1>"
    '<p>Hi {{ contact.first_name | default("there") }} at {{ company.name }},</p>'
    "<p>Our spring catalogue is out: "
    '<a href="https://example.com/catalogue?utm_source=email">see it</a>, or '
    '<a href="https://example.com/offers">today\'s offers</a>.</p>'
    '<p><a href="mailto:sales@example.com">Write to us</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · '
    '<a href="{{ preferences_url }}">Preferences</a></p>'
)


class CountingSmtp:
    """Counts accepted messages and when the first and last arrived."""

    def __init__(self):
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.perf_counter()
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"


def _seed(app, recipients: int) -> int:
    from app.audit import set_actor
    from app.extensions import db
    from app.models.base import utcnow
    from app.models.customers import Contact, Customer
    from app.models.identity import Role, User
    from app.models.marketing import (
        Campaign,
        EmailPreference,
        EmailTemplate,
        Segment,
        SegmentKind,
        SegmentMember,
    )

    with app.app_context():
        marketer = User(email="marketer@example.com", name="Bench Marketer", role=Role.MARKETING)
        marketer.set_password("bench password")
        db.session.add(marketer)
        db.session.commit()
        set_actor(db.session, marketer, source="cli")
        now = utcnow()
        customer = Customer(name="Bench Customer Ltd", owner_id=marketer.id)
        db.session.add(customer)
        db.session.flush()
        for start in range(0, recipients, 5000):
            numbers = range(start, min(start + 5000, recipients))
            db.session.execute(
                sa.insert(Contact.__table__),
                [
                    {
                        "first_name": f"Reader{n}",
                        "last_name": "Bench",
                        "email": f"reader{n}@example.com",
                        "customer_id": customer.id,
                        "owner_id": marketer.id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
            db.session.execute(
                sa.insert(EmailPreference.__table__),
                [
                    {
                        "email": f"reader{n}@example.com",
                        "consent": True,
                        "consent_at": now,
                        "consent_source": "import",
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
        segment = Segment(name="Bench readers", kind=SegmentKind.STATIC, owner_id=marketer.id)
        template = EmailTemplate(
            name="Bench newsletter",
            sender_name="Bench News",
            subject='Spring news for {{ contact.first_name | default("you") }}',
            html_body=HTML,
            text_body="",
            owner_id=marketer.id,
        )
        db.session.add_all([segment, template])
        db.session.flush()
        db.session.execute(
            sa.insert(SegmentMember.__table__).from_select(
                ["segment_id", "entity_id", "added_at"],
                sa.select(sa.literal(segment.id), Contact.id, sa.literal(now)).where(
                    Contact.last_name == "Bench"
                ),
            )
        )
        campaign = Campaign(
            name="Bench campaign",
            currency="USD",
            channels=["EMAIL"],
            segment_id=segment.id,
            template_id=template.id,
            send_rate=0,
            owner_id=marketer.id,
        )
        db.session.add(campaign)
        db.session.commit()
        return campaign.id


def _prepare(app, campaign_id: int) -> float:
    from app.extensions import db
    from app.models.identity import User
    from app.models.marketing import Campaign
    from app.services import campaign_sending

    with app.app_context():
        marketer = db.session.scalars(sa.select(User)).first()
        started = time.perf_counter()
        campaign_sending.prepare(db.session.get(Campaign, campaign_id), marketer)
        db.session.commit()
        return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rapport-bench-campaign-")
    instance = os.path.join(workdir, "instance")
    os.environ["RAPPORT_INSTANCE_PATH"] = instance
    from aiosmtpd.controller import Controller

    from app import create_app, queues
    from app.extensions import db
    from bench import fresh_schema

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-campaign.db"
    redis_url = os.environ.get("BENCH_REDIS_URL")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "BASE_URL": "http://bench.test"},
        env="testing",
    )
    with app.app_context():
        fresh_schema(db)
        redis = queues.connection()
        if not redis_url:  # the embedded server: the workers reach it by its socket
            redis_url = f"unix://{redis.socket_file}"
        queues.queue("mail").empty()

    seeded = time.perf_counter()
    campaign_id = _seed(app, options.recipients)
    seeded = time.perf_counter() - seeded
    prepared = _prepare(app, campaign_id)

    inbox = CountingSmtp()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "RAPPORT_ENV": "testing",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "BASE_URL": "http://bench.test",
        "RAPPORT_CAMPAIGN_RATE": "0",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "rapport", "worker", "--burst"]
    started = time.perf_counter()
    log = open(os.path.join(workdir, "workers.log"), "ab")  # noqa: SIM115
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        for _ in range(options.workers)
    ]
    codes = [worker.wait() for worker in workers]
    wall = time.perf_counter() - started
    controller.stop()
    asyncio.set_event_loop(asyncio.new_event_loop())

    from app.models.marketing import Campaign
    from app.services import campaign_sending

    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        figures = campaign_sending.progress(campaign)
        state = campaign.send_state.value
        dialect = db.engine.dialect.name
    sending = inbox.last - inbox.first if inbox.count > 1 else 0.0
    print(f"database: {dialect}; workers exited with {codes}", file=sys.stderr)
    print(f"seeded {options.recipients:,} recipients in {seeded:.1f}s; prepare {prepared:.2f}s")
    print(
        f"{inbox.count:,} messages in {sending:.2f}s = {inbox.count / sending:,.0f} messages/s "
        f"with {options.workers} workers (wall {wall:.1f}s with start-up); "
        f"campaign {state}, outbox {figures['counts']}"
    )
    if inbox.count != figures["counts"]["SENT"] or state != "SENT":
        raise SystemExit(f"unexpected result; see {workdir}/workers.log")


if __name__ == "__main__":
    main()
