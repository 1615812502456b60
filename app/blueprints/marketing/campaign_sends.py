"""A campaign's send panel, loaded into the campaign page: the audience before sending, a
test send to oneself, "Send now", then a self-polling progress bar with pause, resume and
cancel, and the final counts. Every action answers with the panel again."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.marketing import bp
from app.blueprints.marketing.campaigns import campaign_or_404
from app.extensions import db
from app.models.marketing import CampaignType, SendState
from app.services import campaign_sending
from app.services.validation import RecordInvalid

POLLING_STATES = (SendState.PREPARING, SendState.SENDING)


def _panel(campaign, message: str = "", error: str = ""):
    before = campaign.send_state is SendState.DRAFT
    return render_template(
        "marketing/_send_panel.html",
        campaign=campaign,
        may_send=permissions.can(current_user, "edit", "campaign", campaign),
        problems=campaign_sending.send_problems(campaign) if before else [],
        preview=campaign_sending.preview(campaign) if before else None,
        progress=None if before else campaign_sending.progress(campaign),
        polling=campaign.send_state in POLLING_STATES,
        message=message,
        error=error,
    )


def _act(campaign_id: int, action, done: str):
    """Run a send action as the current user; the panel shows its result or refusal."""
    campaign = campaign_or_404(campaign_id, "edit")
    try:
        action(campaign, current_user)
    except RecordInvalid as invalid:
        db.session.rollback()
        campaign = campaign_or_404(campaign_id, "edit")
        return _panel(campaign, error=" ".join(invalid.errors.values()))
    db.session.commit()
    return _panel(campaign, message=done)


@bp.get("/campaigns/<int:campaign_id>/send")
def send_panel(campaign_id: int):
    return _panel(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/send/test")
def send_test(campaign_id: int):
    campaign = campaign_or_404(campaign_id, "edit")
    to = request.form.get("to") if campaign.type is CampaignType.SMS else None
    try:
        address = campaign_sending.test_send(campaign, current_user, to)
    except RecordInvalid as invalid:
        return _panel(campaign, error=" ".join(invalid.errors.values()))
    except OSError as error:  # the mail server is down or refused the message
        return _panel(campaign, error=_("The test could not be sent: %(error)s", error=error))
    return _panel(campaign, message=_("A test was sent to %(address)s.", address=address))


@bp.post("/campaigns/<int:campaign_id>/send/start")
def send_start(campaign_id: int):
    return _act(campaign_id, campaign_sending.prepare, "")


@bp.post("/campaigns/<int:campaign_id>/send/pause")
def send_pause(campaign_id: int):
    return _act(campaign_id, campaign_sending.pause, _("Paused."))


@bp.post("/campaigns/<int:campaign_id>/send/resume")
def send_resume(campaign_id: int):
    return _act(campaign_id, campaign_sending.resume, "")


@bp.post("/campaigns/<int:campaign_id>/send/cancel")
def send_cancel(campaign_id: int):
    return _act(campaign_id, campaign_sending.cancel, _("Cancelled."))
