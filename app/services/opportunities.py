"""Opportunities (deals): create and change them, checked like every record; each lives in a
pipeline whose stages give a default probability.

Pipelines: every database has at least the default one, made on first use with the six
stages of the brief and their usual probabilities.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.models.records import Tagging
from app.models.sales import (
    Opportunity,
    OpportunityDocument,
    OpportunityMember,
    OpportunityProduct,
    OpportunityStage,
    Pipeline,
    PipelineStage,
    StageChange,
)
from app.services import custom_fields, history, search, tags
from app.services.record_checks import check_custom, check_link, check_owner, check_text
from app.services.validation import RecordInvalid, StaleRecord

STAGE_LABELS = {
    OpportunityStage.PROSPECTING: _l("Prospecting"),
    OpportunityStage.QUALIFICATION: _l("Qualification"),
    OpportunityStage.PROPOSAL: _l("Proposal"),
    OpportunityStage.NEGOTIATION: _l("Negotiation"),
    OpportunityStage.CLOSED_WON: _l("Closed won"),
    OpportunityStage.CLOSED_LOST: _l("Closed lost"),
}
DEFAULT_PROBABILITIES = {
    OpportunityStage.PROSPECTING: 10,
    OpportunityStage.QUALIFICATION: 20,
    OpportunityStage.PROPOSAL: 50,
    OpportunityStage.NEGOTIATION: 75,
    OpportunityStage.CLOSED_WON: 100,
    OpportunityStage.CLOSED_LOST: 0,
}
MAX_AMOUNT = Decimal("999999999999.99")
TEXT_LIMITS = {"name": 200, "competitors": 500, "next_step": 500}
DESCRIPTION_LENGTH = 10_000
_FIELDS = set(TEXT_LIMITS) | {
    "customer_id", "contact_id", "lead_id", "pipeline_id", "stage", "amount", "currency",
    "probability", "expected_close_date", "description", "owner_id", "team_id", "custom",
}  # fmt: skip

tags.register_taggable("opportunities", Opportunity, "opportunity")
history.register_record_type("opportunities", Opportunity, "opportunity")


def default_pipeline() -> Pipeline:
    """The default pipeline, made with the six stages if the database has none yet."""
    pipeline = db.session.scalar(
        sa.select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
    )
    if pipeline is None:
        pipeline = Pipeline(name=gettext("Sales"), is_default=True)
        pipeline.stages = [
            PipelineStage(stage=stage, position=n, probability=DEFAULT_PROBABILITIES[stage])
            for n, stage in enumerate(OpportunityStage)
        ]
        db.session.add(pipeline)
        db.session.flush()
    return pipeline


def board_pipeline() -> Pipeline:
    """The default pipeline to show, without making one: before the first deal exists, an
    unsaved stand-in with the six stages (a page view changes nothing)."""
    pipeline = db.session.scalar(
        sa.select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
    )
    if pipeline is not None:
        return pipeline
    return Pipeline(
        id=0,
        name=gettext("Sales"),
        is_default=True,
        stages=[
            PipelineStage(stage=stage, position=n, probability=DEFAULT_PROBABILITIES[stage])
            for n, stage in enumerate(OpportunityStage)
        ],
    )


def stage_probability(pipeline: Pipeline, stage: OpportunityStage) -> int:
    for row in pipeline.stages:
        if row.stage is stage:
            return row.probability
    return DEFAULT_PROBABILITIES[stage]


def _check_amount(fields: dict, errors: dict):
    raw = fields.get("amount")
    if raw in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        errors["amount"] = gettext("Enter an amount, like 12500 or 12500.50.")
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        errors["amount"] = gettext("Enter an amount of 0 or more.")
    elif amount.as_tuple().exponent < -2:
        errors["amount"] = gettext("Use at most two decimals.")
    return amount


def _check_probability(fields: dict, errors: dict):
    raw = fields.get("probability")
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        errors["probability"] = gettext("Enter a whole number from 0 to 100.")
        return None
    return value


def _check_date(fields: dict, errors: dict):
    raw = fields.get("expected_close_date")
    if raw in (None, "") or isinstance(raw, date):
        return raw or None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors["expected_close_date"] = gettext("Enter a date like 2026-12-31.")
        return None


def _check_stage(fields: dict, errors: dict):
    raw = fields.get("stage")
    if raw in (None, "") or isinstance(raw, OpportunityStage):
        return raw or OpportunityStage.PROSPECTING
    try:
        return OpportunityStage(str(raw).strip().upper())
    except ValueError:
        errors["stage"] = gettext("Choose one of the pipeline's stages.")
        return None


def _apply(opportunity: Opportunity, actor, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `opportunity` untouched)."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown opportunity fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    required = {"name": gettext("Name the opportunity.")}
    for name, limit in TEXT_LIMITS.items():
        if not partial or name in fields:
            values[name] = check_text(fields, name, limit, errors, required.get(name))
    if not partial or "description" in fields:
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    customer_message = gettext("Choose a customer you may edit.")
    if not partial or "customer_id" in fields:
        raw = fields.get("customer_id")
        if not (partial and raw not in (None, "") and str(raw) == str(opportunity.customer_id)):
            values["customer_id"] = check_link(
                actor, Customer, "customer", raw, errors, "customer_id", customer_message
            )
            if values["customer_id"] is None and "customer_id" not in errors:
                errors["customer_id"] = customer_message
    if not partial or "contact_id" in fields:
        values["contact_id"] = check_link(
            actor, Contact, "contact", fields.get("contact_id"), errors, "contact_id",
            gettext("Choose a contact you may edit."),
        )  # fmt: skip
    if not partial or "amount" in fields:
        values["amount"] = _check_amount(fields, errors)
    if not partial or "expected_close_date" in fields:
        values["expected_close_date"] = _check_date(fields, errors)
    if not partial or "probability" in fields:
        probability = _check_probability(fields, errors)
        values["probability_is_manual"] = probability is not None
        if probability is not None:
            values["probability"] = probability
    if not partial:
        values["stage"] = _check_stage(fields, errors)
    elif "stage" in fields:
        raise TypeError("change a stage with pipeline.move_stage, which records the change")
    if "pipeline_id" in fields:
        pipeline = _pipeline(fields.get("pipeline_id"))
        if pipeline is None:
            errors["pipeline_id"] = gettext("Choose a pipeline.")
        else:
            values["pipeline_id"] = pipeline.id
    if "currency" in fields or not partial:
        currency = str(fields.get("currency") or current_app.config["DEFAULT_CURRENCY"])
        if len(currency.strip()) != 3 or not currency.strip().isalpha():
            errors["currency"] = gettext("Enter a three-letter currency code, like USD.")
        values["currency"] = currency.strip().upper()[:3]
    if "team_id" in fields:
        values["team_id"] = int(fields["team_id"]) if fields.get("team_id") else None
    if "lead_id" in fields:
        values["lead_id"] = fields.get("lead_id")
    values["owner_id"] = check_owner(actor, "opportunity", fields, errors, opportunity.owner_id)
    custom = check_custom("opportunity", fields, errors, partial)
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        setattr(opportunity, name, value)
    if opportunity.pipeline_id is None:
        opportunity.pipeline_id = default_pipeline().id
    if not opportunity.probability_is_manual:
        pipeline = db.session.get(Pipeline, opportunity.pipeline_id)
        opportunity.probability = stage_probability(pipeline, opportunity.stage)
    if custom is not None:
        custom_fields.apply_values(opportunity, custom)
    opportunity.updated_by_id = actor.id
    customer_name = db.session.scalar(
        sa.select(Customer.name).where(Customer.id == opportunity.customer_id)
    )
    opportunity.search_text = search.normalise(opportunity.name, customer_name)


def _pipeline(raw) -> Pipeline | None:
    try:
        return db.session.get(Pipeline, int(raw)) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def create_opportunity(actor, **fields) -> Opportunity:
    """Create an opportunity for a customer `actor` may edit; RecordInvalid lists every bad
    field. The probability follows the stage unless one is given."""
    permissions.require(actor, "create", "opportunity")
    opportunity = Opportunity(created_by_id=actor.id, custom={})
    if fields.get("pipeline_id") in (None, ""):
        fields.pop("pipeline_id", None)
    _apply(opportunity, actor, fields, partial=False)
    opportunity.furthest_stage = further(None, opportunity.stage)
    db.session.add(opportunity)
    db.session.flush()
    db.session.add(
        StageChange(
            opportunity_id=opportunity.id, to_stage=opportunity.stage, changed_by_id=actor.id
        )
    )
    if opportunity.stage.is_closed:
        opportunity.closed_at = opportunity.stage_changed_at
    db.session.flush()
    return opportunity


def further(furthest: OpportunityStage | None, stage: OpportunityStage):
    """The furthest funnel stage once a deal enters `stage` (a lost deal goes no further)."""
    if stage.depth and (furthest is None or stage.depth > furthest.depth):
        return stage
    return furthest


def check_version(opportunity: Opportunity, seen_version) -> None:
    """Refuse a change made from a copy older than the stored opportunity (StaleRecord,
    saying who changed it and when)."""
    try:
        seen = int(seen_version)
    except (TypeError, ValueError):
        seen = None
    if seen == opportunity.version:
        return
    raise StaleRecord(stale_message(opportunity), opportunity.version)


def stale_message(opportunity: Opportunity) -> str:
    """What the user reads when their copy of `opportunity` was out of date."""
    who = (
        db.session.scalar(sa.select(User.name).where(User.id == opportunity.updated_by_id))
        if opportunity.updated_by_id
        else None
    )
    if who and opportunity.updated_at:
        return gettext(
            "%(who)s changed “%(name)s” at %(when)s, after you opened it. "
            "Here is the deal as it is now: check it and try again.",
            who=who, name=opportunity.name, when=format_datetime(opportunity.updated_at, "short"),
        )  # fmt: skip
    return gettext(
        "Someone changed “%(name)s” after you opened it. "
        "Here is the deal as it is now: check it and try again.",
        name=opportunity.name,
    )


def flush_versioned(opportunity: Opportunity) -> None:
    """Flush a change; a concurrent writer that slipped in since the version check (the
    UPDATE matched no row of our version) becomes a StaleRecord too."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(Opportunity, opportunity.id)
        message = (
            stale_message(fresh)
            if fresh is not None
            else gettext("Someone deleted this opportunity after you opened it.")
        )
        raise StaleRecord(message, fresh.version if fresh else None) from None


def update_opportunity(opportunity: Opportunity, actor, version, **fields) -> Opportunity:
    """Change the given fields of `opportunity`, if `version` is still the stored one
    (StaleRecord otherwise). The stage changes through pipeline.move_stage."""
    permissions.require(actor, "edit", "opportunity", opportunity)
    check_version(opportunity, version)
    _apply(opportunity, actor, fields, partial=True)
    flush_versioned(opportunity)
    return opportunity


def delete_opportunity(opportunity: Opportunity, actor) -> None:
    """Delete an opportunity with its stage history, members, lines and documents."""
    permissions.require(actor, "delete", "opportunity", opportunity)
    taggings = db.session.scalars(
        sa.select(Tagging).where(
            Tagging.entity_type == "opportunities", Tagging.entity_id == opportunity.id
        )
    )
    for tagging in taggings:
        db.session.delete(tagging)
    for model in (StageChange, OpportunityMember, OpportunityProduct, OpportunityDocument):
        db.session.execute(sa.delete(model).where(model.opportunity_id == opportunity.id))
    db.session.delete(opportunity)
    db.session.flush()


def open_for_customer(actor, customer_id: int, limit: int = 10) -> list[Opportunity]:
    """The customer's open deals `actor` may see, soonest close first (one bounded query)."""
    query = (
        sa.select(Opportunity)
        .where(
            Opportunity.customer_id == customer_id,
            Opportunity.stage.not_in([OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST]),
            permissions.visible(actor, "opportunity", Opportunity.owner_id),
        )
        .order_by(Opportunity.expected_close_date.asc().nulls_last(), Opportunity.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))
