"""Next best action for an open deal: what usually happened next in won deals at the same
stage, and did not in lost ones, with the evidence ("in 34 of 50 won deals at Proposal a
meeting followed within 7 days; in 12 of 40 lost deals"). One click makes it a task.

An action is read from what was logged in a stage's first week (or until the deal left
it): a meeting, a call or an email at the customer, a quote sent for the deal, or any
activity there by a manager other than the deal's owner ("involve a manager"). A version
stores the stage x action table of the deals closed before its time split; the suggestion
for a stage is the action with the largest lift (its share among won deals less its share
among lost deals). Below 2,000 closed deals such a table picks noise, so a fixed playbook
(RULES) stands in and says so. Observational evidence: shown as a suggestion.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.identity import Role, User
from app.models.orders import Quote
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.models.sales import Opportunity, OpportunityStage
from app.services import activities
from app.services.opportunities import STAGE_LABELS
from app.services.predictions import classifier, model_store
from app.services.predictions.deal_features import DAY, OPEN_STAGES, DealHistory, timestamp

KIND = PredictionKind.NEXT_ACTION
S = OpportunityStage
ACTIONS = ("meeting", "call", "email", "proposal", "manager")
ACTION_LABELS = {
    "meeting": _l("Schedule a meeting or demo"),
    "call": _l("Call the customer"),
    "email": _l("Send a follow-up email"),
    "proposal": _l("Send a proposal"),
    "manager": _l("Involve a manager"),
}
# What the evidence says happened: "a meeting followed within 7 days".
ACTION_EVENTS = {
    "meeting": _l("a meeting"),
    "call": _l("a call"),
    "email": _l("an email"),
    "proposal": _l("a sent proposal"),
    "manager": _l("a manager's involvement"),
}
KIND_ACTIONS = {
    ActivityKind.MEETING: "meeting",
    ActivityKind.CALL: "call",
    ActivityKind.EMAIL: "email",
}
# The playbook used below MIN_CLOSED_DEALS: per stage, actions in order of preference.
RULES = {
    S.PROSPECTING: ("call", "email", "meeting"),
    S.QUALIFICATION: ("meeting", "call", "email"),
    S.PROPOSAL: ("proposal", "meeting", "call"),
    S.NEGOTIATION: ("manager", "meeting", "call"),
}
WINDOW_DAYS = 7
DUE_DAYS = 2
MIN_CLOSED_DEALS = 2_000
# Won and lost deals a stage needs before its row of the table is used.
MIN_STAGE_DEALS = 20


def action_of(kind: ActivityKind, owner_id, deal_owner_id, managers) -> str | None:
    """Which action one logged activity at the deal's customer counts as (None for notes)."""
    if owner_id in managers and owner_id != deal_owner_id:
        return "manager"
    return KIND_ACTIONS.get(kind)


def actions_taken(history: DealHistory, deal, start: float, end: float) -> set[str]:
    """The actions logged for `deal` between `start` and `end` (POSIX seconds)."""
    _, kinds, owners = history.timelines.get(deal.customer_id, ([], [], []))
    taken = set()
    for i in history.activities(deal.customer_id, start, end):
        action = action_of(ActivityKind(kinds[i]), owners[i], deal.owner_id, history.managers)
        if action:
            taken.add(action)
    if any(start <= sent <= end for sent in history.quotes_sent.get(deal.id, ())):
        taken.add("proposal")
    return taken


def stage_spans(history: DealHistory, deals) -> list[tuple]:
    """(deal, stage, actions in the stage's first week) for each open stage a won deal went
    through and the stage a lost deal was lost at (what separates won deals from those
    that died there; a deal lost later did get through this stage)."""
    found = []
    for deal in deals:
        spans = deal.open_spans()
        for stage, entered, left in spans if deal.won or not spans else spans[-1:]:
            end = min(entered + WINDOW_DAYS * DAY, left if left is not None else history.now)
            found.append((deal, stage, actions_taken(history, deal, entered, end)))
    return found


def stage_table(spans) -> dict:
    """{stage: {"won": n, "lost": n, "actions": {action: [won with it, lost with it]}}}."""
    table = {
        stage.value: {"won": 0, "lost": 0, "actions": {a: [0, 0] for a in ACTIONS}}
        for stage in OPEN_STAGES
    }
    for deal, stage, taken in spans:
        row, column = table[stage.value], 0 if deal.won else 1
        row["won" if deal.won else "lost"] += 1
        for action in taken:
            row["actions"][action][column] += 1
    return table


def ranked(table: dict, stage: OpportunityStage) -> list[tuple[str, float]]:
    """(action, lift) for `stage`, largest lift first; empty when the stage has too few
    won or lost deals to say."""
    row = table.get(stage.value)
    if not row or min(row["won"], row["lost"]) < MIN_STAGE_DEALS:
        return []
    lifts = [
        (action, won / row["won"] - lost / row["lost"])
        for action, (won, lost) in row["actions"].items()
    ]
    return sorted(lifts, key=lambda item: -item[1])


def table_choice(table: dict, stage: OpportunityStage, done=()) -> str | None:
    """The evidence's best action for `stage` not yet `done` (None if nothing helps)."""
    return next((a for a, lift in ranked(table, stage) if lift > 0 and a not in done), None)


def rules_choice(stage: OpportunityStage, done=()) -> str:
    playbook = RULES[stage]
    return next((a for a in playbook if a not in done), playbook[0])


def choose(mode: PredictionMode, table: dict, stage: OpportunityStage, done=()) -> tuple:
    """(action, "evidence" or "rules") for a deal at `stage` that already did `done`."""
    if mode is PredictionMode.MODEL:
        action = table_choice(table, stage, done)
        if action:
            return action, "evidence"
    return rules_choice(stage, done), "rules"


def _win_rate(outcomes: list[int]) -> float | None:
    return sum(outcomes) / len(outcomes) if outcomes else None


def train(*, actor=None, now: datetime | None = None) -> PredictionModel:
    """Count the stage x action table over the deals closed before the time split, test
    the suggestions on the most recently closed 20 % and store the version (RULES, with a
    notice, below MIN_CLOSED_DEALS closed deals)."""
    started = time.monotonic()
    history = DealHistory(now or utcnow())
    closed = history.closed_deals()
    cutoff = None
    train_deals, test_deals = closed, []
    if len(closed) >= 2:
        _, _, cutoff = classifier.time_split([deal.closed for deal in closed])
        train_deals = [deal for deal in closed if deal.closed < cutoff]
        test_deals = [deal for deal in closed if deal.closed >= cutoff]
    train_spans = stage_spans(history, train_deals)
    table = stage_table(train_spans)
    enough = len(closed) >= MIN_CLOSED_DEALS
    mode = PredictionMode.MODEL if enough else PredictionMode.RULES
    followed, other = [], []
    for deal, stage, taken in stage_spans(history, test_deals):
        (followed if choose(mode, table, stage)[0] in taken else other).append(int(deal.won))
    metrics = {
        "closed_deals": len(closed),
        "followed_win_rate": _win_rate(followed),
        "not_followed_win_rate": _win_rate(other),
        "suggestions": {s.value: table_choice(table, s) for s in OPEN_STAGES},
    }
    notice = ""
    if not enough:
        notice = gettext(
            "A playbook is in use: suggestions from the company's own deals need at least "
            "%(needed)d closed deals, and there are %(closed)d.",
            needed=MIN_CLOSED_DEALS, closed=len(closed),
        )  # fmt: skip
    return model_store.save_version(
        KIND, mode, actor=actor,
        algorithm="stage x action lift (won vs lost)" if enough else "sales playbook",
        rows=len(train_spans) + len(followed) + len(other),
        positives=sum(int(deal.won) for deal, _, _ in train_spans) + sum(followed + other),
        train_rows=len(train_spans), test_rows=len(followed) + len(other),
        cutoff=datetime.fromtimestamp(cutoff, tz=UTC) if cutoff is not None else None,
        metrics=metrics, notice=notice, seconds=time.monotonic() - started,
        params={"table": table, "window_days": WINDOW_DAYS, "min_closed": MIN_CLOSED_DEALS},
    )  # fmt: skip


def score_all(*, now: datetime | None = None) -> int:
    """Nothing is stored on the deals: a suggestion is worked out when its page asks."""
    return 0


def _done_in_stage(deal: Opportunity, now: datetime) -> set[str]:
    """What has been logged for `deal` since it entered its current stage."""
    rows = db.session.execute(
        sa.select(Activity.kind, Activity.owner_id, User.role)
        .outerjoin(User, User.id == Activity.owner_id)
        .where(
            Activity.customer_id == deal.customer_id,
            Activity.kind != ActivityKind.TASK,
            Activity.status != ActivityStatus.CANCELLED,
            Activity.occurred_at >= deal.stage_changed_at,
            Activity.occurred_at <= now,
        )
    )
    done = set()
    for kind, owner_id, role in rows:
        managers = {owner_id} if role in (Role.MANAGER, Role.ADMIN) else set()
        if action := action_of(kind, owner_id, deal.owner_id, managers):
            done.add(action)
    sent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Quote)
        .where(Quote.opportunity_id == deal.id, Quote.sent_at >= deal.stage_changed_at)
    )
    if sent:
        done.add("proposal")
    return done


def suggest(deal: Opportunity, now: datetime | None = None) -> dict | None:
    """The next best action for an open deal: the action, where it comes from ("evidence"
    or "rules"), its evidence counts, the actions already taken in this stage and the
    version's notice; None for a closed deal."""
    if deal.stage.is_closed:
        return None
    version = model_store.latest(KIND)
    mode = version.mode if version else PredictionMode.RULES
    table = version.params.get("table", {}) if version else {}
    done = _done_in_stage(deal, now or utcnow())
    action, source = choose(mode, table, deal.stage, done)
    row = table.get(deal.stage.value)
    evidence = None
    if row and row["won"] and row["lost"]:
        won, lost = row["actions"][action]
        evidence = {"won": won, "won_of": row["won"], "lost": lost, "lost_of": row["lost"]}
    return {
        "action": action,
        "source": source,
        "evidence": evidence,
        "done": sorted(done),
        "days": WINDOW_DAYS,
        "notice": version.notice if version else "",
        "mode": mode,
    }


def evidence_text(deal: Opportunity, suggestion: dict) -> str:
    """The evidence as a sentence, in the current language."""
    evidence = suggestion["evidence"]
    if not evidence:
        return gettext("A suggestion of the sales playbook for this stage.")
    return gettext(
        "In %(won)d of %(won_of)d won deals at %(stage)s, %(event)s followed within "
        "%(days)d days; in %(lost)d of %(lost_of)d lost deals.",
        stage=STAGE_LABELS[deal.stage], event=ACTION_EVENTS[suggestion["action"]],
        days=suggestion["days"], **evidence,
    )  # fmt: skip


def accept(deal: Opportunity, actor, action: str, now: datetime | None = None) -> Activity:
    """Make `action` a task for the deal's owner, due in two days, logged through the
    activity service (permission checks, audit); raises ValueError for an unknown action."""
    permissions.require(actor, "read", "opportunity", deal)
    if action not in ACTIONS:
        raise ValueError(f"unknown action: {action!r}")
    suggestion = suggest(deal, now)
    subject = f"{ACTION_LABELS[action]}: {deal.name}"[: activities.SUBJECT_MAX]
    description = evidence_text(deal, suggestion) if suggestion else ""
    return activities.log_activity(
        actor,
        kind=ActivityKind.TASK,
        subject=subject,
        description=description,
        customer_id=deal.customer_id,
        due_at=(now or utcnow()) + timedelta(days=DUE_DAYS),
        owner_id=deal.owner_id or actor.id,
    )


def evaluate_planted(*, seed: int = 7, size: float = 1.0) -> dict:
    """Write a synthetic deal history where one action per stage really helps, train on
    its past and return how often the suggestion for the most recently closed deals'
    stages is the planted best action (the playbook's share is the baseline)."""
    from app.services.predictions import planted_deals

    world = planted_deals.write_history(seed=seed, deals=int(round(3_000 * size)))
    version = train(now=world.now)
    history = DealHistory(world.now)
    cutoff = timestamp(version.cutoff) if version.cutoff else float("inf")
    test = [deal for deal in history.closed_deals() if deal.closed >= cutoff]
    table = version.params["table"]
    hits = {"suggested": 0, "evidence": 0, "rules": 0}
    spans = [(deal, stage) for deal in test for stage, _, _ in deal.open_spans()]
    for _, stage in spans:
        best = world.best_action[stage]
        hits["suggested"] += choose(version.mode, table, stage)[0] == best
        hits["evidence"] += table_choice(table, stage) == best
        hits["rules"] += rules_choice(stage) == best
    share = {name: count / len(spans) if spans else None for name, count in hits.items()}
    return {
        "mode": version.mode.value,
        "deals": world.deals,
        "closed_deals": world.closed,
        "test_spans": len(spans),
        "suggested_equals_planted": share["suggested"],
        "evidence_equals_planted": share["evidence"],
        "rules_equals_planted": share["rules"],
        "stages_recovered": sum(
            table_choice(table, s) == world.best_action[s] for s in OPEN_STAGES
        ),
        "followed_win_rate": version.metrics["followed_win_rate"],
        "not_followed_win_rate": version.metrics["not_followed_win_rate"],
    }
