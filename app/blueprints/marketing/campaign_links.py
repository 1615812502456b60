"""A campaign's short tracked links, a section of the campaign page loaded lazily: the
links with their short URL, clicks and leads attributed, a form to add one (channel,
label, target, optional UTM tags, download flag), and deletion. Whoever may edit the
campaign manages its links; whoever may read it sees them."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app import permissions
from app.blueprints.marketing import bp
from app.blueprints.marketing.campaigns import campaign_or_404
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.models.marketing import CampaignLink
from app.services import campaign_links


class CampaignLinkForm(FlaskForm):
    channel = SelectField(
        _l("Channel"),
        choices=[SelectChoice(key, label) for key, label in campaign_links.CHANNELS.items()],
        validate_choice=False,
    )
    label = StringField(_l("Label"), render_kw={"placeholder": _l("e.g. spring post")})
    target_url = StringField(
        _l("Target address"),
        render_kw={"type": "url", "placeholder": "https://www.example.com/offer"},
    )
    # The tag names are the same in every language (they appear as such in addresses).
    utm_source = StringField("utm_source", render_kw={"placeholder": _l("the channel")})
    utm_medium = StringField("utm_medium", render_kw={"placeholder": "social"})
    utm_campaign = StringField("utm_campaign")
    utm_content = StringField("utm_content", render_kw={"placeholder": _l("the label's words")})
    is_download = BooleanField(_l("Content download (a PDF, an e-book)"))

    def show_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        names = ("channel", "label", "target_url", "is_download", *campaign_links.UTM_NAMES)
        return {name: self[name].data for name in names}


def _section(campaign, form: CampaignLinkForm | None = None, status: int = 200):
    body = render_template(
        "marketing/_campaign_links.html",
        campaign=campaign,
        rows=campaign_links.links_for(campaign),
        channels=campaign_links.CHANNELS,
        may_edit=permissions.can(current_user, "edit", "campaign", campaign),
        form=form or CampaignLinkForm(formdata=None),
    )
    return body, status


@bp.get("/campaigns/<int:campaign_id>/links", endpoint="campaign_links")
def campaign_links_section(campaign_id: int):
    return _section(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/links")
def campaign_link_create(campaign_id: int):
    campaign = campaign_or_404(campaign_id, "edit")
    form = CampaignLinkForm()
    link = save_valid_form(
        form, lambda: campaign_links.create_link(campaign, current_user, **form.values())
    )
    return _section(campaign, None if link is not None else form)


@bp.post("/campaigns/<int:campaign_id>/links/<int:link_id>/delete")
def campaign_link_delete(campaign_id: int, link_id: int):
    campaign = campaign_or_404(campaign_id, "edit")
    link = db.session.get(CampaignLink, link_id)
    if link is not None and link.campaign_id == campaign.id:
        campaign_links.delete_link(link, current_user)
        db.session.commit()
    return _section(campaign)
