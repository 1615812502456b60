"""Churn risk per customer: the probability that a customer who ordered in the last year
places no order in the next 180 days, its level (low < 0.4 <= medium < 0.7 <= high), the
factors behind it and the retention actions they call for.

Training takes monthly snapshots of every active customer (features from the records
dated before the snapshot day; label: no order in the 180 days from it), splits them by
time (test: the newest 20 %; train: only snapshots whose 180-day label window ends before
the test period starts, so nothing after the cutoff is learnt from) and fits a
regularised logistic regression. With too little history, points-based rules score the
customers instead and the pages say so. `score_all` stores the figures on customers.
"""

from __future__ import annotations

import dataclasses
import math
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.services.predictions import classifier, model_store
from app.services.predictions.churn_factors import level, model_factors, rules_risk
from app.services.predictions.churn_features import (
    ACTIVE_DAYS,
    FEATURES,
    HORIZON,
    OPTIONAL,
    churned,
    day_of,
    load,
    snapshot,
    vector,
)
from app.services.predictions.planted_history import day_start

KIND = PredictionKind.CHURN
STEP_DAYS = 30  # one snapshot of every active customer a month
MAX_SNAPSHOTS = 36
MIN_HISTORY_DAYS = 90  # the first snapshot comes this long after the first order
DEFAULT_FILL = {"csat": 4.0, "nps": 7.0}
BATCH = 1000
MAX_SNAPSHOT_ROWS = 200_000  # beyond this, training learns from a sample of the customers


@dataclasses.dataclass(frozen=True)
class Snapshot:
    day: int
    customer_id: int
    features: dict
    label: int


def _moment(day: int) -> datetime:
    return datetime.combine(date.fromordinal(day), time(), tzinfo=UTC)


def snapshot_days(first_order_day: int, now_day: int) -> list[int]:
    """The snapshot days, oldest first: monthly back from 180 days before `now_day`."""
    days, day = [], now_day - HORIZON
    while day >= first_order_day + MIN_HISTORY_DAYS and len(days) < MAX_SNAPSHOTS:
        days.append(day)
        day -= STEP_DAYS
    return sorted(days)


def snapshots(histories: dict, days: list[int]) -> list[Snapshot]:
    """Every active customer on every day of `days`, with its label."""
    rows = []
    for day in days:
        for customer_id, history in histories.items():
            features = snapshot(history, day)
            if features is not None:
                rows.append(Snapshot(day, customer_id, features, churned(history, day)))
    return rows


def train(*, actor=None, now: datetime | None = None) -> PredictionModel:
    """Learn from the order history before `now` and store a new version: a logistic
    regression with its time-split evaluation, or (too little history) the rules with a
    notice and, when possible, the rules' own figures."""
    started = clock.perf_counter()
    now = now or utcnow()
    histories = load(day_start(now))
    firsts = [history.orders[0] for history in histories.values() if history.orders]
    days = snapshot_days(min(firsts), day_of(now)) if firsts else []
    if len(days) < 2:
        rows = snapshots(histories, days)
        common = {"rows": len(rows), "positives": sum(r.label for r in rows), "algorithm": "rules"}
        return _rules_version(actor, started, rows, [], None, **common)
    # The newest fifth of the snapshot days is the test period (split on the days, not the
    # rows, so records after the cutoff cannot move it).
    cutoff = classifier.time_split(days)[2]
    rows = snapshots(_sample(histories, cutoff, len(days)), days)
    labels = [row.label for row in rows]
    common = {"rows": len(rows), "positives": int(sum(labels)), "algorithm": "rules"}
    train_rows = [row for row in rows if row.day + HORIZON <= cutoff]
    test_rows = [row for row in rows if row.day >= cutoff]
    train_labels = [row.label for row in train_rows]
    test_labels = [row.label for row in test_rows]
    if not classifier.enough_history(train_labels) or len(set(test_labels)) < 2:
        return _rules_version(actor, started, rows, train_rows, cutoff, **common)
    fill = _fill(train_rows)
    model = classifier.fit_logistic(
        [vector(row.features, fill) for row in train_rows], train_labels, FEATURES
    )
    probabilities = model.predict(np.array([vector(row.features, fill) for row in test_rows]))
    metrics = classifier.evaluate(test_labels, probabilities)
    rules = [rules_risk(row.features)[0] for row in test_rows]
    metrics["rules"] = _headline(classifier.evaluate(test_labels, rules))
    metrics["horizon_days"] = HORIZON
    metrics["auc_recent_buyers"] = _recent_auc(test_rows, probabilities)
    if (metrics.get("auc") or 0) <= (metrics["rules"].get("auc") or 0):
        # A model that ranks the newest customers no better than the rules is not used.
        return model_store.save_version(
            KIND, PredictionMode.RULES, actor=actor, train_rows=len(train_rows),
            test_rows=len(test_rows), cutoff=_moment(cutoff), metrics=metrics,
            notice="The trained model did no better than the rules on the most recent "
            "customers: points-based rules score churn risk.",
            seconds=clock.perf_counter() - started, **common,
        )  # fmt: skip
    common["algorithm"] = "logistic regression (L2)"
    return model_store.save_version(
        KIND, PredictionMode.MODEL, actor=actor, train_rows=len(train_rows),
        test_rows=len(test_rows), cutoff=_moment(cutoff), metrics=metrics,
        params=model.to_params() | {"fill": fill, "horizon_days": HORIZON},
        seconds=clock.perf_counter() - started, **common,
    )  # fmt: skip


def _sample(histories: dict, cutoff: int, days: int) -> dict:
    """Every customer, or on a large installation every n-th (by id) so training stays
    within MAX_SNAPSHOT_ROWS snapshots; n counts only customers who ordered before the
    cutoff, so later records cannot change the training set."""
    known = sum(
        1 for history in histories.values() if history.orders and history.orders[0] < cutoff
    )
    step = math.ceil(known * days / MAX_SNAPSHOT_ROWS)
    if step <= 1:
        return histories
    return {customer_id: h for customer_id, h in histories.items() if customer_id % step == 0}


def _recent_auc(rows: list[Snapshot], probabilities) -> float | None:
    """The AUC among customers who ordered in the last 90 days: how well the risk is
    told before the gap since the last order gives it away."""
    recent = [i for i, row in enumerate(rows) if row.features["days_since_last_order"] <= 90]
    labels = [rows[i].label for i in recent]
    if len(set(labels)) < 2:
        return None
    return classifier.evaluate(labels, [float(probabilities[i]) for i in recent])["auc"]


def _headline(figures: dict) -> dict:
    return {key: figures[key] for key in ("auc", "brier")}


def _fill(rows: list[Snapshot]) -> dict:
    """The value an unknown CSAT or NPS takes: the training mean (a neutral default when
    nobody answered)."""
    fill = {}
    for name in OPTIONAL:
        known = [row.features[name] for row in rows if row.features[name] is not None]
        fill[name] = float(np.mean(known)) if known else DEFAULT_FILL[name]
    return fill


def _rules_version(actor, started, every, train_rows, cutoff, **common) -> PredictionModel:
    labels = [row.label for row in every]
    metrics = {"horizon_days": HORIZON}
    if len(set(labels)) == 2:
        metrics["rules"] = _headline(
            classifier.evaluate(labels, [rules_risk(row.features)[0] for row in every])
        )
    kept = sum(1 for row in train_rows if not row.label)
    notice = (
        f"{len(train_rows)} customer snapshots to learn from ({len(train_rows) - kept} churned, "
        f"{kept} kept); a model needs {classifier.MIN_CLASS_EXAMPLES} of each and a test "
        "period with both. Points-based rules score churn risk."
    )
    return model_store.save_version(
        KIND, PredictionMode.RULES, actor=actor, train_rows=len(train_rows),
        cutoff=_moment(cutoff) if cutoff else None, metrics=metrics, notice=notice,
        seconds=clock.perf_counter() - started, **common,
    )  # fmt: skip


class Scorer:
    """Scores customers with a version: its model, or the rules (no version, or RULES)."""

    def __init__(self, version: PredictionModel | None):
        self.version = version
        self.model = None
        self.fill = DEFAULT_FILL
        if version is not None and version.mode is PredictionMode.MODEL:
            self.model = classifier.LogisticModel.from_params(version.params)
            self.fill = version.params.get("fill", DEFAULT_FILL)

    def score(self, features: dict) -> tuple[float, list[dict]]:
        """(risk 0-1, factors) of one customer's features."""
        if self.model is None:
            return rules_risk(features)
        row = vector(features, self.fill)
        risk = float(self.model.predict(np.array([row]))[0])
        return risk, model_factors(features, self.model.explain(row))


def _histories_now(now: datetime, customer_ids=None) -> tuple[int, dict]:
    """The scoring day (today's records included) and the histories it reads."""
    before = day_start(now) + timedelta(days=1)
    since = before - timedelta(days=ACTIVE_DAYS + 1)
    return day_of(before), load(before, since=since, customer_ids=customer_ids)


@dataclasses.dataclass(frozen=True)
class Assessment:
    risk: float
    level: str
    factors: list
    scored_at: datetime | None


def assess(customer_id: int, now: datetime | None = None) -> Assessment | None:
    """One customer's risk computed now with the newest version (what the 360 page shows
    before the first scoring run); None when it has no order in the last year."""
    now = now or utcnow()
    day, histories = _histories_now(now, [customer_id])
    history = histories.get(customer_id)
    features = snapshot(history, day) if history is not None else None
    if features is None:
        return None
    risk, factors = Scorer(model_store.latest(KIND)).score(features)
    return Assessment(risk, level(risk), factors, None)


def stored(customer: Customer) -> Assessment | None:
    """The figures the last scoring run stored on `customer`, if any."""
    if customer.churn_risk is None:
        return None
    return Assessment(
        customer.churn_risk, customer.churn_level or level(customer.churn_risk),
        customer.churn_factors or [], customer.churn_scored_at,
    )  # fmt: skip


def score_all(*, now: datetime | None = None) -> int:
    """Store every active customer's risk, level and factors (customers.churn_*), with
    Core UPDATEs in batches (no audit entry, updated_at kept); customers no longer active
    lose their figures. Returns how many customers were scored."""
    now = now or utcnow()
    scorer = Scorer(model_store.latest(KIND))
    day, histories = _histories_now(now)
    table = Customer.__table__
    db.session.flush()
    db.session.execute(
        table.update()
        .where(table.c.churn_risk.is_not(None))
        .values(churn_risk=None, churn_level=None, churn_factors=None, churn_scored_at=None,
                updated_at=table.c.updated_at)
    )  # fmt: skip
    statement = (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"))
        .values(
            churn_risk=sa.bindparam("b_risk"),
            churn_level=sa.bindparam("b_level"),
            churn_factors=sa.bindparam("b_factors", type_=table.c.churn_factors.type),
            churn_scored_at=sa.bindparam("b_at", type_=table.c.churn_scored_at.type),
            updated_at=table.c.updated_at,
        )
    )
    stamp, batch, scored = utcnow(), [], 0
    for customer_id, history in histories.items():
        features = snapshot(history, day)
        if features is None:
            continue
        risk, factors = scorer.score(features)
        batch.append({"b_id": customer_id, "b_risk": round(risk, 6), "b_level": level(risk),
                      "b_factors": factors, "b_at": stamp})  # fmt: skip
        if len(batch) >= BATCH:
            scored += _write(statement, batch)
    scored += _write(statement, batch)
    db.session.expire_all()
    return scored


def _write(statement, batch: list) -> int:
    if batch:
        db.session.connection().execute(statement, batch)
    count = len(batch)
    batch.clear()
    return count


def evaluate_planted(*, seed: int = 7, size: float = 1.0) -> dict:
    """Plant a churn history (known drivers) into the empty database, train on its past,
    score its future: AUC and Brier score on the test period, and the rules' AUC."""
    from app.services.predictions import churn_planted

    return churn_planted.evaluate(seed=seed, size=size)
