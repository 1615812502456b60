"""The assignment rule form. It shapes the inputs; the rules and their messages live in
app.services.lead_assignment, whose RecordInvalid errors `show_errors` puts back on the
fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.blueprints.customers.forms import _enum_value, _optional_int, enum_choices
from app.blueprints.sales.lead_forms import SOURCE_LABELS
from app.extensions import db
from app.models.identity import Team, User

_FIELDS = ("name", "is_active", "source", "industry", "country", "region", "user_id", "team_id")


class AssignmentRuleForm(FlaskForm):
    name = StringField(_l("Name"))
    is_active = BooleanField(_l("Active"), default=True)
    source = SelectField(_l("Source"), coerce=_enum_value, validate_choice=False)
    industry = StringField(_l("Industry"))
    country = StringField(_l("Country (2 letters)"))
    region = StringField(_l("Region"))
    user_id = SelectField(_l("Give to this user"), coerce=_optional_int, validate_choice=False)
    team_id = SelectField(
        _l("…or share in turn within this team"), coerce=_optional_int, validate_choice=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = enum_choices(SOURCE_LABELS, empty=_l("Any source"))
        users = db.session.execute(
            sa.select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name)
        )
        self.user_id.choices = [SelectChoice("", _l("(nobody)"))] + [
            SelectChoice(user_id, name) for user_id, name in users
        ]
        teams = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
        self.team_id.choices = [SelectChoice("", _l("(no team)"))] + [
            SelectChoice(team_id, name) for team_id, name in teams
        ]

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        """The keyword arguments for create_rule / update_rule."""
        return {name: self[name].data for name in _FIELDS}
