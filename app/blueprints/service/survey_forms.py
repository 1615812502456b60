"""Forms of the staff survey pages: the reporting period, and an NPS round to send (its
name and the contact filter that stands in for a marketing segment for now)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.blueprints.customers.forms import STATUS_LABELS, enum_choices
from app.models.customers import CustomerStatus
from app.services import surveys
from app.services.tags import split_names


class SurveyPeriodForm(Form):
    """GET filters: surveys sent from `start` to `end` (both days included)."""

    start = DateField(_l("Sent from"), validators=[Optional()])
    end = DateField(_l("to"), validators=[Optional()])


class NpsRoundForm(FlaskForm):
    survey_name = StringField(
        _l("Round name"),
        validators=[
            DataRequired(_l('Name the round, e.g. "NPS 2026 Q4".')),
            Length(max=surveys.NAME_LENGTH),
        ],
    )
    customer_status = SelectField(
        _l("Customer status"), choices=enum_choices(STATUS_LABELS, _l("Any")), default=""
    )
    abc_class = SelectField(
        _l("Customer ABC class"),
        choices=[SelectChoice("", _l("Any"))]
        + [SelectChoice(value, value) for value in surveys.ABC_CLASSES],
        default="",
    )
    tags = StringField(
        _l("Tags (contact or customer; any of, comma-separated)"),
        validators=[Optional(), Length(max=500)],
    )

    def segment(self) -> surveys.Segment:
        status = self.customer_status.data
        return surveys.Segment(
            customer_status=CustomerStatus(status) if status else None,
            abc_class=self.abc_class.data or None,
            tags=tuple(split_names(self.tags.data or "")),
        )
