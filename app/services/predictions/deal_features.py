"""What the deal predictions (win probability, next best action) know about deals: each
deal's stage spans rebuilt from its stage history, the activities logged at its customer,
the quotes sent for it, and how its owner's and similar deals closed. Everything is read in
a few bulk queries and then looked up by time, so a snapshot of a deal as it was months ago
sees only what had happened by then (no leakage from the future into a training example).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.identity import Role, User
from app.models.orders import Quote
from app.models.sales import Opportunity, OpportunityStage, PipelineStage, StageChange
from app.services.opportunities import DEFAULT_PROBABILITIES

DAY = 86_400.0
S = OpportunityStage
OPEN_STAGES = (S.PROSPECTING, S.QUALIFICATION, S.PROPOSAL, S.NEGOTIATION)
# No activity at all reads as a year of silence (a finite value a model can weigh).
SILENCE_DAYS = 365.0
# Smoothing of win rates toward the overall rate: a rate from 3 deals says little.
PRIOR_WEIGHT = 5.0

FEATURES = (
    "stage:QUALIFICATION",
    "stage:PROPOSAL",
    "stage:NEGOTIATION",
    "age_days",
    "stage_days",
    "amount",
    "activity_days",
    "owner_win_rate",
    "similar_win_rate",
)
# Heavy-tailed figures enter the model as log(1 + x).
LOGGED = frozenset({"age_days", "stage_days", "amount", "activity_days"})


def _rows(statement):
    """Plain rows of a select, without the ORM's per-row bookkeeping (many thousands)."""
    return db.session.connection().execute(statement)


def timestamp(moment: datetime) -> float:
    return moment.timestamp()


@dataclasses.dataclass
class Deal:
    """One opportunity as the predictions see it; times are POSIX seconds."""

    id: int
    owner_id: int | None
    customer_id: int
    pipeline_id: int
    stage: OpportunityStage
    amount: float
    created: float
    closed: float | None
    # (stage, entered, left or None while still in it), oldest first.
    spans: list[tuple[OpportunityStage, float, float | None]]

    @property
    def won(self) -> bool | None:
        """True or False for a closed deal, None for an open one."""
        if self.closed is None:
            return None
        return self.stage is S.CLOSED_WON

    def open_spans(self) -> list[tuple[OpportunityStage, float, float | None]]:
        return [span for span in self.spans if span[0] in OPEN_STAGES]


def amount_band(amount: float) -> int:
    """Deals of a similar size: by order of magnitude, below 1,000 and from 10 million
    lumped together."""
    return min(7, max(3, int(math.log10(max(amount, 1.0)))))


class _Rates:
    """Outcomes by closing time, to answer "the win rate of these deals closed before t"."""

    def __init__(self):
        self.pairs: list[tuple[float, int]] = []

    def add(self, closed: float, won: bool) -> None:
        self.pairs.append((closed, int(won)))

    def freeze(self) -> _Rates:
        self.pairs.sort()
        self.times = [t for t, _ in self.pairs]
        self.wins = [0]
        for _, won in self.pairs:
            self.wins.append(self.wins[-1] + won)
        return self

    def before(self, at: float) -> tuple[int, int]:
        """(closed, won) among deals closed strictly before `at`."""
        n = bisect.bisect_left(self.times, at)
        return n, self.wins[n]


def _smoothed(closed: int, won: int, prior: float) -> float:
    return (won + PRIOR_WEIGHT * prior) / (closed + PRIOR_WEIGHT)


class DealHistory:
    """Every deal created by `now` with its stage spans, and what happened around them."""

    def __init__(self, now: datetime):
        self.now = timestamp(now)
        self.deals: dict[int, Deal] = {}
        self._load_deals(now)
        self._load_activities(now)
        self._load_quotes(now)
        self.managers = set(
            db.session.scalars(sa.select(User.id).where(User.role.in_([Role.MANAGER, Role.ADMIN])))
        )
        self.defaults = {
            (pipeline_id, stage): probability / 100
            for pipeline_id, stage, probability in db.session.execute(
                sa.select(PipelineStage.pipeline_id, PipelineStage.stage, PipelineStage.probability)
            )
        }
        self._index_outcomes()

    def _load_deals(self, now: datetime) -> None:
        o = Opportunity
        rows = _rows(
            sa.select(o.id, o.owner_id, o.customer_id, o.pipeline_id, o.stage, o.amount,
                      o.created_at, o.closed_at, o.stage_changed_at)
            .where(o.created_at <= now)
            .order_by(o.id)
        )  # fmt: skip
        for id_, owner, customer, pipeline, stage, amount, created, closed, changed in rows:
            # A deal closed after `now` was still open then, in the stage it had reached.
            self.deals[id_] = Deal(
                id_, owner, customer, pipeline, stage, float(amount or 0), timestamp(created),
                timestamp(closed) if closed is not None and closed <= now else None,
                [(stage, timestamp(changed or created), None)],
            )  # fmt: skip
        spans = defaultdict(list)
        changes = _rows(
            sa.select(StageChange.opportunity_id, StageChange.to_stage, StageChange.changed_at)
            .where(StageChange.changed_at <= now)
            .order_by(StageChange.opportunity_id, StageChange.changed_at, StageChange.id)
        )
        for deal_id, stage, changed in changes:
            if deal_id in self.deals:
                spans[deal_id].append((stage, timestamp(changed)))
        for deal_id, entered in spans.items():
            deal = self.deals[deal_id]
            deal.spans = [
                (stage, start, entered[n + 1][1] if n + 1 < len(entered) else None)
                for n, (stage, start) in enumerate(entered)
            ]
            last = entered[-1][0]
            if deal.closed is None and last.is_closed:
                deal.closed = entered[-1][1]
            if deal.closed is not None and not last.is_closed:
                deal.closed = None  # reopened after closing: open again as of `now`
            deal.stage = last

    def _load_activities(self, now: datetime) -> None:
        """Touchpoints at the deals' customers (calls, emails, meetings, notes; planned
        tasks and cancelled items are not something that happened)."""
        self.timelines: dict[int, tuple[list[float], list[str], list[int | None]]] = {}
        rows = _rows(
            sa.select(Activity.customer_id, Activity.occurred_at, Activity.kind, Activity.owner_id)
            .where(
                Activity.customer_id.in_(sa.select(Opportunity.customer_id).distinct()),
                Activity.kind != ActivityKind.TASK,
                Activity.status != ActivityStatus.CANCELLED,
                Activity.occurred_at <= now,
            )
            .order_by(Activity.customer_id, Activity.occurred_at, Activity.id)
        )
        for customer_id, occurred, kind, owner_id in rows:
            times, kinds, owners = self.timelines.setdefault(customer_id, ([], [], []))
            times.append(timestamp(occurred))
            kinds.append(kind.value)
            owners.append(owner_id)

    def _load_quotes(self, now: datetime) -> None:
        self.quotes_sent: dict[int, list[float]] = defaultdict(list)
        rows = _rows(
            sa.select(Quote.opportunity_id, Quote.sent_at)
            .where(Quote.opportunity_id.is_not(None), Quote.sent_at.is_not(None))
            .where(Quote.sent_at <= now)
            .order_by(Quote.sent_at)
        )
        for deal_id, sent in rows:
            self.quotes_sent[deal_id].append(timestamp(sent))

    def _index_outcomes(self) -> None:
        self._all = _Rates()
        self._owners: dict[int | None, _Rates] = defaultdict(_Rates)
        self._similar: dict[tuple, _Rates] = defaultdict(_Rates)
        self._stages: dict[OpportunityStage, _Rates] = defaultdict(_Rates)
        for deal in self.deals.values():
            if deal.closed is None:
                continue
            self._all.add(deal.closed, deal.won)
            self._owners[deal.owner_id].add(deal.closed, deal.won)
            band = amount_band(deal.amount)
            for stage in {span[0] for span in deal.open_spans()}:
                self._similar[(stage, band)].add(deal.closed, deal.won)
                self._stages[stage].add(deal.closed, deal.won)
        groups = (self._owners, self._similar, self._stages)
        for rates in (self._all, *(rates for group in groups for rates in group.values())):
            rates.freeze()

    def closed_deals(self) -> list[Deal]:
        return [deal for deal in self.deals.values() if deal.closed is not None]

    def open_deals(self) -> list[Deal]:
        return [deal for deal in self.deals.values() if deal.closed is None]

    def stage_default(self, deal: Deal, stage: OpportunityStage) -> float:
        """The pipeline's default probability of `stage`, 0-1."""
        fallback = DEFAULT_PROBABILITIES[stage] / 100
        return self.defaults.get((deal.pipeline_id, stage), fallback)

    def activities(self, customer_id: int, start: float, end: float) -> range:
        """Positions in the customer's timeline of what happened in [start, end]."""
        times = self.timelines.get(customer_id, ([], [], []))[0]
        return range(bisect.bisect_left(times, start), bisect.bisect_right(times, end))

    def features(self, deal: Deal, stage: OpportunityStage, entered: float, at: float) -> dict:
        """The raw figures of `deal` at `stage` (entered at `entered`) as of time `at`,
        from what had happened by then."""
        times = self.timelines.get(deal.customer_id, ([], [], []))[0]
        last = bisect.bisect_right(times, at)
        closed, won = self._all.before(at)
        prior = _smoothed(closed, won, 0.3)
        owner = self._owners.get(deal.owner_id)
        reached = self._stages.get(stage)
        stage_rate = _smoothed(*reached.before(at), prior) if reached else prior
        similar = self._similar.get((stage, amount_band(deal.amount)))
        return {
            "stage": stage,
            "age_days": max(0.0, (at - deal.created) / DAY),
            "stage_days": max(0.0, (at - entered) / DAY),
            "amount": deal.amount,
            "activity_days": (at - times[last - 1]) / DAY if last else SILENCE_DAYS,
            "owner_win_rate": _smoothed(*owner.before(at), prior) if owner else prior,
            # Deals of the same size that reached this stage, and all that reached it: the
            # model weighs the difference (the stage itself is a feature of its own).
            "similar_win_rate": _smoothed(*similar.before(at), stage_rate)
            if similar
            else stage_rate,
            "stage_win_rate": stage_rate,
        }


def vector(raw: dict) -> list[float]:
    """The model's inputs from a snapshot's raw figures, in FEATURES order."""
    row = []
    for name in FEATURES:
        if name.startswith("stage:"):
            row.append(1.0 if raw["stage"].value == name[6:] else 0.0)
        elif name in LOGGED:
            row.append(math.log1p(max(0.0, raw[name])))
        elif name == "similar_win_rate":
            row.append(raw[name] - raw["stage_win_rate"])
        else:
            row.append(float(raw[name]))
    return row


def snapshot_time(entered: float, left: float | None, now: float) -> float:
    """When a training example looks at a deal in a stage: halfway through its stay, as an
    open deal seen on an ordinary day is, on average."""
    return entered + ((left if left is not None else now) - entered) / 2
