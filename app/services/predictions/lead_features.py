"""What lead scoring knows about a lead at a moment: its profile (demographic), what it did
on the website and with the emails in the 90 days before (behaviour), and how it engages
with the sales team (engagement). Every count looks only at what happened before the
moment, so a lead scored for training is seen as it was when its outcome was decided."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.activities import Activity
from app.models.marketing import CampaignRecipient, EventKind, MarketingEvent
from app.models.predictions import ScoreComponent

WINDOW = timedelta(days=90)
NEVER = 180  # days since the last activity of a lead that never had one (or long ago)
_BATCH = 1000

NUMBER, TEXT = "number", "text"

# factor -> (component, label, type): what rules compare and models learn from.
FACTORS = {
    "industry": (ScoreComponent.DEMOGRAPHIC, _l("Industry"), TEXT),
    "country": (ScoreComponent.DEMOGRAPHIC, _l("Country"), TEXT),
    "employees": (ScoreComponent.DEMOGRAPHIC, _l("Employees"), NUMBER),
    "annual_revenue": (ScoreComponent.DEMOGRAPHIC, _l("Annual revenue"), NUMBER),
    "visits": (ScoreComponent.BEHAVIOUR, _l("Website visits in 90 days"), NUMBER),
    "email_opens": (ScoreComponent.BEHAVIOUR, _l("Email opens in 90 days"), NUMBER),
    "email_clicks": (ScoreComponent.BEHAVIOUR, _l("Email clicks in 90 days"), NUMBER),
    "downloads": (ScoreComponent.BEHAVIOUR, _l("Downloads in 90 days"), NUMBER),
    "forms": (ScoreComponent.BEHAVIOUR, _l("Form submissions in 90 days"), NUMBER),
    "days_since_activity": (ScoreComponent.ENGAGEMENT, _l("Days since last activity"), NUMBER),
    "activities": (ScoreComponent.ENGAGEMENT, _l("Activities in 90 days"), NUMBER),
    "response_rate": (ScoreComponent.ENGAGEMENT, _l("Email response rate (%)"), NUMBER),
}

_CATEGORIES = {"industry": 10, "country": 8}  # one-hot columns kept for the commonest values
_MIN_CATEGORY = 20
_LOGGED = (
    "employees",
    "annual_revenue",
    "visits",
    "email_opens",
    "email_clicks",
    "downloads",
    "forms",
    "activities",
)
_PLAIN = ("days_since_activity", "response_rate")

_EVENT_FACTORS = {
    EventKind.VISIT: "visits",
    EventKind.EMAIL_OPEN: "email_opens",
    EventKind.EMAIL_CLICK: "email_clicks",
    EventKind.DOWNLOAD: "downloads",
    EventKind.FORM_SUBMIT: "forms",
}


@dataclasses.dataclass
class LeadFacts:
    """One lead's factors at one moment (`at`)."""

    lead_id: int
    at: datetime
    industry: str = ""
    country: str = ""
    employees: int | None = None
    annual_revenue: float | None = None
    visits: int = 0
    email_opens: int = 0
    email_clicks: int = 0
    downloads: int = 0
    forms: int = 0
    days_since_activity: int = NEVER
    activities: int = 0
    response_rate: int = 0  # per cent of the campaign emails sent that were opened or clicked

    def value(self, factor: str):
        return getattr(self, factor)


def collect(profiles: Iterable[tuple]) -> list[LeadFacts]:
    """Facts for each (lead id, moment, industry, country, employees, annual revenue)
    in `profiles`, read in batches: three queries a batch, whatever the moments."""
    result = []
    batch: list[LeadFacts] = []
    for lead_id, at, industry, country, employees, revenue in profiles:
        batch.append(
            LeadFacts(
                lead_id=lead_id,
                at=at,
                industry=(industry or "").strip(),
                country=(country or "").strip().upper(),
                employees=employees,
                annual_revenue=float(revenue) if revenue is not None else None,
            )
        )
        if len(batch) >= _BATCH:
            _fill(batch)
            result.extend(batch)
            batch = []
    if batch:
        _fill(batch)
        result.extend(batch)
    return result


def _fill(batch: list[LeadFacts]) -> None:
    by_id = {facts.lead_id: facts for facts in batch}
    ids = list(by_id)
    earliest = min(facts.at for facts in batch) - WINDOW
    latest = max(facts.at for facts in batch)
    events = db.session.execute(
        sa.select(MarketingEvent.lead_id, MarketingEvent.kind, MarketingEvent.occurred_at).where(
            MarketingEvent.lead_id.in_(ids),
            MarketingEvent.kind.in_(list(_EVENT_FACTORS)),
            MarketingEvent.occurred_at >= earliest,
            MarketingEvent.occurred_at < latest,
        )
    )
    for lead_id, kind, occurred_at in events:
        facts = by_id[lead_id]
        if facts.at - WINDOW <= occurred_at < facts.at:
            factor = _EVENT_FACTORS[kind]
            setattr(facts, factor, getattr(facts, factor) + 1)

    last_activity: dict[int, datetime] = {}
    activities = db.session.execute(
        sa.select(Activity.lead_id, Activity.occurred_at).where(
            Activity.lead_id.in_(ids), Activity.occurred_at < latest
        )
    )
    for lead_id, occurred_at in activities:
        facts = by_id[lead_id]
        if occurred_at >= facts.at:
            continue
        if occurred_at >= facts.at - WINDOW:
            facts.activities += 1
        if lead_id not in last_activity or occurred_at > last_activity[lead_id]:
            last_activity[lead_id] = occurred_at
    for lead_id, occurred_at in last_activity.items():
        facts = by_id[lead_id]
        facts.days_since_activity = min(NEVER, (facts.at - occurred_at).days)

    sent: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    mails = db.session.execute(
        sa.select(
            CampaignRecipient.lead_id,
            CampaignRecipient.sent_at,
            CampaignRecipient.opened_at,
            CampaignRecipient.clicked_at,
        ).where(
            CampaignRecipient.lead_id.in_(ids),
            CampaignRecipient.sent_at.is_not(None),
            CampaignRecipient.sent_at < latest,
        )
    )
    for lead_id, sent_at, opened_at, clicked_at in mails:
        facts = by_id[lead_id]
        if sent_at >= facts.at:
            continue
        counts = sent[lead_id]
        counts[0] += 1
        answered = [moment for moment in (opened_at, clicked_at) if moment is not None]
        if answered and min(answered) < facts.at:
            counts[1] += 1
    for lead_id, (mailed, answered) in sent.items():
        by_id[lead_id].response_rate = round(100 * answered / mailed)


def columns(train: list[LeadFacts]) -> list[str]:
    """The model's features: logged counts, plain numbers, and one-hot columns for the
    commonest industries and countries of the training leads."""
    names = [f"log:{factor}" for factor in _LOGGED] + ["known:employees"] + list(_PLAIN)
    for factor, keep in _CATEGORIES.items():
        counts = Counter(
            getattr(facts, factor).casefold() for facts in train if getattr(facts, factor)
        )
        names += [
            f"{factor}={value}" for value, n in counts.most_common(keep) if n >= _MIN_CATEGORY
        ]
    return names


def vector(facts: LeadFacts, names: list[str]) -> list[float]:
    row = []
    for name in names:
        if name.startswith("log:"):
            row.append(math.log1p(max(0.0, float(facts.value(name[4:]) or 0))))
        elif name == "known:employees":
            row.append(1.0 if facts.employees is not None else 0.0)
        elif "=" in name:
            factor, value = name.split("=", 1)
            row.append(1.0 if getattr(facts, factor).casefold() == value else 0.0)
        else:
            row.append(float(facts.value(name)))
    return row


def factor_of(name: str) -> str:
    if name.startswith(("log:", "known:")):
        return name.split(":", 1)[1]
    return name.split("=", 1)[0]
