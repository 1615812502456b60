"""Forms of the user, team and role administration pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app import timezones
from app.extensions import db
from app.models.identity import Role, Team
from app.permissions import Scope
from app.services.accounts import MIN_PASSWORD_LENGTH

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Manager"),
    Role.SALES: _l("Sales"),
    Role.MARKETING: _l("Marketing"),
    Role.SUPPORT: _l("Support"),
}
ACTION_LABELS = {
    "read": _l("See"),
    "create": _l("Create"),
    "edit": _l("Edit"),
    "delete": _l("Delete"),
}
SCOPE_LABELS = {
    Scope.NONE: _l("None"),
    Scope.OWN: _l("Own records"),
    Scope.TEAM: _l("Their team's records"),
    Scope.ALL: _l("All records"),
}
TOO_LONG = _l("Use at most %(max)d characters.")


def _role(value):
    """A Role, leaving unknown values as they are so validation says "Not a valid choice"."""
    try:
        return Role(value)
    except ValueError:
        return value


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _role_choices() -> list[SelectChoice]:
    return _choices((role.value, label) for role, label in ROLE_LABELS.items())


def _team_choices() -> list[SelectChoice]:
    teams = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    return _choices((str(team_id), name) for team_id, name in teams)


class UserForm(FlaskForm):
    """The details an administrator sets on a staff user."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the user's name.")), Length(max=120, message=TOO_LONG)],
    )
    email = StringField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Email(_l("Enter a valid email address, like name@example.com.")),
            Length(max=254, message=TOO_LONG),
        ],
    )
    role = SelectField(_l("Role"), coerce=_role, default=Role.SALES.value)
    team_id = SelectField(_l("Team"), coerce=_optional_int)
    locale = SelectField(_l("Language"))
    # Checked by accounts, which says which name it does not know.
    time_zone = SelectField(_l("Time zone"), default=timezones.default_name, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()
        self.team_id.choices = [SelectChoice("", _l("No team")), *_team_choices()]
        self.locale.choices = _choices(current_app.config["LANGUAGES"].items())
        self.time_zone.choices = timezones.choices()

    @property
    def team(self) -> Team | None:
        return db.session.get(Team, self.team_id.data) if self.team_id.data else None


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
    )


class EditUserForm(UserForm):
    is_active = BooleanField(_l("Active: may sign in"))


class UserFilters(Form):
    """The list's search and filters, read from the query string; unknown values are ignored."""

    q = SearchField(_l("Search by name or email"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    team = SelectField(_l("Team"), validators=[Optional()])
    active = SelectField(
        _l("Status"),
        validators=[Optional()],
        choices=_choices(
            [("", _l("Any status")), ("active", _l("Active")), ("inactive", _l("Deactivated"))]
        ),
    )
    after = IntegerField(validators=[Optional()])

    def __init__(self, args):
        super().__init__(args)
        self.role.choices = [SelectChoice("", _l("All roles")), *_role_choices()]
        self.team.choices = [
            SelectChoice("", _l("All teams")),
            SelectChoice("none", _l("No team")),
            *_team_choices(),
        ]
        self.validate()

    def _valid(self, field) -> str | int | None:
        return None if field.errors or field.data in (None, "") else field.data

    def criteria(self) -> dict:
        """Keyword arguments for accounts.find_users."""
        team, active = self._valid(self.team), self._valid(self.active)
        return {
            "search": self._valid(self.q) or "",
            "role": Role(self._valid(self.role)) if self._valid(self.role) else None,
            "team_id": int(team) if team and team != "none" else None,
            "without_team": team == "none",
            "active": None if active is None else active == "active",
            "after": self._valid(self.after),
        }

    def url(self, **changes) -> str:
        """This list's URL with the same filters, and `changes` applied."""
        args = {name: self._valid(self[name]) for name in ("q", "role", "team", "active")}
        args.update(changes)
        return url_for("admin.users", **{k: v for k, v in args.items() if v not in (None, "")})


class TeamForm(FlaskForm):
    name = StringField(
        _l("Team name"),
        validators=[
            DataRequired(_l("Enter the team's name.")),
            Length(max=120, message=TOO_LONG),
        ],
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=2000, message=TOO_LONG)]
    )
