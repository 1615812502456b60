"""A synthetic deal history with a planted ground truth, for the evaluation harness of the
win probability and the next best action (written into an empty scratch database).

Each deal walks the open stages. In each stage it stays an exponential time; background
touchpoints (notes) come at a rate set by the deal's engagement; each of the five actions
(meeting, call, email, proposal sent, a manager involved) happens within the stage's first
week with probability 0.3. The deal moves on (or, from negotiation, is won) with the chance
sigmoid(base[stage] + owner skill + 2.5 (engagement - 0.5) - log(stay / mean stay)
+ 1.5 if the stage's planted best action happened); otherwise it is lost. So recent
activity and a skilled owner raise winning, stagnation lowers it, and one action per stage
is what really helps. Base rates put the chance of winning from each stage near the stage
defaults (10, 20, 50, 75 %), so the defaults are a fair baseline.
"""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import UTC, datetime, timedelta

from flask import current_app

from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.customers import Customer
from app.models.identity import Role, User
from app.models.orders import Quote, QuoteStatus
from app.models.sales import Opportunity, OpportunityStage, StageChange
from app.services.demo_customers import _insert, _next_id, _sync_sequences
from app.services.opportunities import default_pipeline, stage_probability
from app.services.predictions.deal_features import OPEN_STAGES
from app.services.predictions.planted_history import poisson

S = OpportunityStage
ACTIONS = ("meeting", "call", "email", "proposal", "manager")
SPAN_DAYS = 730
MEAN_STAY = {S.PROSPECTING: 10, S.QUALIFICATION: 14, S.PROPOSAL: 18, S.NEGOTIATION: 14}
BASE = {S.PROSPECTING: -0.6, S.QUALIFICATION: -1.45, S.PROPOSAL: -0.3, S.NEGOTIATION: 0.3}
SKILLS = (-1.0, -0.6, -0.3, 0.0, 0.2, 0.5, 0.8, 1.1)
ACTION_CHANCE = 0.3
BEST_ACTION_LIFT = 1.5
KINDS = {"meeting": ActivityKind.MEETING, "call": ActivityKind.CALL, "email": ActivityKind.EMAIL}


@dataclasses.dataclass
class PlantedWorld:
    """What was written and the truth planted in it."""

    now: datetime
    deals: int
    closed: int
    best_action: dict[OpportunityStage, str]
    skills: dict[int, float]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class _Writer:
    """Rows of every table, accumulated deal by deal."""

    def __init__(self, rng, now, owners, managers, pipeline, best):
        self.rng, self.now, self.owners, self.managers = rng, now, owners, managers
        self.pipeline, self.best = pipeline, best
        self.customer_id, self.deal_id = _next_id(Customer), _next_id(Opportunity)
        self.rows = {table: [] for table in ("customers", "deals", "changes", "acts", "quotes")}
        self.closed = 0

    def activity(self, kind, at, owner, customer):
        self.rows["acts"].append(
            {"kind": kind, "subject": kind.value.title(), "occurred_at": at,
             "status": ActivityStatus.DONE, "completed_at": at, "customer_id": customer,
             "owner_id": owner, "created_by_id": owner, "created_at": at, "updated_at": at,
             "custom": {}}
        )  # fmt: skip

    def action(self, action, at, deal_id, owner, customer):
        if action in KINDS:
            self.activity(KINDS[action], at, owner, customer)
        elif action == "manager":
            self.activity(ActivityKind.CALL, at, self.rng.choice(self.managers), customer)
        else:
            self.rows["quotes"].append(
                {"number": f"PL-{deal_id}-{len(self.rows['quotes'])}", "version": 1,
                 "title": "Proposal", "customer_id": customer, "opportunity_id": deal_id,
                 "currency": self.pipeline_currency, "status": QuoteStatus.SENT,
                 "sent_at": at, "owner_id": owner, "created_at": at, "updated_at": at,
                 "custom": {}}
            )  # fmt: skip

    def stage(self, deal_id, owner, customer, stage, start, engagement, skill) -> tuple:
        """Live through one stage from `start`: (moved on?, when it left, or None if the
        stay runs past now)."""
        rng, day = self.rng, timedelta(days=1)
        stay = min(150.0, max(0.5, rng.expovariate(1 / MEAN_STAY[stage])))
        end = start + stay * day
        rate = 0.03 + 0.25 * engagement
        for _ in range(poisson(rng, rate * stay)):
            at = start + rng.uniform(0, stay) * day
            if at <= self.now:
                self.activity(ActivityKind.NOTE, at, owner, customer)
        done = set()
        for action in ACTIONS:
            if rng.random() < ACTION_CHANCE:
                at = start + rng.uniform(0, min(7.0, stay)) * day
                done.add(action)
                if at <= self.now:
                    self.action(action, at, deal_id, owner, customer)
        logit = BASE[stage] + skill + 2.5 * (engagement - 0.5) - math.log(stay / MEAN_STAY[stage])
        logit += BEST_ACTION_LIFT if self.best[stage] in done else 0.0
        moved = rng.random() < _sigmoid(logit)
        return moved, (end if end <= self.now else None)

    def deal(self, owner, skill):
        rng = self.rng
        deal_id, customer = self.deal_id, self.customer_id
        self.deal_id, self.customer_id = deal_id + 1, customer + 1
        created = self.now - timedelta(days=rng.uniform(0, SPAN_DAYS))
        engagement = rng.random()
        path, moments, moment = [], [], created
        for stage in OPEN_STAGES:
            path.append(stage)
            moments.append(moment)
            moved, left = self.stage(deal_id, owner, customer, stage, moment, engagement, skill)
            if left is None:
                break
            moment = left
            if not moved or stage is S.NEGOTIATION:
                path.append(S.CLOSED_WON if moved else S.CLOSED_LOST)
                moments.append(moment)
                break
        final = path[-1]
        closed = moments[-1] if final.is_closed else None
        self.closed += closed is not None
        amount = round(10 ** rng.uniform(3, 5.5), 2)
        self.rows["customers"].append(
            {"id": customer, "name": f"Planted customer {customer}", "owner_id": owner,
             "created_at": created, "updated_at": created, "custom": {}}
        )  # fmt: skip
        self.rows["deals"].append(
            {"id": deal_id, "name": f"Planted deal {deal_id}", "customer_id": customer,
             "pipeline_id": self.pipeline.id, "stage": final, "amount": amount,
             "currency": self.pipeline_currency,
             "probability": stage_probability(self.pipeline, final),
             "closed_at": closed, "stage_changed_at": moments[-1],
             "expected_close_date": (closed or self.now + timedelta(days=30)).date(),
             "owner_id": owner, "created_by_id": owner, "updated_by_id": owner,
             "created_at": created, "updated_at": moments[-1], "custom": {},
             "version": len(path)}
        )  # fmt: skip
        for n, (stage, at) in enumerate(zip(path, moments, strict=True)):
            self.rows["changes"].append(
                {"opportunity_id": deal_id, "from_stage": path[n - 1] if n else None,
                 "to_stage": stage, "changed_at": at, "changed_by_id": owner,
                 "stay_seconds": int((at - moments[n - 1]).total_seconds()) if n else None}
            )  # fmt: skip

    def flush(self):
        tables = {
            "customers": Customer.__table__,
            "deals": Opportunity.__table__,
            "changes": StageChange.__table__,
            "acts": Activity.__table__,
            "quotes": Quote.__table__,
        }
        for name, table in tables.items():
            _insert(table, self.rows[name])
        _sync_sequences(Customer, Opportunity)


def _staff(seed: int) -> tuple[list[int], list[int]]:
    first = _next_id(User)
    rows = [
        {"id": first + n, "email": f"planted-{seed}-{first + n}@example.invalid",
         "name": f"Planted {'manager' if n >= len(SKILLS) else 'rep'} {n + 1}",
         "role": Role.MANAGER if n >= len(SKILLS) else Role.SALES, "password_hash": ""}
        for n in range(len(SKILLS) + 2)
    ]  # fmt: skip
    _insert(User.__table__, rows)
    _sync_sequences(User)
    ids = [row["id"] for row in rows]
    return ids[: len(SKILLS)], ids[len(SKILLS) :]


def write_history(*, seed: int = 7, deals: int = 3_000, now: datetime | None = None):
    """Write `deals` synthetic deals (with customers, stage histories, activities and sent
    quotes) created over the two years before `now`; returns the PlantedWorld."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    owners, managers = _staff(seed)
    skills = dict(zip(owners, SKILLS, strict=True))
    best = dict(zip(OPEN_STAGES, rng.sample(ACTIONS, len(OPEN_STAGES)), strict=True))
    writer = _Writer(rng, now, owners, managers, default_pipeline(), best)
    writer.pipeline_currency = current_app.config["DEFAULT_CURRENCY"]
    for _ in range(deals):
        owner = rng.choice(owners)
        writer.deal(owner, skills[owner])
    writer.flush()
    _sync_sequences(Activity, Quote, StageChange)
    return PlantedWorld(now, deals, writer.closed, best, skills)
