"""Forms of the opportunity pages and the board. They shape the inputs; the rules (and their
messages) live in app.services.opportunities, .pipeline and .opportunity_parts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.blueprints.customers.forms import OwnedForm, _optional_int
from app.services.opportunities import STAGE_LABELS


def stage_choices() -> list[SelectChoice]:
    return [SelectChoice(stage.value, label) for stage, label in STAGE_LABELS.items()]


class OpportunityForm(OwnedForm):
    name = StringField(_l("Name"))
    customer_id = IntegerField(_l("Customer number"), validators=[Optional()])
    amount = StringField(_l("Amount"))
    expected_close_date = StringField(_l("Expected close date"), render_kw={"type": "date"})
    probability = StringField(_l("Probability (%), empty to follow the stage"))
    next_step = StringField(_l("Next step"))
    competitors = StringField(_l("Competitors"))
    description = TextAreaField(_l("Description"))
    version = HiddenField()

    def values(self) -> dict:
        """The keyword arguments for create_opportunity / update_opportunity."""
        names = (
            "name", "customer_id", "amount", "expected_close_date", "probability",
            "next_step", "competitors", "description", "owner_id",
        )  # fmt: skip
        return {name: self[name].data for name in names}


class MoveForm(FlaskForm):
    """A card's "Move to" form; the board's drag and drop posts the same fields."""

    opportunity_id = HiddenField()
    version = HiddenField()
    stage = SelectField(_l("Move to"), choices=stage_choices, validate_choice=False)
    loss_reason = StringField(_l("Why was the deal lost?"))
    confirm = HiddenField()


class DocumentForm(FlaskForm):
    file = FileField(_l("Document"))


class MemberForm(FlaskForm):
    user_id = SelectField(_l("Colleague"), coerce=_optional_int, validate_choice=False)
    role = StringField(_l("Role on this deal"))


class ProductLineForm(FlaskForm):
    product_id = SelectField(_l("Product"), coerce=_optional_int, validate_choice=False)
    quantity = StringField(_l("Quantity"), default="1")
    unit_price = StringField(_l("Unit price, empty for the list price"))


class PipelineForm(FlaskForm):
    name = StringField(_l("Name"))

    def show_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)
