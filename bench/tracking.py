"""Tracking endpoint speed: median and p95 server time (and statements per request) of the
page-view beacon POST /t/e, a short link GET /l/<code> and the email open pixel
GET /m/o/<token>.gif, each requested in-process through the WSGI app. Target: p95 < 10 ms.

    .venv/bin/python -m bench.tracking [--requests 500]

A fresh SQLite file in a temporary folder by default. BENCH_DATABASE_URL points at another
database (migrated to the latest revision if needed, never dropped): the few rows the
benchmark adds (a contact, a campaign with one link and one recipient, the events of the
`bench-` visitors) are deleted at the end. Rate limits are off: they are Redis's time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa

VISITORS = 200  # distinct visitor ids the beacons rotate through (new, then returning)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _app(workdir: str):
    from app import create_app

    os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-tracking.db"
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://bench.test",
            "RAPPORT_TRACKED_SITES": "www.example.com",
        },
        env="testing",
    )


def _fixtures() -> dict:
    """A contact, a campaign with a short link and a recipient row; their ids and tokens."""
    from app.audit import set_actor
    from app.extensions import db
    from app.models.customers import Contact
    from app.models.marketing import Campaign, CampaignRecipient
    from app.services import campaign_links, tracking_tokens

    set_actor(db.session, None, source="cli")
    contact = Contact(first_name="Bench", last_name="Tracking", email="bench@example.com")
    campaign = Campaign(name="Bench tracking", currency="USD", channels=["SOCIAL:linkedin"])
    db.session.add_all([contact, campaign])
    db.session.flush()
    recipient = CampaignRecipient(
        campaign_id=campaign.id, contact_id=contact.id, email="bench@example.com"
    )
    db.session.add(recipient)
    link = campaign_links.create_link(
        campaign,
        None,
        channel="linkedin",
        label="Bench",
        target_url="https://www.example.com/offer?ref=bench",
    )
    db.session.commit()
    return {
        "contact_id": contact.id,
        "campaign_id": campaign.id,
        "code": link.code,
        "open": tracking_tokens.open_token(recipient.id),
    }


def _cleanup(ids: dict) -> None:
    from app.extensions import db
    from app.models.customers import Contact
    from app.models.marketing import Campaign, MarketingEvent, WebVisitor

    db.session.execute(sa.delete(MarketingEvent).where(MarketingEvent.visitor_id.like("bench-%")))
    db.session.execute(
        sa.delete(MarketingEvent).where(MarketingEvent.campaign_id == ids["campaign_id"])
    )
    db.session.execute(
        sa.delete(MarketingEvent).where(MarketingEvent.contact_id == ids["contact_id"])
    )
    db.session.execute(sa.delete(WebVisitor).where(WebVisitor.visitor_id.like("bench-%")))
    db.session.execute(sa.delete(Campaign).where(Campaign.id == ids["campaign_id"]))
    db.session.execute(sa.delete(Contact).where(Contact.id == ids["contact_id"]))
    db.session.commit()


def _requests(ids: dict):
    """Name -> (function of the client and the request number, expected status)."""

    def beacon(client, n):
        body = {
            "vid": f"bench-visitor-{n % VISITORS:06d}",
            "url": "https://www.example.com/pricing?utm_source=linkedin&utm_medium=social"
            f"&utm_campaign=c{ids['campaign_id']}",
            "referrer": "https://www.linkedin.com/",
            "title": "Pricing",
        }
        return client.post("/t/e", data=json.dumps(body), content_type="text/plain")

    return {
        "POST /t/e": (beacon, 204),
        "GET /l/<code>": (lambda client, n: client.get(f"/l/{ids['code']}"), 302),
        "GET /m/o/<t>.gif": (lambda client, n: client.get(f"/m/o/{ids['open']}.gif"), 200),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args(argv)
    from bench.sql import StatementLog

    with tempfile.TemporaryDirectory() as workdir:
        app = _app(workdir)
        with app.app_context():
            from flask_migrate import upgrade

            from app.extensions import db

            upgrade()
            log = StatementLog(db.engine)
            ids = _fixtures()
            print(f"database: {db.engine.dialect.name}", file=sys.stderr)
        client = app.test_client()
        worst = 0.0
        print(f"{'request':<18} {'median ms':>10} {'p95 ms':>8} {'statements':>11}")
        try:
            for name, (send, status) in _requests(ids).items():
                for n in range(20):  # warm up
                    send(client, n)
                timings, statements = [], []
                for n in range(args.requests):
                    log.start()
                    started = time.perf_counter()
                    response = send(client, n)
                    timings.append((time.perf_counter() - started) * 1000)
                    statements.append(len(log.statements))
                    if response.status_code != status:
                        raise SystemExit(f"{name} answered {response.status_code}")
                p95 = _percentile(timings, 0.95)
                worst = max(worst, p95)
                print(
                    f"{name:<18} {statistics.median(timings):>10.2f} {p95:>8.2f}"
                    f" {max(statements):>11}"
                )
        finally:
            with app.app_context():
                _cleanup(ids)
        print(f"worst p95: {worst:.2f} ms (target < 10 ms)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
