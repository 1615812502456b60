"""The sales target form and the targets list's filters. The form shapes the inputs; the
rules and their messages live in app.services.targets, whose RecordInvalid errors
`show_errors` puts back on the fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.blueprints.customers.forms import _optional_int, enum_choices
from app.extensions import db
from app.models.identity import Team, User
from app.services.targets import PERIOD_LABELS

_FIELDS = ("user_id", "team_id", "period", "period_start", "amount", "currency")


def user_choices(empty) -> list[SelectChoice]:
    users = db.session.execute(
        sa.select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name)
    )
    return [SelectChoice("", empty)] + [SelectChoice(user_id, name) for user_id, name in users]


def team_choices(empty) -> list[SelectChoice]:
    teams = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    return [SelectChoice("", empty)] + [SelectChoice(team_id, name) for team_id, name in teams]


class TargetForm(FlaskForm):
    user_id = SelectField(_l("Rep"), coerce=_optional_int, validate_choice=False)
    team_id = SelectField(_l("…or team"), coerce=_optional_int, validate_choice=False)
    period = SelectField(_l("Period"), default="MONTH", validate_choice=False)
    period_start = DateField(
        _l("First day of the period"),
        render_kw={"type": "date"},
        description=_l("The 1st of a month; for a quarter, 1 January, April, July or October."),
    )
    amount = StringField(_l("Amount"), render_kw={"inputmode": "decimal"})
    currency = StringField(_l("Currency"), render_kw={"maxlength": 3, "size": 3})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = user_choices(_l("(no rep)"))
        self.team_id.choices = team_choices(_l("(no team)"))
        self.period.choices = enum_choices(PERIOD_LABELS)
        if not self.currency.data:
            self.currency.data = current_app.config["DEFAULT_CURRENCY"]

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        """The keyword arguments for targets.set_target."""
        return {name: self[name].data for name in _FIELDS}
