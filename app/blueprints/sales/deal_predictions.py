"""A deal's predictions on its page (lazy htmx panels): the predicted win probability
beside the stage's default with the factors behind it, and the next best action with its
evidence, which one click turns into a task for the deal's owner."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.sales import bp
from app.blueprints.sales.opportunities import _deal_or_404
from app.extensions import db
from app.htmx import hx_trigger, wants_fragment
from app.models.predictions import PredictionMode
from app.models.sales import Pipeline
from app.services.opportunities import STAGE_LABELS, stage_probability
from app.services.predictions import model_store, next_action, win_probability
from app.services.validation import RecordInvalid


@bp.get("/opportunities/<int:opportunity_id>/win-probability")
def deal_prediction(opportunity_id: int):
    """The predicted chance of winning, the stage default beside it, and its factors."""
    deal = _deal_or_404(opportunity_id)
    version = model_store.latest(win_probability.KIND)
    return render_template(
        "sales/_deal_prediction.html",
        deal=deal,
        stage_default=stage_probability(db.session.get(Pipeline, deal.pipeline_id), deal.stage),
        version=version,
        uses_rules=version is None or version.mode is PredictionMode.RULES,
        stale=bool(deal.win_scored_at and deal.win_scored_at < deal.stage_changed_at),
        factor_labels=win_probability.FACTOR_LABELS,
        stage_labels={stage.value: label for stage, label in STAGE_LABELS.items()},
    )


def _next_action_panel(deal, created=None, error: str = ""):
    suggestion = next_action.suggest(deal)
    return render_template(
        "sales/_next_action.html",
        deal=deal,
        suggestion=suggestion,
        evidence=next_action.evidence_text(deal, suggestion) if suggestion else "",
        labels=next_action.ACTION_LABELS,
        may_accept=permissions.can(current_user, "create", "activity"),
        created=created,
        error=error,
    )


@bp.get("/opportunities/<int:opportunity_id>/next-action")
def deal_next_action(opportunity_id: int):
    """The next best action for an open deal, with its evidence and the accept button."""
    return _next_action_panel(_deal_or_404(opportunity_id))


@bp.post("/opportunities/<int:opportunity_id>/next-action")
def deal_next_action_accept(opportunity_id: int):
    """Accept the suggestion: a task for the deal's owner, made by the activity service."""
    deal = _deal_or_404(opportunity_id)
    permissions.require(current_user, "create", "activity")
    action = request.form.get("action", "")
    if action not in next_action.ACTIONS:
        return _next_action_panel(deal, error=_("Choose one of the suggested actions.")), 400
    try:
        task = next_action.accept(deal, current_user, action)
    except RecordInvalid as invalid:
        db.session.rollback()
        return _next_action_panel(deal, error=" ".join(invalid.errors.values()))
    db.session.commit()
    if not wants_fragment():
        flash(_("The task %(subject)s is created.", subject=task.subject), "success")
        return redirect(url_for("sales.opportunity_show", opportunity_id=deal.id))
    return hx_trigger(make_response(_next_action_panel(deal, created=task)), "timelineChanged")
