"""Opportunity win probability: on a planted history the model beats the stage defaults'
Brier score and recovers the planted drivers; it never learns from deals closed after its
time split; with too little history the stage defaults stand in with a notice; the factors
stored on a deal are that deal's own figures; scoring leaves the deal's version alone; the
weighted pipeline can be weighted by the predicted probability."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.models.sales import Opportunity, OpportunityStage, StageChange
from app.services import forecasts, targets
from app.services.predictions import (
    classifier,
    deal_features,
    model_store,
    planted_deals,
    win_probability,
)
from tests.factories import make_opportunity, make_user

S = OpportunityStage


def _coefficients(version: PredictionModel) -> dict[str, float]:
    params = version.params["model"]
    return dict(zip(params["features"], params["coefficients"], strict=True))


def test_on_planted_deals_the_model_beats_the_stage_defaults_and_finds_the_drivers():
    figures = win_probability.evaluate_planted(seed=7, size=0.3)
    assert figures["mode"] == "MODEL" and figures["closed_deals"] > 800
    assert figures["test_rows"] > 300
    assert figures["brier_model"] < figures["brier_stage_default"] - 0.01
    assert figures["auc"] >= 0.75 and figures["auc"] > figures["auc_stage_default"]
    version = model_store.latest(PredictionKind.WIN)
    assert version.metrics["stage_default"]["brier"] == figures["brier_stage_default"]
    coefficients = _coefficients(version)
    # Planted: skilled owners and recent activity raise winning, stagnation lowers it.
    assert coefficients["owner_win_rate"] > 0.2
    assert coefficients["activity_days"] < 0
    assert coefficients["stage_days"] < -0.2
    assert abs(coefficients["amount"]) < 0.15  # the amount was planted as noise


def _flip_outcomes(now, closed_from: float | None = None, closed_before: float | None = None):
    """Turn won into lost and lost into won for the deals closed in the given range."""
    history = deal_features.DealHistory(now)
    chosen = [
        deal
        for deal in history.closed_deals()
        if (closed_from is None or deal.closed >= closed_from)
        and (closed_before is None or deal.closed < closed_before)
    ]
    for deal in chosen:
        flipped = S.CLOSED_LOST if deal.won else S.CLOSED_WON
        db.session.execute(
            sa.update(Opportunity.__table__)
            .where(Opportunity.__table__.c.id == deal.id)
            .values(stage=flipped)
        )
        db.session.execute(
            sa.update(StageChange.__table__)
            .where(StageChange.__table__.c.opportunity_id == deal.id)
            .where(StageChange.__table__.c.to_stage.in_([S.CLOSED_WON, S.CLOSED_LOST]))
            .values(to_stage=flipped)
        )
    return len(chosen)


def test_deals_closed_after_the_cutoff_never_influence_training():
    world = planted_deals.write_history(seed=11, deals=600)
    first = win_probability.train(now=world.now)
    cutoff = first.cutoff.timestamp()
    assert _flip_outcomes(world.now, closed_from=cutoff) > 50
    second = win_probability.train(now=world.now)
    assert second.cutoff == first.cutoff and second.train_rows == first.train_rows
    assert _coefficients(second) == _coefficients(first)
    # The test figures did see the flipped outcomes (the flip was real)...
    assert second.metrics["brier"] != first.metrics["brier"]
    # ...and flipping deals closed before the cutoff does change what is learned.
    _flip_outcomes(world.now, closed_before=cutoff)
    third = win_probability.train(now=world.now)
    assert _coefficients(third) != _coefficients(first)


def test_a_snapshot_sees_only_what_had_happened_by_then():
    world = planted_deals.write_history(seed=5, deals=300)
    history = deal_features.DealHistory(world.now)
    deal = next(d for d in history.closed_deals() if len(d.open_spans()) >= 3)
    stage, entered, left = deal.open_spans()[1]
    at = deal_features.snapshot_time(entered, left, history.now)
    raw = history.features(deal, stage, entered, at)
    owner_closed = [
        d for d in history.closed_deals() if d.owner_id == deal.owner_id and d.closed < at
    ]
    won = sum(d.won for d in owner_closed)
    closed_before = [d for d in history.closed_deals() if d.closed < at]
    prior = (sum(d.won for d in closed_before) + 5 * 0.3) / (len(closed_before) + 5)
    assert raw["owner_win_rate"] == pytest.approx((won + 5 * prior) / (len(owner_closed) + 5))
    assert raw["stage_days"] == pytest.approx((at - entered) / 86_400)
    times = history.timelines.get(deal.customer_id, ([], [], []))[0]
    before = [t for t in times if t <= at]
    expected = (at - before[-1]) / 86_400 if before else deal_features.SILENCE_DAYS
    assert raw["activity_days"] == pytest.approx(expected)


def test_too_little_history_falls_back_to_the_stage_defaults_with_a_notice():
    rep = make_user(Role.SALES)
    for stage in ["CLOSED_WON"] * 3 + ["CLOSED_LOST"] * 2:
        make_opportunity(rep, stage=stage, amount="1000")
    open_deal = make_opportunity(rep, stage="PROPOSAL", amount="5000")
    edited_at, edition = open_deal.updated_at, open_deal.version
    version = win_probability.train()
    assert version.mode is PredictionMode.RULES
    assert "at least 40 won and 40 lost" in version.notice and "3 won and 2 lost" in version.notice
    assert win_probability.score_all() == 1
    db.session.commit()
    db.session.refresh(open_deal)
    assert open_deal.win_score == 50  # the Proposal stage's default
    assert (open_deal.updated_at, open_deal.version) == (edited_at, edition)  # not an edit
    assert open_deal.win_factors == [
        {"feature": "stage", "label": "PROPOSAL", "value": None, "weight": 0.0}
    ]
    assert model_store.latest(PredictionKind.WIN).scored == 1


def test_the_factors_stored_on_a_deal_are_its_own_figures():
    world = planted_deals.write_history(seed=3, deals=900)
    version = win_probability.train(now=world.now)
    assert version.mode is PredictionMode.MODEL
    before = dict(db.session.execute(sa.select(Opportunity.id, Opportunity.version)).all())
    scored = win_probability.score_all(now=world.now)
    db.session.commit()
    history = deal_features.DealHistory(world.now)
    assert scored == len(history.open_deals()) > 20
    model = classifier.LogisticModel.from_params(version.params["model"])
    for deal in history.open_deals()[:20]:
        row = db.session.get(Opportunity, deal.id)
        stage, entered, _ = deal.spans[-1]
        raw = history.features(deal, stage, entered, history.now)
        logit = sum(part.weight for part in model.explain(deal_features.vector(raw)))
        probability = 1 / (1 + math.exp(-(logit + model.intercept)))
        assert row.win_score == round(probability * 100)
        assert row.win_factors, "every scored deal lists its factors"
        for factor in row.win_factors:
            if factor["feature"] == "stage":
                assert factor["label"] == row.stage.value
            else:
                assert factor["value"] == pytest.approx(raw[factor["feature"]], abs=0.051)
        weights = [factor["weight"] for factor in row.win_factors]
        ups = [w for w in weights if w > 0]
        assert ups == sorted(ups, reverse=True) and len(ups) <= 3
    after = dict(db.session.execute(sa.select(Opportunity.id, Opportunity.version)).all())
    assert after == before  # scoring never makes an open form stale
    closed = db.session.scalars(
        sa.select(Opportunity.win_score).where(Opportunity.closed_at.is_not(None))
    ).all()
    assert set(closed) == {None}


def test_the_weighted_pipeline_can_use_the_predicted_probability():
    rep = make_user(Role.SALES)
    quarter = forecasts.next_quarter(targets.today())
    close = (quarter.start + timedelta(days=10)).isoformat()
    scored = make_opportunity(rep, stage="PROPOSAL", amount="1000", expected_close_date=close)
    unscored = make_opportunity(rep, stage="PROPOSAL", amount="2000", expected_close_date=close)
    db.session.execute(
        sa.update(Opportunity.__table__)
        .where(Opportunity.__table__.c.id == scored.id)
        .values(win_score=80)
    )
    db.session.commit()
    assert unscored.win_score is None and isinstance(quarter.start, date)
    by_stage = forecasts.weighted_pipeline(quarter)[forecasts.COMPANY]
    predicted = forecasts.weighted_pipeline(quarter, "predicted")[forecasts.COMPANY]
    assert str(by_stage[0]) == "1500.00"  # 50 % of both
    assert str(predicted[0]) == "1800.00"  # 80 % of 1,000 and the stage's 50 % of 2,000
    assert predicted[1] == by_stage[1] == 2
