"""Campaign pages: the list (name search, type and status filters, keyset pages, each row's
key figures), the campaign form, the campaign page with its metrics, funnel chart and the
leads and deals attributed to it, and deletion with a confirmation page. Marketing and
managers write; sales reps read."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers.lists import sort_url
from app.blueprints.marketing import bp
from app.blueprints.marketing.campaign_forms import CampaignForm
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.identity import User
from app.models.marketing import Campaign, CampaignType, EmailTemplate, Segment
from app.services import campaign_lists, campaign_metrics, campaigns
from app.services.sms import campaigns as sms_campaigns
from app.services.validation import RecordInvalid

SEND_PANEL = "marketing.send_panel"


def campaign_or_404(campaign_id: int, action: str = "read") -> Campaign:
    """The campaign, if the user may see it (404 otherwise) and do `action` (403)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not permissions.can(current_user, "read", "campaign", campaign):
        abort(404)
    permissions.require(current_user, action, "campaign", campaign)
    return campaign


def labels() -> dict:
    """Every enum and channel label of the campaign pages, translated once a request."""
    return {
        "types": {t.value: str(label) for t, label in campaigns.TYPE_LABELS.items()},
        "statuses": {s.value: str(label) for s, label in campaigns.STATUS_LABELS.items()},
        "topics": {t.value: str(label) for t, label in campaigns.TOPIC_LABELS.items()},
        "channels": {key: str(label) for key, label in campaigns.CHANNELS.items()},
        "status_kinds": campaigns.STATUS_KINDS,
    }


@bp.get("/campaigns")
def campaigns_index():
    permissions.require(current_user, "read", "campaign")
    filters = campaign_lists.CampaignFilters.from_args(request.args)
    rows, next_cursor = campaign_lists.campaign_page(
        current_user, filters, request.args.get("cursor")
    )
    args = filters.as_args()
    pager = {
        "first_url": url_for("marketing.campaigns_index", **args)
        if request.args.get("cursor")
        else None,
        "next_url": url_for("marketing.campaigns_index", **args, cursor=next_cursor)
        if next_cursor
        else None,
    }
    return render_page_or_fragment(
        "marketing/campaigns_index.html",
        "marketing/_campaign_rows.html",
        filters=filters,
        rows=rows,
        figures=campaign_metrics.metrics_for(rows),
        pager=pager,
        labels=labels(),
        sort_url=lambda column: sort_url("marketing.campaigns_index", filters, column),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    permissions.require(current_user, "create", "campaign")
    form = CampaignForm(actor=current_user)
    campaign = save_valid_form(
        form, lambda: campaigns.create_campaign(current_user, **form.values())
    )
    if campaign is not None:
        flash(_("The campaign %(name)s is created.", name=campaign.name), "success")
        return redirect(url_for("marketing.campaign_show", campaign_id=campaign.id))
    return render_template("marketing/campaigns_form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def campaign_edit(campaign_id: int):
    campaign = campaign_or_404(campaign_id, "edit")
    form = CampaignForm(obj=campaign, actor=current_user)
    saved = save_valid_form(
        form, lambda: campaigns.update_campaign(campaign, current_user, **form.values())
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=saved.name), "success")
        return redirect(url_for("marketing.campaign_show", campaign_id=saved.id))
    return render_template("marketing/campaigns_form.html", form=form, campaign=campaign)


@bp.route("/campaigns/<int:campaign_id>/delete", methods=["GET", "POST"])
def campaign_delete(campaign_id: int):
    campaign = campaign_or_404(campaign_id, "delete")
    if request.method == "POST":
        name = campaign.name
        try:
            campaigns.delete_campaign(campaign, current_user)
        except RecordInvalid as refused:
            db.session.rollback()
            flash(" ".join(refused.errors.values()), "error")
            return redirect(url_for("marketing.campaign_show", campaign_id=campaign_id))
        db.session.commit()
        flash(_("The campaign %(name)s is deleted.", name=name), "success")
        return redirect(url_for("marketing.campaigns_index"))
    return render_template(
        "marketing/campaigns_delete.html",
        campaign=campaign,
        has_sent=campaigns.has_sent_email(campaign),
    )


def _readable(model, record_id, entity: str):
    record = db.session.get(model, record_id) if record_id else None
    if record is None or not permissions.can(current_user, "read", entity, record):
        return None
    return record


def _page_url(endpoint: str, record, **values) -> str | None:
    """The page of a segment or template, once the module that shows it is there."""
    if record is None or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.get("/campaigns/<int:campaign_id>")
def campaign_show(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    segment = _readable(Segment, campaign.segment_id, "segment")
    template = _readable(EmailTemplate, campaign.template_id, "email_template")
    show_send_panel = campaigns.has_send(campaign) and SEND_PANEL in current_app.view_functions
    is_sms = campaign.type is CampaignType.SMS
    return render_template(
        "marketing/campaigns_show.html",
        campaign=campaign,
        m=campaign_metrics.metrics(campaign),
        sms=sms_campaigns.figures(campaign) if is_sms else None,
        definitions=campaign_metrics.definitions(),
        leads=campaign_metrics.attributed_leads(current_user, campaign),
        deals=campaign_metrics.attributed_deals(current_user, campaign),
        segment=segment,
        template=template,
        segment_url=_page_url("marketing.segment_show", segment, segment_id=campaign.segment_id),
        template_url=_page_url(
            "marketing.template_show", template, template_id=campaign.template_id
        ),
        owner=db.session.get(User, campaign.owner_id) if campaign.owner_id else None,
        labels=labels(),
        show_send_panel=show_send_panel,
        may_edit=permissions.can(current_user, "edit", "campaign", campaign),
        may_delete=permissions.can(current_user, "delete", "campaign", campaign),
    )
