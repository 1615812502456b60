"""The pipeline: deals moving from stage to stage (each move recorded, probability and
closing date following), the time spent in each stage, the kanban board's columns and their
totals, and the pipelines themselves (their names and each stage's default probability).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.identity import User
from app.models.sales import Opportunity, OpportunityStage, Pipeline, PipelineStage, StageChange
from app.services.opportunities import (
    DEFAULT_PROBABILITIES,
    STAGE_LABELS,
    check_version,
    flush_versioned,
    further,
    stage_probability,
)
from app.services.validation import RecordInvalid

CARDS_PER_COLUMN = 50
LOSS_REASON_LENGTH = 500
CENT = Decimal("0.01")


def parse_stage(raw) -> OpportunityStage | None:
    """The stage named by `raw` (a member or its value), or None."""
    if isinstance(raw, OpportunityStage):
        return raw
    try:
        return OpportunityStage(str(raw or "").strip().upper())
    except ValueError:
        return None


def move_stage(
    opportunity: Opportunity, actor, stage, seen_version, loss_reason: str | None = None
) -> StageChange | None:
    """Move a deal to `stage` from the copy at `seen_version` (StaleRecord when someone
    changed it since). Lost deals need a reason; the probability follows the stage unless
    set by hand; closed_at is set on closing and cleared on reopening. None when the deal
    is already in `stage`."""
    permissions.require(actor, "edit", "opportunity", opportunity)
    target = parse_stage(stage)
    if target is None:
        raise RecordInvalid({"stage": gettext("Choose one of the pipeline's stages.")})
    check_version(opportunity, seen_version)
    reason = " ".join((loss_reason or "").split())
    if target is OpportunityStage.CLOSED_LOST and not reason:
        raise RecordInvalid({"loss_reason": gettext("Say why the deal was lost.")})
    if len(reason) > LOSS_REASON_LENGTH:
        raise RecordInvalid(
            {"loss_reason": gettext("Use at most %(max)d characters.", max=LOSS_REASON_LENGTH)}
        )
    if target is opportunity.stage:
        return None
    now = utcnow()
    change = StageChange(
        opportunity_id=opportunity.id,
        from_stage=opportunity.stage,
        to_stage=target,
        changed_at=now,
        stay_seconds=max(0, int((now - opportunity.stage_changed_at).total_seconds())),
        changed_by_id=actor.id,
    )
    db.session.add(change)
    opportunity.furthest_stage = further(opportunity.furthest_stage, target)
    opportunity.stage = target
    opportunity.stage_changed_at = now
    opportunity.closed_at = now if target.is_closed else None
    opportunity.loss_reason = reason if target is OpportunityStage.CLOSED_LOST else ""
    if not opportunity.probability_is_manual:
        pipeline = db.session.get(Pipeline, opportunity.pipeline_id)
        opportunity.probability = stage_probability(pipeline, target)
    opportunity.updated_by_id = actor.id
    flush_versioned(opportunity)
    return change


@dataclasses.dataclass(frozen=True)
class StageSpan:
    """A stay in one stage; `left_at` is None for the stage the deal is in now."""

    stage: OpportunityStage
    entered_at: datetime
    left_at: datetime | None
    duration: timedelta


def time_in_stages(opportunity: Opportunity, now: datetime | None = None) -> list[StageSpan]:
    """Each stage the deal has been in, oldest first, with how long it stayed."""
    changes = db.session.scalars(
        sa.select(StageChange)
        .where(StageChange.opportunity_id == opportunity.id)
        .order_by(StageChange.changed_at, StageChange.id)
    ).all()
    now = now or utcnow()
    spans = []
    for n, change in enumerate(changes):
        left = changes[n + 1].changed_at if n + 1 < len(changes) else None
        spans.append(
            StageSpan(change.to_stage, change.changed_at, left, (left or now) - change.changed_at)
        )
    return spans


CLOSED_DAYS_CHOICES = (30, 90, 365, 0)
DEFAULT_CLOSED_DAYS = 90


@dataclasses.dataclass
class BoardFilters:
    """What the board (and the deal list) shows: an owner, a team, a closing date range,
    an amount range. Values that do not parse are ignored."""

    owner_id: int | None = None
    team_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    # The board's closed columns show the deals closed in this many days (0: all of them):
    # a team closes thousands a year, and only the recent ones are worth a card.
    closed_days: int = DEFAULT_CLOSED_DAYS

    @classmethod
    def from_args(cls, args) -> BoardFilters:
        days = _int(args.get("closed_days"))
        return cls(
            owner_id=_int(args.get("owner_id")),
            team_id=_int(args.get("team_id")),
            close_from=_date(args.get("close_from")),
            close_to=_date(args.get("close_to")),
            amount_min=_decimal(args.get("amount_min")),
            amount_max=_decimal(args.get("amount_max")),
            closed_days=days if days in CLOSED_DAYS_CHOICES else DEFAULT_CLOSED_DAYS,
        )

    def as_args(self) -> dict:
        args = {field.name: getattr(self, field.name) for field in dataclasses.fields(BoardFilters)}
        if self.closed_days == DEFAULT_CLOSED_DAYS:
            del args["closed_days"]
        return {key: str(value) for key, value in args.items() if value is not None}

    def where(self) -> list:
        """The WHERE clauses for these filters."""
        clauses = []
        if self.owner_id is not None:
            clauses.append(Opportunity.owner_id == self.owner_id)
        if self.team_id is not None:
            members = sa.select(User.id).where(User.team_id == self.team_id)
            clauses.append(
                sa.or_(Opportunity.team_id == self.team_id, Opportunity.owner_id.in_(members))
            )
        if self.close_from is not None:
            clauses.append(Opportunity.expected_close_date >= self.close_from)
        if self.close_to is not None:
            clauses.append(Opportunity.expected_close_date <= self.close_to)
        if self.amount_min is not None:
            clauses.append(Opportunity.amount >= self.amount_min)
        if self.amount_max is not None:
            clauses.append(Opportunity.amount <= self.amount_max)
        return clauses


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) < 10 else None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value).replace(",", "").strip()) if value else None
    except ArithmeticError:
        return None
    return number if number is not None and number.is_finite() else None


@dataclasses.dataclass
class Card:
    """What a board card shows of a deal: the deal's card columns (a row, or the deal)."""

    opportunity: Opportunity | sa.Row
    customer_name: str
    owner_name: str


@dataclasses.dataclass
class Column:
    """One stage of the board: its first cards and the totals of all its deals."""

    stage: OpportunityStage
    label: str
    cards: list[Card]
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def _board_where(actor, pipeline: Pipeline, filters: BoardFilters, closed: bool) -> list:
    """The deals of the open columns (no closed_at), or of the closed ones (closed within
    the board's window): kept apart, each half is read through its own index."""
    clauses = [
        Opportunity.pipeline_id == pipeline.id,
        permissions.visible(actor, "opportunity", Opportunity.owner_id),
        *filters.where(),
    ]
    if not closed:
        return [*clauses, Opportunity.closed_at.is_(None)]
    clauses.append(Opportunity.closed_at.is_not(None))
    if filters.closed_days:
        clauses.append(Opportunity.closed_at >= utcnow() - timedelta(days=filters.closed_days))
    return clauses


def column_totals(
    actor, pipeline: Pipeline, filters: BoardFilters, stages=None
) -> dict[OpportunityStage, tuple[int, Decimal, Decimal]]:
    """(count, amount, weighted amount) per stage, summed by the database: one grouped
    query for the open deals (an index-only scan of ix_opportunities_open on PostgreSQL)
    and one for the deals closed within the window."""
    weighted = sa.type_coerce(
        sa.func.sum(Opportunity.amount * Opportunity.probability / 100), sa.Numeric(18, 2)
    )
    amount = sa.type_coerce(sa.func.sum(Opportunity.amount), sa.Numeric(18, 2))
    totals = {}
    kinds = (False, True) if stages is None else sorted({stage.is_closed for stage in stages})
    for closed in kinds:
        query = (
            sa.select(Opportunity.stage, sa.func.count(), amount, weighted)
            .where(*_board_where(actor, pipeline, filters, closed))
            .group_by(Opportunity.stage)
        )
        if stages is not None:
            query = query.where(Opportunity.stage.in_(list(stages)))
        for stage, count, total, expected in db.session.execute(query):
            before = totals.get(stage, (0, Decimal("0"), Decimal("0")))
            totals[stage] = (
                before[0] + count,
                before[1] + _cents(total),
                before[2] + _cents(expected),
            )
    return totals


def _cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


# What a card shows of a deal: read as plain rows, not whole deals (300 cards a board).
_CARD_COLUMNS = (
    Opportunity.id,
    Opportunity.name,
    Opportunity.version,
    Opportunity.stage,
    Opportunity.amount,
    Opportunity.currency,
    Opportunity.expected_close_date,
    Opportunity.owner_id,
)


def column_cards(
    actor, pipeline: Pipeline, filters: BoardFilters, stage: OpportunityStage,
    limit: int = CARDS_PER_COLUMN,
) -> list[Card]:  # fmt: skip
    """The first cards of a column: soonest close first for open stages (the board index
    walks them), the latest closed first for the closed ones (the closed_at index)."""
    where = [Opportunity.stage == stage, *_board_where(actor, pipeline, filters, stage.is_closed)]
    if stage.is_closed:
        order = (Opportunity.closed_at.desc(), Opportunity.id.desc())
    else:
        order = (Opportunity.expected_close_date.asc().nulls_last(), Opportunity.id)
    query = (
        sa.select(
            *_CARD_COLUMNS, Customer.name.label("customer_name"), User.name.label("owner_name")
        )
        .join(Customer, Customer.id == Opportunity.customer_id)
        .outerjoin(User, User.id == Opportunity.owner_id)
        .where(*where)
        .order_by(*order)
        .limit(limit)
    )
    return [Card(row, row.customer_name, row.owner_name or "") for row in db.session.execute(query)]


def board(
    actor, pipeline: Pipeline, filters: BoardFilters, stages=None, with_cards: bool = True
) -> list[Column]:
    """The board's columns in pipeline order (only `stages` when given): one query for
    every column's totals and, `with_cards`, one per column for its cards (a move answers
    with the columns' headers only)."""
    permissions.require(actor, "read", "opportunity")
    wanted = [row.stage for row in pipeline.stages if stages is None or row.stage in stages]
    totals = column_totals(actor, pipeline, filters, wanted)
    columns = []
    for stage in wanted:
        count, amount, weighted = totals.get(stage, (0, Decimal("0.00"), Decimal("0.00")))
        cards = column_cards(actor, pipeline, filters, stage) if count and with_cards else []
        columns.append(Column(stage, str(STAGE_LABELS[stage]), cards, count, amount, weighted))
    return columns


def pipelines() -> list[Pipeline]:
    """Every pipeline, the default first (an unsaved stand-in when there is none yet)."""
    from app.services.opportunities import board_pipeline

    rows = list(
        db.session.scalars(
            sa.select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
        )
    )
    return rows or [board_pipeline()]


def _check_name(name: str, current: Pipeline | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RecordInvalid({"name": gettext("Name the pipeline.")})
    if len(name) > 120:
        raise RecordInvalid({"name": gettext("Use at most %(max)d characters.", max=120)})
    taken = db.session.scalar(
        sa.select(Pipeline.id).where(sa.func.lower(Pipeline.name) == name.lower())
    )
    if taken is not None and (current is None or taken != current.id):
        raise RecordInvalid({"name": gettext("Another pipeline has that name.")})
    return name


def create_pipeline(actor, name: str) -> Pipeline:
    """A new pipeline with the six stages and their usual probabilities."""
    permissions.require(actor, "create", "pipeline")
    name = _check_name(name, None)
    position = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Pipeline.position), 0)))
    pipeline = Pipeline(name=name, position=position + 1)
    pipeline.stages = [
        PipelineStage(stage=stage, position=n, probability=DEFAULT_PROBABILITIES[stage])
        for n, stage in enumerate(OpportunityStage)
    ]
    db.session.add(pipeline)
    db.session.flush()
    return pipeline


def rename_pipeline(actor, pipeline: Pipeline, name: str) -> Pipeline:
    permissions.require(actor, "edit", "pipeline")
    pipeline.name = _check_name(name, pipeline)
    db.session.flush()
    return pipeline


def set_probabilities(actor, pipeline: Pipeline, probabilities: dict) -> Pipeline:
    """Change stages' default probabilities ({stage: 0-100}); the deals in those stages
    whose probability was not set by hand follow."""
    permissions.require(actor, "edit", "pipeline")
    errors, wanted = {}, {}
    for raw_stage, raw in probabilities.items():
        stage = parse_stage(raw_stage)
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = -1
        if stage is None or not 0 <= value <= 100:
            errors[f"probability.{getattr(stage, 'value', raw_stage)}"] = gettext(
                "Enter a whole number from 0 to 100."
            )
        else:
            wanted[stage] = value
    if errors:
        raise RecordInvalid(errors)
    for row in pipeline.stages:
        if row.stage in wanted and row.probability != wanted[row.stage]:
            row.probability = wanted[row.stage]
            db.session.execute(
                sa.update(Opportunity)
                .where(
                    Opportunity.pipeline_id == pipeline.id,
                    Opportunity.stage == row.stage,
                    Opportunity.probability_is_manual.is_(False),
                )
                .values(probability=row.probability, version=Opportunity.version + 1)
                .execution_options(synchronize_session=False)
            )
    db.session.flush()
    return pipeline
