"""Next best action: on a planted history the evidence finds each stage's planted best
action (the playbook does not); the stage x action table never counts deals closed after
the time split; below enough closed deals the playbook stands in with a notice; the
evidence quoted is the deal's own stage's counts; an action already taken in the stage is
not suggested again; accepting one makes a task for the deal's owner through the activity
service (audited), and only for someone who may see the deal."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.identity import Role
from app.models.predictions import PredictionMode
from app.models.records import AuditEntry
from app.models.sales import Opportunity, OpportunityStage, StageChange
from app.permissions import PermissionDenied
from app.services.predictions import deal_features, next_action, planted_deals
from tests.factories import make_opportunity, make_user

S = OpportunityStage


def test_on_planted_deals_the_evidence_finds_each_stages_best_action():
    figures = next_action.evaluate_planted(seed=8, size=0.7)
    assert figures["mode"] == "MODEL" and figures["closed_deals"] >= 2_000
    assert figures["stages_recovered"] == 4
    assert figures["suggested_equals_planted"] >= 0.9
    assert figures["suggested_equals_planted"] > figures["rules_equals_planted"] + 0.3
    # Deals that did what was suggested won more often (the planted lift is real).
    assert figures["followed_win_rate"] > figures["not_followed_win_rate"] + 0.05


def _flip(now, keep):
    """Swap won and lost for the closed deals `keep(closed_time)` selects."""
    for deal in deal_features.DealHistory(now).closed_deals():
        if not keep(deal.closed):
            continue
        flipped = S.CLOSED_LOST if deal.won else S.CLOSED_WON
        table = StageChange.__table__
        closing = table.c.to_stage.in_([S.CLOSED_WON, S.CLOSED_LOST])
        db.session.execute(
            sa.update(table)
            .where(table.c.opportunity_id == deal.id, closing)
            .values(to_stage=flipped)
        )


def test_the_table_never_counts_deals_closed_after_the_cutoff(monkeypatch):
    monkeypatch.setattr(next_action, "MIN_CLOSED_DEALS", 100)
    world = planted_deals.write_history(seed=4, deals=500)
    first = next_action.train(now=world.now)
    assert first.mode is PredictionMode.MODEL and first.cutoff is not None
    cutoff = first.cutoff.timestamp()
    _flip(world.now, lambda closed: closed >= cutoff)
    second = next_action.train(now=world.now)
    assert second.params["table"] == first.params["table"]
    assert second.metrics["followed_win_rate"] != first.metrics["followed_win_rate"]
    _flip(world.now, lambda closed: closed < cutoff)
    assert next_action.train(now=world.now).params["table"] != first.params["table"]


def test_too_little_history_uses_the_playbook_and_says_so():
    rep = make_user(Role.SALES)
    make_opportunity(rep, stage="CLOSED_WON")
    deal = make_opportunity(rep, stage="NEGOTIATION")
    version = next_action.train()
    assert version.mode is PredictionMode.RULES
    assert "at least 2000 closed deals" in version.notice and "there are 1" in version.notice
    suggestion = next_action.suggest(deal)
    assert suggestion["action"] == "manager" and suggestion["source"] == "rules"
    assert suggestion["notice"] == version.notice
    assert next_action.suggest(make_opportunity(rep, stage="CLOSED_LOST")) is None


def _stage_history(deal, path):
    """Replace `deal`'s stage history with `path`: (stage, days ago) pairs."""
    now = utcnow()
    table = StageChange.__table__
    db.session.execute(sa.delete(table).where(table.c.opportunity_id == deal.id))
    db.session.execute(
        table.insert(),
        [{"opportunity_id": deal.id, "to_stage": stage, "changed_at": now - timedelta(days=ago)}
         for stage, ago in path],
    )  # fmt: skip
    last, ago = path[-1]
    db.session.execute(
        sa.update(Opportunity.__table__)
        .where(Opportunity.__table__.c.id == deal.id)
        .values(stage=last, stage_changed_at=now - timedelta(days=ago),
                closed_at=now - timedelta(days=ago) if last.is_closed else None)
    )  # fmt: skip


def _logged(owner, deal, kind, days_ago):
    db.session.execute(
        Activity.__table__.insert(),
        {"kind": kind, "subject": kind.value, "occurred_at": utcnow() - timedelta(days=days_ago),
         "status": ActivityStatus.DONE, "customer_id": deal.customer_id, "owner_id": owner.id,
         "custom": {}},
    )  # fmt: skip


@pytest.fixture
def small_thresholds(monkeypatch):
    monkeypatch.setattr(next_action, "MIN_CLOSED_DEALS", 5)
    monkeypatch.setattr(next_action, "MIN_STAGE_DEALS", 3)


def test_the_evidence_is_the_stages_own_counts(small_thresholds):
    rep = make_user(Role.SALES)
    for n in range(10):
        won = n % 2 == 0
        deal = make_opportunity(rep)
        # Entered Proposal 60 - n days ago, closed 50 - n days ago: the newest two are the
        # test period.
        _stage_history(
            deal, [(S.PROPOSAL, 60 - n), (S.CLOSED_WON if won else S.CLOSED_LOST, 50 - n)]
        )
        _logged(rep, deal, ActivityKind.MEETING if won else ActivityKind.CALL, 58 - n)
    open_deal = make_opportunity(rep)
    _stage_history(open_deal, [(S.PROSPECTING, 20), (S.PROPOSAL, 3)])
    db.session.commit()
    version = next_action.train()
    assert version.mode is PredictionMode.MODEL and version.train_rows == 8
    proposal = version.params["table"]["PROPOSAL"]
    assert proposal["won"] == 4 and proposal["lost"] == 4
    assert proposal["actions"]["meeting"] == [4, 0] and proposal["actions"]["call"] == [0, 4]
    suggestion = next_action.suggest(db.session.get(Opportunity, open_deal.id))
    assert suggestion["action"] == "meeting" and suggestion["source"] == "evidence"
    assert suggestion["evidence"] == {"won": 4, "won_of": 4, "lost": 0, "lost_of": 4}
    text = next_action.evidence_text(db.session.get(Opportunity, open_deal.id), suggestion)
    assert text == (
        "In 4 of 4 won deals at Proposal, a meeting followed within 7 days; in 0 of 4 lost deals."
    )
    # Once a meeting is held in this stage, it is not suggested again.
    _logged(rep, open_deal, ActivityKind.MEETING, 1)
    again = next_action.suggest(db.session.get(Opportunity, open_deal.id))
    assert again["done"] == ["meeting"] and again["action"] == "proposal"
    assert again["source"] == "rules"  # nothing else helped in the evidence


def test_accepting_makes_an_audited_task_for_the_deals_owner():
    manager = make_user(Role.MANAGER)
    rep = make_user(Role.SALES, team=manager.team)
    deal = make_opportunity(rep, stage="PROPOSAL", name="Acme rollout")
    task = next_action.accept(deal, rep, "proposal")
    db.session.commit()
    assert task.kind is ActivityKind.TASK and task.status is ActivityStatus.OPEN
    assert task.owner_id == rep.id and task.customer_id == deal.customer_id
    assert task.subject == "Send a proposal: Acme rollout"
    assert timedelta(days=1) < task.due_at - utcnow() <= timedelta(days=2)
    assert task.description == "A suggestion of the sales playbook for this stage."
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "activities")
    ).all()
    assert [entry.entity_id for entry in audit] == [str(task.id)]
    with pytest.raises(PermissionDenied):
        next_action.accept(deal, make_user(Role.SALES), "proposal")
    with pytest.raises(ValueError):
        next_action.accept(deal, rep, "bribe")


def test_activity_kinds_and_managers_map_to_actions():
    rep, manager = make_user(Role.SALES), make_user(Role.MANAGER)
    managers = {manager.id}
    assert next_action.action_of(ActivityKind.MEETING, rep.id, rep.id, managers) == "meeting"
    assert next_action.action_of(ActivityKind.NOTE, rep.id, rep.id, managers) is None
    assert next_action.action_of(ActivityKind.NOTE, manager.id, rep.id, managers) == "manager"
    # A manager working their own deal is not "involving a manager".
    assert next_action.action_of(ActivityKind.CALL, manager.id, manager.id, managers) == "call"
