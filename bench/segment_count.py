"""Segment count speed: median and p95 of one live count (segments.count_definition, what
the builder shows while editing) for a few realistic definitions.

    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.segment_count

With BENCH_DATABASE_URL the database is only read: seed it first (`flask rapport seed
--scale large` adds the 2,000,000 behaviour events; the target is a p95 under 200 ms).
Without it, a small demo database is seeded in a temporary SQLite file, enough to see the
script run and compare definitions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

DAYS = 90


def definitions(campaign_id: int | None) -> dict[str, tuple[str, dict]]:
    """Name -> (entity, definition): one per family, then a mix of them all."""

    def one(*conditions, match="all"):
        return {"match": "all", "groups": [{"match": match, "conditions": list(conditions)}]}

    def cond(field, op, value=None):
        return {"field": field, "op": op, "value": value}

    visits = cond("events", "gte", {"kind": "VISIT", "days": DAYS, "count": 3})
    opened = cond("campaign_opened", "has", {"campaign_id": campaign_id, "days": DAYS})
    return {
        "everyone": ("CONTACT", {}),
        "text": ("CONTACT", one(cond("email", "contains", "example"))),
        "customer": (
            "CONTACT",
            one(cond("customer_status", "eq", "CUSTOMER"), cond("customer_rating", "ne", "COLD")),
        ),
        "tag": ("CONTACT", one(cond("tag", "has", "VIP"))),
        "activity": ("CONTACT", one(cond("activity", "has_not", {"kind": "", "days": DAYS}))),
        "campaign": ("CONTACT", one(opened)),
        "events>=3": ("CONTACT", one(visits)),
        "consent": ("CONTACT", one(cond("consent", "is_true"), cond("unsubscribed", "is_false"))),
        "mixed": (
            "CONTACT",
            {
                "match": "any",
                "groups": [
                    {
                        "match": "all",
                        "conditions": [
                            cond("customer_status", "in", ["CUSTOMER", "PARTNER"]),
                            cond("has_email", "is_true"),
                            cond("consent", "is_true"),
                        ],
                    },
                    {"match": "any", "conditions": [visits, opened, cond("tag", "has", "VIP")]},
                ],
            },
        ),
        "leads": (
            "LEAD",
            one(
                cond("status", "in", ["NEW", "CONTACTED"]),
                cond("created_at", "within_days", 365),
                cond("events", "gte", {"kind": "FORM_SUBMIT", "days": DAYS, "count": 1}),
            ),
        ),
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _app(workdir: str):
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        from app import create_app

        os.environ["RAPPORT_INSTANCE_PATH"] = os.path.join(workdir, "instance")
        return create_app({"SQLALCHEMY_DATABASE_URI": url}, env="testing")
    from bench.__main__ import _build_app

    return _build_app("small", workdir, reuse=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as workdir:
        app = _app(workdir)
        with app.app_context():
            from app.extensions import db
            from app.models.marketing import CampaignRecipient
            from app.services import segments

            # The campaign opened most recently: its "opened in 90 days" has members.
            campaign_id = db.session.scalar(
                sa.select(CampaignRecipient.campaign_id)
                .where(CampaignRecipient.opened_at.is_not(None))
                .order_by(CampaignRecipient.opened_at.desc())
                .limit(1)
            )
            print(f"{'definition':<12} {'members':>9} {'median ms':>10} {'p95 ms':>8}")
            worst = 0.0
            for name, (entity, definition) in definitions(campaign_id).items():
                timings, total = [], 0
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    total = segments.count_definition(entity, definition)
                    timings.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                p95 = _percentile(timings, 0.95)
                worst = max(worst, p95)
                print(f"{name:<12} {total:>9,} {statistics.median(timings):>10.1f} {p95:>8.1f}")
            print(f"worst p95: {worst:.1f} ms (target < 200 ms on the large seed)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
