"""The campaign form. It shapes the inputs (amounts and dates as text, so the service reads
exact decimals and reports its own messages); the rules live in app.services.campaigns,
whose RecordInvalid errors `show_errors` puts back on the fields."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice

from app.services import campaign_lists, campaigns, email_templates


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _value(value):
    """An enum's value for the select (obj= gives members, a post gives strings)."""
    return getattr(value, "value", value)


class ChannelsField(SelectMultipleField):
    """Channels as a list of checkboxes; unknown values are the service's to refuse."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"))
    type = SelectField(_l("Type"), coerce=_value, validate_choice=False)
    status = SelectField(_l("Status"), coerce=_value, validate_choice=False)
    topic = SelectField(_l("Topic"), coerce=_value, validate_choice=False)
    start_date = StringField(_l("Start date"), render_kw={"type": "date"})
    end_date = StringField(_l("End date"), render_kw={"type": "date"})
    channels = ChannelsField(_l("Channels"), validate_choice=False)
    segment_id = SelectField(_l("Target segment"), coerce=_optional_int, validate_choice=False)
    template_id = SelectField(_l("Email template"), coerce=_optional_int, validate_choice=False)
    sms_body = TextAreaField(_l("Text message"), render_kw={"rows": 4, "maxlength": 640})
    send_rate = StringField(
        _l("Send rate (messages per minute)"), render_kw={"inputmode": "numeric"}
    )
    currency = StringField(_l("Currency (3 letters)"))
    budget = StringField(_l("Budget"), render_kw={"inputmode": "decimal"})
    actual_cost = StringField(_l("Actual cost"), render_kw={"inputmode": "decimal"})
    expected_revenue = StringField(_l("Expected revenue"), render_kw={"inputmode": "decimal"})
    impressions = StringField(_l("Impressions"), render_kw={"inputmode": "numeric"})
    description = TextAreaField(_l("Description"))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = [(t.value, label) for t, label in campaigns.TYPE_LABELS.items()]
        self.status.choices = [(s.value, label) for s, label in campaigns.STATUS_LABELS.items()]
        self.topic.choices = [(t.value, label) for t, label in campaigns.TOPIC_LABELS.items()]
        self.channels.choices = list(campaigns.CHANNELS.items())
        none = SelectChoice("", _l("None"))
        self.segment_id.choices = [none] + [
            SelectChoice(row.id, row.name) for row in campaign_lists.readable_segments(actor)
        ]
        self.template_id.choices = [none] + [
            SelectChoice(row.id, row.name) for row in email_templates.template_choices(actor)
        ]
        if not self.is_submitted() and kwargs.get("obj") is None:
            self.currency.data = self.currency.data or current_app.config["DEFAULT_CURRENCY"]
            self.channels.data = self.channels.data or ["EMAIL"]

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        """The keyword arguments for the service's create/update function."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
