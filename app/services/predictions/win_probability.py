"""Opportunity win probability: the chance an open deal is won, learned from the company's
closed deals and shown beside the stage's default probability with the factors behind it.

Training examples are snapshots of closed deals as they were halfway through each open
stage they went through (rebuilt from the stage history), labelled by how the deal closed;
each snapshot's figures (age, time in stage, amount, activity recency, the owner's and
similar deals' win rates) come only from what had happened by then. Versions are tested on
the deals closed most recently (a time split by closing date) against the stage defaults'
Brier score. With fewer than 40 won or 40 lost deals the stage defaults stand in (RULES).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.base import utcnow
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.models.sales import Opportunity
from app.services.predictions import classifier, deal_features, model_store
from app.services.predictions.deal_features import DealHistory, vector

KIND = PredictionKind.WIN
ALGORITHM = "logistic regression (L2) on stage snapshots"
RULES_ALGORITHM = "stage default probabilities"
BATCH = 1_000
TOP_FACTORS = 3
# A push smaller than this (in logit units) is not worth showing as a factor.
MIN_WEIGHT = 0.05

FACTOR_LABELS = {
    "stage": _l("Stage"),
    "age_days": _l("Age of the deal"),
    "stage_days": _l("Time in the current stage"),
    "amount": _l("Amount"),
    "activity_days": _l("Days since the last activity"),
    "owner_win_rate": _l("Owner's win rate"),
    "similar_win_rate": _l("Win rate of similar deals"),
}


def snapshots(history: DealHistory) -> list[tuple]:
    """(deal, raw figures, label) for every open stage each closed deal went through."""
    found = []
    for deal in history.closed_deals():
        for stage, entered, left in deal.open_spans():
            at = deal_features.snapshot_time(entered, left, history.now)
            found.append((deal, history.features(deal, stage, entered, at), int(deal.won)))
    return found


def _rules_version(actor, history, examples, notice, started) -> PredictionModel:
    metrics = {}
    if examples:
        labels = [label for _, _, label in examples]
        defaults = [history.stage_default(deal, raw["stage"]) for deal, raw, _ in examples]
        metrics = {"stage_default": classifier.evaluate(labels, defaults)}
    return model_store.save_version(
        KIND, PredictionMode.RULES, actor=actor, algorithm=RULES_ALGORITHM,
        rows=len(examples), positives=sum(label for _, _, label in examples),
        metrics=metrics, params={}, notice=notice, seconds=time.monotonic() - started,
    )  # fmt: skip


def train(*, actor=None, now: datetime | None = None) -> PredictionModel:
    """Learn from the deals closed before `now`, test on the most recently closed 20 %,
    and store the version (RULES with a notice when there is too little history)."""
    started = time.monotonic()
    history = DealHistory(now or utcnow())
    closed = history.closed_deals()
    examples = snapshots(history)
    outcomes = [int(deal.won) for deal in closed]
    if not classifier.enough_history(outcomes) or not examples:
        won = sum(outcomes)
        notice = gettext(
            "Stage default probabilities are in use: a model needs at least %(needed)d won "
            "and %(needed)d lost deals, and there are %(won)d won and %(lost)d lost.",
            needed=classifier.MIN_CLASS_EXAMPLES, won=won, lost=len(outcomes) - won,
        )  # fmt: skip
        return _rules_version(actor, history, examples, notice, started)
    _, _, cutoff = classifier.time_split([deal.closed for deal in closed])
    train_set = [e for e in examples if e[0].closed < cutoff]
    test_set = [e for e in examples if e[0].closed >= cutoff]
    model = classifier.fit_logistic(
        [vector(raw) for _, raw, _ in train_set],
        [label for _, _, label in train_set],
        deal_features.FEATURES,
    )
    labels = [label for _, _, label in test_set]
    predicted = model.predict(np.asarray([vector(raw) for _, raw, _ in test_set]))
    defaults = [history.stage_default(deal, raw["stage"]) for deal, raw, _ in test_set]
    metrics = classifier.evaluate(labels, predicted)
    metrics["stage_default"] = classifier.evaluate(labels, defaults)
    metrics["deals"] = {"closed": len(closed), "won": sum(outcomes)}
    if metrics["brier"] >= metrics["stage_default"]["brier"]:
        # A model no better than the defaults on the newest deals is not put to use.
        notice = gettext(
            "The trained model did no better than the stage defaults on the most recently "
            "closed deals (Brier score %(model)s against %(baseline)s): the stage default "
            "probabilities are in use.",
            model=f"{metrics['brier']:.3f}", baseline=f"{metrics['stage_default']['brier']:.3f}",
        )  # fmt: skip
        return model_store.save_version(
            KIND, PredictionMode.RULES, actor=actor, algorithm=RULES_ALGORITHM,
            rows=len(examples), positives=sum(label for _, _, label in examples),
            train_rows=len(train_set), test_rows=len(test_set),
            cutoff=datetime.fromtimestamp(cutoff, tz=UTC), metrics=metrics, params={},
            notice=notice, seconds=time.monotonic() - started,
        )  # fmt: skip
    return model_store.save_version(
        KIND, PredictionMode.MODEL, actor=actor, algorithm=ALGORITHM,
        rows=len(examples), positives=sum(label for _, _, label in examples),
        train_rows=len(train_set), test_rows=len(test_set),
        cutoff=datetime.fromtimestamp(cutoff, tz=UTC),
        metrics=metrics, params={"model": model.to_params()}, notice="",
        seconds=time.monotonic() - started,
    )  # fmt: skip


def _display(name: str, raw: dict):
    value = raw[name]
    return round(float(value), 3) if name.endswith("_rate") else round(float(value), 1)


def explain(model: classifier.LogisticModel, raw: dict) -> list[dict]:
    """The top factors pushing this deal's probability up and down, strongest first within
    each direction: the stage indicators count as one factor, "stage"."""
    pushes: dict[str, float] = {}
    for part in model.explain(vector(raw)):
        name = "stage" if part.feature.startswith("stage:") else part.feature
        pushes[name] = pushes.get(name, 0.0) + part.weight
    factors = []
    for name, weight in sorted(pushes.items(), key=lambda item: -item[1]):
        if abs(weight) < MIN_WEIGHT:
            continue
        factor = {"feature": name, "weight": round(weight, 3)}
        if name == "stage":
            factor |= {"label": raw["stage"].value, "value": None}
        else:
            factor["value"] = _display(name, raw)
        factors.append(factor)
    up = [f for f in factors if f["weight"] > 0][:TOP_FACTORS]
    down = [f for f in reversed(factors) if f["weight"] < 0][:TOP_FACTORS]
    return up + down


def _write(rows: list[dict]) -> None:
    table = Opportunity.__table__
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("deal_id"))
        .values(
            win_score=sa.bindparam("score"),
            win_factors=sa.bindparam("factors"),
            win_scored_at=sa.bindparam("at"),
            updated_at=table.c.updated_at,  # a score is not an edit of the deal
        )
    )
    connection = db.session.connection()
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start : start + BATCH])


def score_all(*, now: datetime | None = None) -> int:
    """Write win_score (0-100) and win_factors on every open deal with the newest version
    (the stage default when the newest is RULES or there is none); returns how many."""
    moment = now or utcnow()
    version = model_store.latest(KIND)
    history = DealHistory(moment)
    model = None
    if version is not None and version.mode is PredictionMode.MODEL:
        model = classifier.LogisticModel.from_params(version.params["model"])
    rows = []
    for deal in history.open_deals():
        stage, entered, _ = deal.spans[-1]
        if stage not in deal_features.OPEN_STAGES:
            continue
        raw = history.features(deal, stage, entered, history.now)
        if model is None:
            probability = history.stage_default(deal, stage)
            factors = [{"feature": "stage", "label": stage.value, "value": None, "weight": 0.0}]
        else:
            probability = float(model.predict(np.asarray([vector(raw)]))[0])
            factors = explain(model, raw)
        rows.append(
            {"deal_id": deal.id, "score": int(round(probability * 100)), "factors": factors,
             "at": moment}
        )  # fmt: skip
    _write(rows)
    if version is not None:
        version.scored = len(rows)
        db.session.flush()
    return len(rows)


def evaluate_planted(*, seed: int = 7, size: float = 1.0) -> dict:
    """Write a synthetic deal history with planted drivers of winning (recent activity and
    the owner's skill raise it, long stagnation lowers it), train on its past, test on the
    most recently closed deals and return the figures against the stage defaults."""
    from app.services.predictions import planted_deals

    world = planted_deals.write_history(seed=seed, deals=int(round(3_000 * size)))
    version = train(now=world.now)
    metrics = version.metrics
    baseline = metrics.get("stage_default") or {}
    return {
        "mode": version.mode.value,
        "deals": world.deals,
        "closed_deals": world.closed,
        "train_rows": version.train_rows,
        "test_rows": version.test_rows,
        "auc": metrics.get("auc"),
        "brier_model": metrics.get("brier"),
        "ece": metrics.get("ece"),
        "brier_stage_default": baseline.get("brier"),
        "auc_stage_default": baseline.get("auc"),
    }
