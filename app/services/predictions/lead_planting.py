"""A synthetic lead history with a planted ground truth, for the evaluation harness: whether
a lead converts depends on its industry, company size, website visits, downloads, form
submissions and how recently sales last touched it; its country and its email opens are
noise that a sound model must not rank among its top factors."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind
from app.models.base import utcnow
from app.models.marketing import EventKind, MarketingEvent
from app.models.predictions import PredictionModel
from app.models.sales import Lead, LeadStatus
from app.services.predictions.planted_history import poisson

LEADS = 3000
FIT_INDUSTRIES = ("Software", "Finance")
INDUSTRIES = (*FIT_INDUSTRIES, "Retail", "Manufacturing", "Education", "Healthcare")
COUNTRIES = ("US", "GB", "DE", "FR", "TW", "JP")
NOISE = {"country", "email_opens"}


def planted_logit(
    industry: str, employees: int, visits: int, downloads: int, forms: int, days_since_activity: int
) -> float:
    """The true log-odds of conversion the synthetic history is drawn from."""
    return (
        -1.8
        + (1.5 if industry in FIT_INDUSTRIES else 0.0)
        + 0.4 * (math.log1p(employees) - 4.0)
        + 1.0 * math.log1p(visits)
        + (1.2 if downloads else 0.0)
        + (1.1 if forms else 0.0)
        - 0.035 * days_since_activity
    )


def plant(*, seed: int = 7, size: float = 1.0) -> datetime:
    """Write the synthetic leads, their behaviour and their activities; returns the
    moment the history ends ("now" for training)."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    profiles, leads = [], []
    for n in range(max(50, int(LEADS * size))):
        created = now - timedelta(days=rng.uniform(0, 720))
        profile = {
            "industry": rng.choice(INDUSTRIES),
            "employees": int(math.exp(rng.gauss(4.0, 1.3))),
            "visits": poisson(rng, rng.choice((0.3, 1.5, 4.0))),
            "downloads": int(rng.random() < 0.3),
            "forms": int(rng.random() < 0.25),
            "opens": poisson(rng, 2.0),
            "days": int(rng.uniform(0, 120)),
        }
        converts = rng.random() < 1 / (
            1
            + math.exp(
                -planted_logit(
                    profile["industry"],
                    profile["employees"],
                    profile["visits"],
                    profile["downloads"],
                    profile["forms"],
                    profile["days"],
                )
            )
        )
        decided = created + timedelta(days=rng.uniform(10, 60) if converts else 60)
        if decided > now:
            status, converted_at = LeadStatus.NEW, None
        elif converts:
            status, converted_at = LeadStatus.CONVERTED, decided
        else:
            status, converted_at = rng.choice((LeadStatus.UNQUALIFIED, LeadStatus.CONTACTED)), None
            if status == LeadStatus.CONTACTED:
                decided = created + timedelta(days=90)
        profile["decided"] = min(decided, now)
        profiles.append(profile)
        leads.append(
            {
                "first_name": "Planted",
                "last_name": f"Lead {n}",
                "company": f"Company {n}",
                "industry": profile["industry"],
                "country": rng.choice(COUNTRIES),
                "employees": profile["employees"],
                "status": status,
                "converted_at": converted_at,
                "created_at": created,
                "updated_at": profile["decided"],
            }
        )
    ids = db.session.scalars(
        sa.insert(Lead).returning(Lead.id, sort_by_parameter_order=True), leads
    ).all()
    events, activities = [], []
    for lead_id, profile in zip(ids, profiles, strict=True):
        moment = profile["decided"]
        for kind, count in (
            (EventKind.VISIT, profile["visits"]),
            (EventKind.DOWNLOAD, profile["downloads"]),
            (EventKind.FORM_SUBMIT, profile["forms"]),
            (EventKind.EMAIL_OPEN, profile["opens"]),
        ):
            for _ in range(count):
                events.append(
                    {
                        "kind": kind,
                        "lead_id": lead_id,
                        "occurred_at": moment - timedelta(days=rng.uniform(1, 60)),
                    }
                )
        last = moment - timedelta(days=profile["days"], hours=1)
        for k in range(1 + poisson(rng, 1.0)):
            activities.append(
                {
                    "kind": ActivityKind.CALL,
                    "subject": "Call",
                    "lead_id": lead_id,
                    "occurred_at": last - timedelta(days=7 * k),
                }
            )
    if events:
        db.session.execute(sa.insert(MarketingEvent), events)
    if activities:
        db.session.execute(sa.insert(Activity), activities)
    db.session.flush()
    return now


def noise_in_top_factors(version: PredictionModel, top: int = 3) -> int:
    """How many of the model's `top` strongest features are planted noise."""
    params = version.params or {}
    if not params.get("coefficients"):
        return 0
    ranked = sorted(
        zip(params["features"], params["coefficients"], strict=True), key=lambda item: -abs(item[1])
    )
    names = [name.split(":", 1)[-1].split("=", 1)[0] for name, _ in ranked[:top]]
    return sum(1 for name in names if name in NOISE)
