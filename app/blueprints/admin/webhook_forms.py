"""The webhook subscription form: name, URL, events (grouped checkboxes), on or off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from app.services import webhook_events

TOO_LONG = _l("Use at most %(max)d characters.")


class WebhookForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the subscription a name.")),
            Length(max=120, message=TOO_LONG),
        ],
    )
    url = StringField(
        _l("URL"),
        validators=[
            DataRequired(_l("Enter the address events are posted to.")),
            Length(max=2000, message=TOO_LONG),
        ],
        description=_l(
            "An https:// address on the internet, e.g. https://hooks.example.com/rapport"
        ),
    )
    # Checked by the service, which says what is wrong; the template draws the checkboxes.
    events = SelectMultipleField(_l("Subscribed events"), validate_choice=False)
    active = BooleanField(_l("On: send events to this URL"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.events.choices = [
            (name, label)
            for _group, events in webhook_events.event_groups()
            for name, label in events
        ]
